"""Validation: what the entry points check before anything is drawn.

Every check raises ``TypeError`` (wrong kind of object) or ``ValueError``
(right kind, bad value) with a message that names the argument and the
value.  ``resolve_params`` turns an ``ImageParams`` into the plain numbers
the kernels take, plus an ``ElementResolver`` for its channels and radii;
resolvers are shared between calls whose channels and radii are equal (a
memo keyed on those values, never on object identity).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Tuple

import numpy as np

from voxelize_cy.chemistry.channel_sets import CHANNEL_SETS
from voxelize_cy.core import ElementResolver, Fill, zero_fill

_F64 = np.dtype(np.float64)
_DTYPES = (_F64, np.dtype(np.float32))

#: Largest image (bytes) a call allocates by itself; larger ones need ``out=``
#: or get a MemoryError that says how large they would be.
MAX_IMAGE_BYTES = 16 * 2**30


def check_length_voxels(length_voxels):
    if type(length_voxels) is int and length_voxels >= 1:  # the common case, fast
        return
    if isinstance(length_voxels, bool) or not isinstance(length_voxels, numbers.Integral):
        raise TypeError(
            f"grid.length_voxels must be an integer, got {type(length_voxels).__name__} "
            f"{length_voxels!r}"
        )
    if length_voxels < 1:
        raise ValueError(f"grid.length_voxels must be >= 1, got {length_voxels}")


def check_resolution(resolution_A):
    if type(resolution_A) is float and 0 < resolution_A < math.inf:  # fast path
        return
    if isinstance(resolution_A, bool) or not isinstance(resolution_A, numbers.Real):
        raise TypeError(
            f"grid.resolution_A must be a number, got {type(resolution_A).__name__}"
        )
    if not (math.isfinite(resolution_A) and resolution_A > 0):
        raise ValueError(f"grid.resolution_A must be finite and > 0, got {resolution_A!r}")


def check_radius(radius_A, what):
    if isinstance(radius_A, bool) or not isinstance(radius_A, numbers.Real):
        raise TypeError(f"{what} must be a number, got {type(radius_A).__name__} {radius_A!r}")
    radius_A = float(radius_A)
    if not (math.isfinite(radius_A) and radius_A > 0):
        raise ValueError(f"{what} must be finite and > 0, got {radius_A!r}")
    return radius_A


def center_tuple(center_A, what="grid.center_A") -> Tuple[float, float, float]:
    """``center_A`` as three finite floats."""
    if type(center_A) is np.ndarray and center_A.shape == (3,) and center_A.dtype == _F64:
        cx, cy, cz = center_A.tolist()
        if -math.inf < cx + cy + cz < math.inf:
            return cx, cy, cz
    try:
        c = np.asarray(center_A, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be 3 numbers, got {center_A!r}") from None
    if c.shape != (3,):
        raise ValueError(f"{what} must be 3 numbers, got shape {c.shape}")
    cx, cy, cz = float(c[0]), float(c[1]), float(c[2])
    if not (math.isfinite(cx) and math.isfinite(cy) and math.isfinite(cz)):
        raise ValueError(f"{what} must be finite, got {list(c)}")
    return cx, cy, cz


def check_dtype(dtype):
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if dt not in _DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return dt


def check_channel_cache(channel_cache):
    """``channel_cache`` is None or a dict; the message says what the
    argument is, since a dtype passed third lands here."""
    if channel_cache is not None and not isinstance(channel_cache, dict):
        hint = ""
        try:
            if np.dtype(channel_cache) in _DTYPES:
                hint = "; to choose the image's dtype, pass dtype=... by keyword"
        except TypeError:
            pass
        raise TypeError(
            f"channel_cache must be a dict, got {type(channel_cache).__name__} "
            f"{channel_cache!r}: the third positional argument of image_from_atoms is "
            f"the element -> channel cache (dtype=, out= and frame= are keyword-only)"
            f"{hint}"
        )


def check_image_size(shape, dtype, what="image"):
    """MemoryError naming the size, before a huge allocation is tried."""
    n_bytes = np.dtype(dtype).itemsize
    for n in shape:
        n_bytes *= int(n)
    if n_bytes > MAX_IMAGE_BYTES:
        raise MemoryError(
            f"the {what} {tuple(shape)} {np.dtype(dtype)} would take "
            f"{n_bytes / 2**30:,.1f} GiB, above the {MAX_IMAGE_BYTES / 2**30:.0f} GiB "
            f"voxelize_cy allocates by itself; use fewer voxels or channels, or pass "
            f"your own out= array"
        )
    return n_bytes


def output_array(out, shape, dtype, name="out"):
    """A zeroed C-contiguous array of ``shape``/``dtype``: ``out`` itself if given."""
    if out is None:
        check_image_size(shape, dtype)
        try:
            return np.zeros(shape, dtype=dtype)
        except MemoryError:
            raise MemoryError(
                f"no memory for an image of shape {tuple(shape)} ({np.dtype(dtype)})"
            ) from None
    check_out(out, shape, dtype, name)
    zero_fill(out)
    return out


def check_out(out, shape, dtype, name="out"):
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"{name} has dtype {out.dtype}; expected {np.dtype(dtype)}")
    if out.shape != tuple(shape):
        raise ValueError(f"{name} has shape {out.shape}; expected {tuple(shape)}")
    if not out.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only")


def check_num_threads(num_threads, default):
    if num_threads is None:
        return default
    if isinstance(num_threads, bool) or not isinstance(num_threads, numbers.Integral):
        raise TypeError(f"num_threads must be an int or None, got {num_threads!r}")
    if num_threads < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")
    return int(num_threads)


# --------------------------------------------------------------------------
# ImageParams -> numbers and a resolver
# --------------------------------------------------------------------------

_RESOLVERS: dict = {}
_MAX_RESOLVERS = 256


def _radii_key(radii):
    if type(radii) is float:
        return radii
    if isinstance(radii, Mapping):
        try:
            return ("dict", frozenset(radii.items()))
        except TypeError:  # unhashable values: checked (and refused) below
            return None
    return ("one", radii, type(radii))


def element_resolver(channels, radii):
    """The ``ElementResolver`` of a channel list and radii, checked; shared
    between calls with equal channels and radii."""
    key, resolver = None, None
    if type(channels) in (list, tuple):  # a str would pass for its characters
        try:
            key = (tuple(channels), _radii_key(radii))
            resolver = _RESOLVERS.get(key)
        except TypeError:  # unhashable patterns or radii: the checks below say why
            key = None
    if resolver is not None:
        return resolver
    resolver = _new_resolver(channels, radii)
    if key is not None and key[1] is not None:
        if len(_RESOLVERS) >= _MAX_RESOLVERS:
            _RESOLVERS.clear()
        _RESOLVERS[key] = resolver
    return resolver


class ChannelPatternError(re.error):
    """A pattern of ``img_params.channels`` that is not a regular expression.

    A subclass of ``re.error`` (what the original raises), whose message also
    names the pattern and its index in ``img_params.channels``.
    """

    def __init__(self, cause: re.error, index: int):
        super().__init__(cause.msg, cause.pattern, cause.pos)
        self.index = index
        self.args = (
            f"img_params.channels[{index}] = {cause.pattern!r} is not a valid regular "
            f"expression: {cause}",
        )

    def __str__(self):
        return self.args[0]


def check_channel_pattern(pattern, index):
    """``ChannelPatternError`` when ``pattern`` (``img_params.channels[index]``)
    does not compile."""
    try:
        re.compile(pattern)
    except re.error as err:
        raise ChannelPatternError(err, index) from None


def _new_resolver(channels, radii):
    if isinstance(channels, str) or not isinstance(channels, Sequence):
        raise TypeError(
            f"img_params.channels must be a list of regular expressions or the name "
            f"of a channel set ({', '.join(CHANNEL_SETS)}), got "
            f"{type(channels).__name__} {channels!r}"
        )
    channels = list(channels)
    if not channels:
        raise ValueError("img_params.channels is empty: an image needs >= 1 channel")
    for index, pattern in enumerate(channels):
        if not isinstance(pattern, str):
            raise TypeError(f"img_params.channels holds {pattern!r}; expected str patterns")
        check_channel_pattern(pattern, index)
    if isinstance(radii, numbers.Real) and not isinstance(radii, bool):
        radius = check_radius(radii, "img_params.element_radii_A")
        return ElementResolver(channels, radius, True, radius)
    if isinstance(radii, Mapping):
        if not radii:
            raise ValueError("img_params.element_radii_A is an empty dict")
        for element, r in radii.items():
            check_radius(r, f"img_params.element_radii_A[{element!r}]")
        return ElementResolver(channels, dict(radii), False,
                               float(max(radii.values())))
    raise TypeError(
        "img_params.element_radii_A must be a number or a dict of element -> "
        f"radius, got {type(radii).__name__}"
    )


# --------------------------------------------------------------------------
# Density fills (libmolgrid's Gaussian and binary densities)
# --------------------------------------------------------------------------

#: density_options of the default options, per fill code (None: an exact fill)
_DEFAULT_DENSITY = {Fill.FILL_GAUSSIAN: (1.0, 1.0, 1.5), Fill.FILL_BINARY: (1.0, 1.0, 1.0)}


def density_options(fill_code, radius_scale, gaussian_radius_multiple):
    """The ``density`` argument of the kernels: ``(radius_scale,
    gaussian_radius_multiple, reach)`` for a density fill, ``reach`` being how
    far an atom's values extend in its radii (the atom box grows by it); None
    for the exact fills, which take neither option."""
    if (type(radius_scale) is float and type(gaussian_radius_multiple) is float
            and radius_scale == 1.0 and gaussian_radius_multiple == 1.0):
        return _DEFAULT_DENSITY.get(fill_code)  # the defaults: no checks needed
    if fill_code not in (Fill.FILL_GAUSSIAN, Fill.FILL_BINARY):
        if radius_scale != 1.0 or gaussian_radius_multiple != 1.0:
            raise ValueError("radius_scale and gaussian_radius_multiple apply to "
                             "fill='gaussian' and fill='binary' only")
        return None
    scale = check_radius(radius_scale, "radius_scale")
    if (isinstance(gaussian_radius_multiple, bool)
            or not isinstance(gaussian_radius_multiple, numbers.Real)):
        raise TypeError(f"gaussian_radius_multiple must be a number, got "
                        f"{gaussian_radius_multiple!r}")
    g = float(gaussian_radius_multiple)
    if not (math.isfinite(g) and g != 0):
        raise ValueError(f"gaussian_radius_multiple must be finite and not 0 (negative: "
                         f"a Gaussian truncated there), got {gaussian_radius_multiple!r}")
    if fill_code == Fill.FILL_BINARY:
        extent = 1.0
    else:
        extent = -g if g < 0 else (1 + 2 * g * g) / (2 * g)
    return (scale, g, max(1.0, scale * extent))
