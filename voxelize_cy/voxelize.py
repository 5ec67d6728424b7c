"""Python API of voxelize_cy: data classes, input conversion, validation.

This module is a drop-in for the original pure-Python ``voxelize`` module: the
same public names (``image_from_atoms``, ``ImageParams``, ``Grid``, ``Sphere``,
``Cube``, ``Atom``, ``Image``) and helpers (``_get_element_radius`` …), with the
same signatures, results and errors.  The loops over atoms and voxels run in
the compiled ``voxelize_cy._kernels`` extension without the GIL.

Conventions: coordinates and lengths in ångströms (``_A``), volumes in Å³
(``_A3``); voxel indices ``(i, j, k)`` run along ``(x, y, z)``; an image has shape
``(channels, L, L, L)``.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from math import pi
from typing import Optional, TypeAlias, Union

import numpy as np
from numpy.typing import NDArray

from voxelize_cy import _kernels

__all__ = [
    "Atom",
    "Cube",
    "Grid",
    "Image",
    "ImageParams",
    "Sphere",
    "image_from_atoms",
    "images_from_atoms",
]

#: An image: ``numpy.ndarray`` of shape ``(channels, L, L, L)`` (float64 by default).
Image: TypeAlias = NDArray

ATOM_COLUMNS = ("element", "x", "y", "z", "occupancy")

# Private: profiling/bench_validation.py turns the per-row screen off to measure
# what validation costs.  Never turn it off in real use: NaN/inf rows would
# then be dropped silently instead of raising.
_SCREEN_ROWS = True
_COORD_COLUMNS = ("x", "y", "z", "occupancy")
_DTYPES = {np.dtype(np.float64): np.float64, np.dtype(np.float32): np.float32}


# --------------------------------------------------------------------------
# Data classes (as the original)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Sphere:
    """A ball: centre ``center_A`` (3,) in Å and radius ``radius_A`` in Å."""

    center_A: NDArray
    radius_A: float

    @cached_property
    def volume_A3(self) -> float:
        """Volume ``4/3 π r³`` in Å³."""
        return 4 / 3 * pi * self.radius_A**3


@dataclass(frozen=True)
class Cube:
    """An axis-aligned cube: centre ``center_A`` (3,) in Å, side ``length_A`` in Å."""

    center_A: NDArray
    length_A: float


@dataclass(frozen=True)
class Atom:
    """One atom to draw: its ``sphere``, image ``channel`` index and ``occupancy``."""

    sphere: Sphere
    channel: int
    occupancy: float


@dataclass(frozen=True)
class Grid:
    """A cubic grid of ``length_voxels``³ voxels of side ``resolution_A`` Å.

    The grid is centred on ``center_A`` (3,) in Å.  Raises ``TypeError`` for a
    non-integer length and ``ValueError`` for a length < 1 or a resolution that
    is not a finite number > 0.
    """

    length_voxels: int
    resolution_A: float
    center_A: NDArray = field(default_factory=lambda: np.zeros(3))

    def __post_init__(self):
        _check_length_voxels(self.length_voxels)
        _check_resolution(self.resolution_A)

    @cached_property
    def length_A(self) -> float:
        """Side of the whole grid in Å: ``length_voxels * resolution_A``."""
        return self.length_voxels * self.resolution_A

    @cached_property
    def shape(self) -> tuple[int, int, int]:
        """``(L, L, L)``."""
        return 3 * (self.length_voxels,)


@dataclass
class ImageParams:
    """What an image looks like.

    Parameters
    ----------
    grid : Grid
        Size, resolution and centre of the image.
    channels : list of str
        Regular expressions ``re.fullmatch``-ed against each atom's element;
        the first match gives the atom's channel.
    element_radii_A : float or dict of str to float
        One radius (Å) for every atom, or a radius per element with an
        optional ``'*'`` default.
    """

    grid: Grid
    channels: list[str]
    element_radii_A: Union[float, dict[str, float]]


# --------------------------------------------------------------------------
# The original's helpers (same names, signatures and results)
# --------------------------------------------------------------------------


def _get_element_radius(radii, element):
    """Radius (Å) of ``element``: ``radii`` if a number, else ``radii[element]``,
    else ``radii['*']``; ``KeyError`` if neither exists."""
    if isinstance(radii, numbers.Real):
        return radii
    try:
        return radii[element]
    except KeyError:
        return radii["*"]


def _get_max_element_radius(radii):
    """``radii`` if it is a number, else the largest value of the dict ('*' included)."""
    if isinstance(radii, numbers.Real):
        return radii
    return max(radii.values())


def _get_element_channel(channels, element, cache):
    """Index of the first pattern in ``channels`` that ``re.fullmatch``-es ``element``.

    The result is stored in ``cache`` (a dict element → index) and read from it
    on later calls.  Raises ``RuntimeError`` if no pattern matches.
    """
    if element in cache:
        return cache[element]
    for i, channel in enumerate(channels):
        if re.fullmatch(channel, element):
            cache[element] = i
            return i
    raise RuntimeError(f"element {element} didn't match any channels")


def _make_empty_image(img_params):
    """``np.zeros((len(channels), L, L, L))``, float64."""
    shape = len(img_params.channels), *img_params.grid.shape
    return np.zeros(shape)


def _discard_atoms_outside_image(atoms, img_params):
    """Rows of the data frame ``atoms`` (index kept) whose x, y and z all lie
    strictly inside ``center ± (length_A / 2 + max radius)``."""
    grid = img_params.grid
    max_r = _get_max_element_radius(img_params.element_radii_A)
    get = atoms.__getitem__
    xyz = [_float_column(get(name), name) for name in ("x", "y", "z")]
    selected = _kernels.find_atoms_in_box(
        *xyz,
        _center_tuple(grid.center_A), float(grid.resolution_A),
        int(grid.length_voxels), float(max_r),
    )
    if hasattr(atoms, "iloc"):
        return atoms.iloc[selected]
    if _is_polars(atoms):
        return atoms[selected]
    return {k: np.asarray(v)[selected] for k, v in atoms.items()}


def _make_atom(row, img_params, channel_cache):
    """``Atom`` from a row with attributes ``element, x, y, z, occupancy``."""
    return Atom(
        sphere=Sphere(
            center_A=np.array([row.x, row.y, row.z]),
            radius_A=_get_element_radius(img_params.element_radii_A, row.element),
        ),
        channel=_get_element_channel(img_params.channels, row.element, channel_cache),
        occupancy=row.occupancy,
    )


def _add_atom_to_image(img, grid, atom):
    """Add one ``atom`` to ``img`` (``(C, L, L, L)`` float64, C-contiguous) in place."""
    if not (isinstance(img, np.ndarray) and img.dtype in _DTYPES and img.ndim == 4
            and img.flags.c_contiguous and img.shape[1:] == tuple(grid.shape)):
        raise ValueError(
            "img must be a C-contiguous float32/float64 array of shape "
            f"(C, {grid.length_voxels}, {grid.length_voxels}, {grid.length_voxels})"
        )
    channel = int(atom.channel)
    if not 0 <= channel < img.shape[0]:
        raise ValueError(f"atom channel {channel} outside the image's {img.shape[0]} channels")
    radius_A = _check_radius(atom.sphere.radius_A, "atom radius")
    center = _center_tuple(atom.sphere.center_A, what="atom centre")
    occupancy = float(atom.occupancy)
    if not (math.isfinite(occupancy) and occupancy >= 0):
        raise ValueError(f"atom occupancy must be finite and >= 0, got {atom.occupancy!r}")
    status, _ = _kernels.voxelize_image(
        img,
        np.array([center[0]]), np.array([center[1]]), np.array([center[2]]),
        np.array([occupancy]), np.zeros(1, dtype=np.intc),
        np.array([radius_A]), np.array([channel], dtype=np.intc),
        _center_tuple(grid.center_A), float(grid.resolution_A), radius_A,
    )
    if status == 3:
        raise MemoryError("no memory for the voxelization scratch space")


def _find_voxels_possibly_contacting_sphere(grid, sphere):
    """``(N, 3)`` int array of the voxels in the image that may touch ``sphere``:
    the block from the voxel of ``c - r`` to the voxel of ``c + r`` on each axis."""
    center = np.asarray(sphere.center_A, dtype=float)
    r = sphere.radius_A
    probes = np.array([center - r, center + r])
    lo, hi = _find_voxels_containing_coords(grid, probes)
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, grid.length_voxels - 1)
    if np.any(hi < lo):
        return np.zeros((0, 3), dtype=int)
    axes = [np.arange(lo[i], hi[i] + 1) for i in range(3)]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)


def _find_voxels_containing_coords(grid, coords_A):
    """``(N, 3)`` int array: the voxel index of each coordinate (may lie outside)."""
    center_to_coords_A = coords_A - grid.center_A
    origin_to_center_A = grid.resolution_A * (grid.length_voxels - 1) / 2
    origin_to_coords_A = origin_to_center_A + center_to_coords_A
    ijk = origin_to_coords_A / grid.resolution_A
    return np.rint(ijk).astype(int)


def _discard_voxels_outside_image(grid, voxels):
    """Rows of ``voxels`` (N, 3) with every index in ``[0, L)``."""
    voxels = np.asarray(voxels)
    not_too_low = voxels.min(axis=1) >= 0
    not_too_high = voxels.max(axis=1) < grid.length_voxels
    return voxels[not_too_low & not_too_high]


def _get_voxel_center_coords(grid, voxels):
    """``(N, 3)`` float array of voxel centres in Å."""
    center_offset = (grid.length_voxels - 1) / 2
    return grid.center_A + (np.asarray(voxels) - center_offset) * grid.resolution_A


def _make_cube(grid, voxel):
    """``Cube`` of the voxel ``voxel`` (3,)."""
    return Cube(_get_voxel_center_coords(grid, voxel), grid.resolution_A)


def _calc_sphere_cube_overlap_volume_A3(sphere, cube):
    """Exact volume (Å³) of ``sphere`` ∩ ``cube``, from the package's C routine."""
    c = np.asarray(sphere.center_A, dtype=float)
    b = np.asarray(cube.center_A, dtype=float)
    h = cube.length_A / 2
    return _kernels.sphere_box_overlap_A3(
        c[0], c[1], c[2], float(sphere.radius_A),
        b[0] - h, b[0] + h, b[1] - h, b[1] + h, b[2] - h, b[2] + h,
    )


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _check_length_voxels(length_voxels):
    if isinstance(length_voxels, bool) or not isinstance(length_voxels, numbers.Integral):
        raise TypeError(
            f"grid.length_voxels must be an integer, got {type(length_voxels).__name__} "
            f"{length_voxels!r}"
        )
    if length_voxels < 1:
        raise ValueError(f"grid.length_voxels must be >= 1, got {length_voxels}")


def _check_resolution(resolution_A):
    if isinstance(resolution_A, bool) or not isinstance(resolution_A, numbers.Real):
        raise TypeError(
            f"grid.resolution_A must be a number, got {type(resolution_A).__name__}"
        )
    if not (math.isfinite(resolution_A) and resolution_A > 0):
        raise ValueError(f"grid.resolution_A must be finite and > 0, got {resolution_A!r}")


def _check_radius(radius_A, what):
    if isinstance(radius_A, bool) or not isinstance(radius_A, numbers.Real):
        raise TypeError(f"{what} must be a number, got {type(radius_A).__name__} {radius_A!r}")
    radius_A = float(radius_A)
    if not (math.isfinite(radius_A) and radius_A > 0):
        raise ValueError(f"{what} must be finite and > 0, got {radius_A!r}")
    return radius_A


def _center_tuple(center_A, what="grid.center_A"):
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


class _ResolvedParams:
    """An ``ImageParams`` checked and reduced to plain numbers (one per call)."""

    __slots__ = ("center", "resolution_A", "length_voxels", "channels", "radii",
                 "max_radius_A", "one_radius", "key")

    def __init__(self, img_params, memo=None):
        """Check ``img_params``; ``memo`` (a dict kept for one batch call) shares
        the channel and radius checks between params that hold the same objects."""
        if not isinstance(img_params, ImageParams):
            raise TypeError(
                f"img_params must be an ImageParams, got {type(img_params).__name__}"
            )
        grid = img_params.grid
        if not isinstance(grid, Grid):
            raise TypeError(f"img_params.grid must be a Grid, got {type(grid).__name__}")
        _check_length_voxels(grid.length_voxels)
        _check_resolution(grid.resolution_A)
        self.center = _center_tuple(grid.center_A)
        self.resolution_A = float(grid.resolution_A)
        self.length_voxels = int(grid.length_voxels)

        channels = img_params.channels
        radii = img_params.element_radii_A
        shared = None
        if memo is not None:
            memo_key = (id(channels), id(radii))
            shared = memo.get(memo_key)
            # Both objects are held by the memo entry, so their ids cannot be reused.
            if shared is not None and shared[0] is channels and shared[1] is radii:
                (self.channels, self.radii, self.max_radius_A, self.one_radius,
                 self.key) = shared[2]
                return
        self._check_channels_and_radii(channels, radii)
        if memo is not None:
            memo[memo_key] = (channels, radii, (self.channels, self.radii,
                                                self.max_radius_A, self.one_radius,
                                                self.key))

    def _check_channels_and_radii(self, channels, radii):
        if isinstance(channels, str) or not isinstance(channels, Sequence):
            raise TypeError(
                f"img_params.channels must be a list of regular expressions, got "
                f"{type(channels).__name__} {channels!r}"
            )
        channels = list(channels)
        if not channels:
            raise ValueError("img_params.channels is empty: an image needs >= 1 channel")
        for pattern in channels:
            if not isinstance(pattern, str):
                raise TypeError(f"img_params.channels holds {pattern!r}; expected str patterns")
        self.channels = channels

        if isinstance(radii, numbers.Real) and not isinstance(radii, bool):
            self.radii = _check_radius(radii, "img_params.element_radii_A")
            self.max_radius_A = self.radii
            self.one_radius = True
            radii_key = self.radii
        elif isinstance(radii, Mapping):
            if not radii:
                raise ValueError("img_params.element_radii_A is an empty dict")
            for element, r in radii.items():
                _check_radius(r, f"img_params.element_radii_A[{element!r}]")
            self.radii = radii
            self.max_radius_A = float(_get_max_element_radius(radii))
            self.one_radius = False
            radii_key = tuple(sorted((str(k), float(v)) for k, v in radii.items()))
        else:
            raise TypeError(
                "img_params.element_radii_A must be a number or a dict of element -> "
                f"radius, got {type(radii).__name__}"
            )
        self.key = (tuple(channels), radii_key)

    @property
    def n_channels(self):
        return len(self.channels)


# --------------------------------------------------------------------------
# Atom tables
# --------------------------------------------------------------------------


def _is_polars(obj):
    return type(obj).__module__.split(".", 1)[0] == "polars"


class _AtomColumns:
    """The columns of an atom table as contiguous float64 arrays + elements.

    Accepts a pandas DataFrame, a polars DataFrame, or a mapping of column name
    to equal-length 1-D arrays.
    """

    __slots__ = ("x", "y", "z", "occupancy", "elements", "n")

    @classmethod
    def from_table(cls, atoms):
        fast = cls._from_plain_pandas(atoms)
        if fast is not None:
            return fast
        self = cls.__new__(cls)
        if hasattr(atoms, "columns") and hasattr(atoms, "__getitem__"):
            present = atoms.columns
            get = atoms.__getitem__
        elif isinstance(atoms, Mapping):
            present = atoms.keys()
            get = atoms.__getitem__
        else:
            raise TypeError(
                "atoms must be a pandas DataFrame, a polars DataFrame or a dict of "
                f"equal-length arrays, got {type(atoms).__name__}"
            )
        missing = [c for c in ATOM_COLUMNS if c not in present]
        if missing:
            raise ValueError(
                f"atoms is missing column(s) {missing}; need {list(ATOM_COLUMNS)}"
            )
        fast_get = _pandas_column_getter(atoms)
        if fast_get is not None:
            get = fast_get
        arrays = []
        for name in _COORD_COLUMNS:
            arrays.append(_float_column(get(name), name))
        n = arrays[0].shape[0]
        for name, arr in zip(_COORD_COLUMNS, arrays):
            if arr.shape[0] != n:
                raise ValueError(
                    f"atoms columns differ in length: 'x' has {n} rows, "
                    f"{name!r} has {arr.shape[0]}"
                )
        self.x, self.y, self.z, self.occupancy = arrays
        self.n = n
        elements = _column_values(get("element"))
        if elements.ndim != 1 or elements.shape[0] != n:
            raise ValueError(
                f"atoms columns differ in length: 'x' has {n} rows, 'element' has "
                f"{elements.shape[0] if elements.ndim else 'a scalar'}"
            )
        self.elements = elements
        return self

    @classmethod
    def _from_plain_pandas(cls, df):
        """The common case in a few microseconds: a pandas DataFrame with unique
        column names and float64 coordinate columns; None for anything else
        (which then takes the general path, with its error messages)."""
        if type(df).__module__.split(".", 1)[0] != "pandas":
            return None
        get_array = getattr(df, "_get_column_array", None)
        columns = getattr(df, "columns", None)
        if get_array is None or columns is None or not columns.is_unique:
            return None
        try:
            loc = columns.get_loc
            arrays = [get_array(loc(name)) for name in _COORD_COLUMNS]
            elements = _column_values(get_array(loc("element")))
        except Exception:  # missing column, private API changed, ...
            return None
        n = elements.shape[0] if elements.ndim == 1 else -1
        for a in arrays:
            if not (type(a) is np.ndarray and a.dtype == np.float64 and a.ndim == 1
                    and a.shape[0] == n and a.flags.c_contiguous):
                return None
        self = cls.__new__(cls)
        self.x, self.y, self.z, self.occupancy = arrays
        self.elements = elements
        self.n = n
        return self

    def check_rows(self):
        """Raise ``ValueError`` naming the first row with a bad coordinate/occupancy."""
        row, what = _kernels.check_atom_rows(self.x, self.y, self.z, self.occupancy)
        if row >= 0:
            value = float(getattr(self, what)[row])
            if what == "occupancy":
                raise ValueError(
                    f"atoms['occupancy'] at row {row} is {value!r}; occupancies must be "
                    f"finite and >= 0"
                )
            raise ValueError(
                f"atoms[{what!r}] at row {row} is {value!r}; coordinates must be finite"
            )

    def elements_of(self, rows):
        """Elements of ``rows`` (int array) as a list."""
        return self.elements[rows].tolist()


def _pandas_column_getter(df):
    """A fast column getter for a pandas DataFrame with unique column names.

    ``DataFrame.__getitem__`` builds a Series (about 5 µs a column); the
    DataFrame's own ``_get_column_array`` (pandas >= 1.3) returns the stored
    array directly.  It is private, so it is used only where it exists and
    falls back to the public path for anything unusual.
    """
    get_array = getattr(df, "_get_column_array", None)
    columns = getattr(df, "columns", None)
    if get_array is None or columns is None or not getattr(columns, "is_unique", False):
        return None
    if type(df).__module__.split(".", 1)[0] != "pandas":
        return None

    def get(name):
        try:
            return get_array(columns.get_loc(name))
        except Exception:  # private API changed: use the public one
            return df[name]

    return get


def _column_values(column):
    """A column as a 1-D numpy array without copying where possible."""
    if isinstance(column, np.ndarray):
        return column
    # pandas' python-backed string array keeps an object ndarray.
    # (Only object arrays: a Categorical's ``_ndarray`` holds its integer codes.)
    stored = getattr(column, "_ndarray", None)
    if isinstance(stored, np.ndarray) and stored.ndim == 1 and stored.dtype == object:
        return stored
    to_numpy = getattr(column, "to_numpy", None)
    if to_numpy is not None:
        return np.asarray(to_numpy())
    return np.asarray(column)


def _float_column(column, name):
    values = _column_values(column)
    if values.dtype != np.float64:
        if values.dtype.kind not in "fiu" or values.dtype == np.bool_:
            raise TypeError(
                f"atoms[{name!r}] must be numeric, got dtype {values.dtype}"
            )
        values = values.astype(np.float64)
    if values.ndim != 1:
        raise ValueError(f"atoms[{name!r}] must be 1-D, got shape {values.shape}")
    if not values.flags.c_contiguous:
        values = np.ascontiguousarray(values)
    return values


# --------------------------------------------------------------------------
# Output buffers
# --------------------------------------------------------------------------


def _check_dtype(dtype):
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if dt not in _DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return dt


def _output_array(out, shape, dtype, name="out"):
    """A zeroed C-contiguous array of ``shape``/``dtype``: ``out`` itself if given."""
    if out is None:
        return np.zeros(shape, dtype=dtype)
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
    out.fill(0)
    return out


# --------------------------------------------------------------------------
# Elements -> kinds
# --------------------------------------------------------------------------


class _ElementCodeCache:
    """Per-table element codes, computed once and reused while the table is unchanged.

    Data loaders pass the same atom table on every call; mapping its element
    column (thousands of strings) to integer codes once makes every later
    call a single GIL-free kernel call.  An entry holds a copy of the element
    object array, which keeps references to the element strings; a later
    array whose object pointers equal the copy's therefore holds the very same
    (immutable) strings, so the codes are valid.  Any change of an element
    changes a pointer and misses.  Entries are built on the second sighting of
    an array (same object, same first and last elements), so inputs that make
    a new array on every call (polars, pyarrow strings) never pay for one.
    """

    MAX_ENTRIES = 32

    def __init__(self):
        self._entries = {}  # id(array) -> (snapshot, codes, kinds)
        self._sightings = {}  # id(array) -> fingerprint

    @staticmethod
    def _fingerprint(elements):
        n = elements.shape[0]
        return (n, id(elements[0]), id(elements[n - 1])) if n else (0,)

    def lookup(self, elements):
        """``(codes, kinds, kind_tables)`` for an object array of elements, or None.

        ``kind_tables`` is a dict that ``_cached_kind_tables`` fills with the
        radius/channel tables of each parameters it sees for this table.
        """
        if (not isinstance(elements, np.ndarray) or elements.dtype != object
                or elements.ndim != 1 or not elements.flags.c_contiguous):
            return None
        key = id(elements)
        entry = self._entries.get(key)
        if entry is not None and _kernels.same_objects(elements, entry[0]):
            return entry[1], entry[2], entry[3]
        fingerprint = self._fingerprint(elements)
        if self._sightings.get(key) != fingerprint:
            if len(self._sightings) >= 8 * self.MAX_ENTRIES:
                self._sightings.clear()
            self._sightings[key] = fingerprint
            return None
        snapshot = elements.copy()
        codes, kinds = _encode_all(snapshot)
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.pop(next(iter(self._entries)))
        kind_tables = {}
        self._entries[key] = (snapshot, codes, kinds, kind_tables)
        return codes, kinds, kind_tables


_ELEMENT_CODES = _ElementCodeCache()


def _encode_all(elements):
    """Codes (int32, per row) and the list of distinct elements of a whole column."""
    import pandas as pd

    if elements.dtype != object:
        elements = elements.astype(object)
    codes, uniques = pd.factorize(elements, use_na_sentinel=True)
    kinds = list(uniques)
    if (codes < 0).any():  # None / NaN elements: one extra kind, never drawn
        codes = np.where(codes < 0, len(kinds), codes)
        kinds.append(None)
    return np.ascontiguousarray(codes, dtype=np.intc), kinds


def _kind_tables(kinds, params, channel_cache):
    """Radius (NaN: none) and channel (-1: no match, -2: not a str) of each kind.

    The original's errors are deferred: the kernel reports the first atom
    inside an image that has one, and ``_raise_for_row`` raises it.
    """
    n = len(kinds)
    kind_radius = np.full(n, np.nan)
    kind_channel = np.full(n, -1, dtype=np.intc)
    one_radius = params.one_radius
    radii = params.radii
    channels = params.channels
    n_channels = len(channels)
    for k, element in enumerate(kinds):
        if not isinstance(element, str):
            kind_channel[k] = -2
            continue
        if one_radius:
            kind_radius[k] = radii
        else:
            try:
                kind_radius[k] = _get_element_radius(radii, element)
            except KeyError:
                pass
        try:
            ch = _get_element_channel(channels, element, channel_cache)
        except RuntimeError:
            continue
        if isinstance(ch, bool) or not isinstance(ch, numbers.Integral) or not (
                0 <= ch < n_channels):
            raise ValueError(
                f"channel_cache maps element {element!r} to channel {ch!r}, but the "
                f"image has {n_channels} channels; pass a fresh cache for a new "
                f"channel list"
            )
        kind_channel[k] = ch
    return kind_radius, kind_channel


def _cached_kind_tables(kinds, params, channel_cache, kind_tables):
    """``_kind_tables`` memoized per (parameters, channel cache) for one table.

    A stored result is used only while the channel cache still maps every
    element of the table as it did when the result was made (the original's
    lookup reads the cache first), so editing the cache is honoured.
    """
    key = (params.key, id(channel_cache))
    stored = kind_tables.get(key)
    if stored is not None:
        cache_view, tables = stored
        if tuple(map(channel_cache.get, kinds)) == cache_view:
            return tables
    tables = _kind_tables(kinds, params, channel_cache)
    if len(kind_tables) >= 16:
        kind_tables.clear()
    kind_tables[key] = (tuple(map(channel_cache.get, kinds)), tables)
    return tables


def _raise_for_row(status, row, element, params, channel_cache, where=""):
    """Raise the error the original raises for the atom at ``row``."""
    if status == 3:
        raise MemoryError(f"{where}no memory for the voxelization scratch space")
    if not isinstance(element, str):
        raise ValueError(
            f"{where}atoms['element'] at row {row} is {element!r}; expected a str "
            f"such as 'C'"
        )
    # Re-run the original's lookups for this atom: they raise its own errors.
    _get_element_radius(params.radii, element)
    _get_element_channel(params.channels, element, channel_cache)
    raise ValueError(f"{where}atom at row {row} ({element!r}) has no valid channel")


# --------------------------------------------------------------------------
# The entry points
# --------------------------------------------------------------------------


def image_from_atoms(
    atoms,
    img_params: ImageParams,
    channel_cache: Optional[dict] = None,
    *,
    dtype=np.float64,
    out: Optional[np.ndarray] = None,
) -> Image:
    """Voxelize atoms into a multi-channel 3D image.

    Each atom is a ball of its element's radius; a voxel's value is the
    occupancy-weighted fraction of each ball's volume that lies in it (exact
    sphere/cube overlap), summed over the atoms of that voxel's channel.

    Parameters
    ----------
    atoms : pandas.DataFrame, polars.DataFrame or dict of arrays
        Columns ``element`` (str), ``x``, ``y``, ``z`` (Å) and ``occupancy``;
        other columns are ignored.
    img_params : ImageParams
        Grid, channel patterns and radii.
    channel_cache : dict, optional
        Element → channel index; filled and reused (pass the same dict to
        every call with the same channels).
    dtype : float64 or float32, keyword-only
        Output dtype (each atom's share is computed in float64).
    out : numpy.ndarray, optional, keyword-only
        C-contiguous ``(C, L, L, L)`` array of ``dtype`` to fill in place
        (zeroed first) and return.

    Returns
    -------
    numpy.ndarray
        ``(len(channels), L, L, L)``; axis 1 is x, 2 is y, 3 is z.

    Raises
    ------
    RuntimeError
        An atom in the image whose element matches no channel.
    KeyError
        An atom in the image whose element has no radius (and no ``'*'``).
    ValueError, TypeError
        Malformed input (missing columns, NaN/inf coordinates, bad grid, …).
    MemoryError
        The image is too large to allocate.
    """
    params = _ResolvedParams(img_params)
    dt = _check_dtype(dtype)
    if channel_cache is None:
        channel_cache = {}
    elif not isinstance(channel_cache, dict):
        raise TypeError(f"channel_cache must be a dict, got {type(channel_cache).__name__}")
    L = params.length_voxels
    img = _output_array(out, (params.n_channels, L, L, L), dt)

    columns = _AtomColumns.from_table(atoms)
    if columns.n == 0:
        return img
    cached = _ELEMENT_CODES.lookup(columns.elements)
    if cached is not None:
        codes, kinds, kind_tables = cached
        kind_radius, kind_channel = _cached_kind_tables(kinds, params, channel_cache,
                                                        kind_tables)
    else:
        # Resolve only the atoms in the image (a few hundred of thousands).
        selected = _kernels.find_atoms_in_box(
            columns.x, columns.y, columns.z, params.center, params.resolution_A, L,
            params.max_radius_A,
        )
        codes = np.zeros(columns.n, dtype=np.intc)
        kinds = _kernels.encode_selected(columns.elements_of(selected), selected, codes)
        if not kinds:
            kinds = [None]  # no atom in the image: one dummy kind, never used
        kind_radius, kind_channel = _kind_tables(kinds, params, channel_cache)
    status, row = _kernels.voxelize_image(
        img, columns.x, columns.y, columns.z, columns.occupancy, codes,
        kind_radius, kind_channel, params.center, params.resolution_A,
        params.max_radius_A, _SCREEN_ROWS,
    )
    if status == 5:
        columns.check_rows()  # raises, naming the first bad row
        # Only -0.0 occupancies fail the screen without being invalid.
        status, row = _kernels.voxelize_image(
            img, columns.x, columns.y, columns.z, columns.occupancy, codes,
            kind_radius, kind_channel, params.center, params.resolution_A,
            params.max_radius_A, screen_rows=False,
        )
    if status != 0:
        _raise_for_row(status, row, columns.elements[row], params, channel_cache)
    return img


def _as_list(value, kind):
    """``[value]`` for one object, ``list(value)`` for a sequence of them."""
    if isinstance(value, kind):
        return [value], False
    if isinstance(value, (list, tuple)):
        return list(value), True
    return [value], False


def images_from_atoms(
    atoms,
    img_params,
    *,
    channel_cache: Optional[dict] = None,
    num_threads: Optional[int] = None,
    dtype=np.float64,
    out: Optional[np.ndarray] = None,
) -> NDArray:
    """Voxelize a batch of images on all cores (OpenMP), one image per thread.

    ``images_from_atoms(atoms, params)[b]`` is bitwise identical to
    ``image_from_atoms(atoms_b, params_b, dtype=dtype)`` for every ``b`` and any
    thread count.

    Parameters
    ----------
    atoms : atom table or sequence of atom tables
        As for :func:`image_from_atoms`.  One table is used for every image.
    img_params : ImageParams or sequence of ImageParams
        One per image, or one for every image.  All must have the same number
        of channels and the same ``length_voxels``; centre, resolution and
        radii may differ.
    channel_cache : dict, optional
        Element → channel index, shared by every image (so every params must
        use the same channel list when a cache is passed in).
    num_threads : int, optional
        Threads to use; ``None`` means OpenMP's default (all cores, or
        ``OMP_NUM_THREADS``).
    dtype : float64 or float32
    out : numpy.ndarray, optional
        C-contiguous ``(B, C, L, L, L)`` array of ``dtype`` to fill and return.

    Returns
    -------
    numpy.ndarray
        ``(B, C, L, L, L)`` where B is the longer of the two sequences.

    Raises
    ------
    ValueError
        Sequences of different lengths (neither of length 1), images with
        different channel counts or lengths, a bad ``out``, bad input rows.
    RuntimeError, KeyError
        As :func:`image_from_atoms`, for the first image (in batch order) that
        has such an atom.
    MemoryError
        The batch is too large to allocate.
    """
    if isinstance(atoms, (list, tuple)):
        tables, tables_seq = list(atoms), True
    else:
        tables, tables_seq = [atoms], False
    params_list, _ = _as_list(img_params, ImageParams)
    if not tables:
        raise ValueError("atoms is an empty sequence: no images to make")
    if not params_list:
        raise ValueError("img_params is an empty sequence: no images to make")
    n_images = max(len(tables), len(params_list))
    if len(tables) not in (1, n_images) or len(params_list) not in (1, n_images):
        raise ValueError(
            f"atoms has {len(tables)} tables and img_params has {len(params_list)} "
            f"entries; pass sequences of equal length, or one of either to broadcast"
        )
    dt = _check_dtype(dtype)
    user_cache = channel_cache is not None
    if user_cache and not isinstance(channel_cache, dict):
        raise TypeError(f"channel_cache must be a dict, got {type(channel_cache).__name__}")
    if num_threads is None:
        num_threads = _kernels.max_threads()
    elif isinstance(num_threads, bool) or not isinstance(num_threads, numbers.Integral):
        raise TypeError(f"num_threads must be an int or None, got {num_threads!r}")
    elif num_threads < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")

    # Parameters: each distinct object resolved once; channel and radius
    # checks once per distinct (channels, radii) objects.
    resolved_by_id = {}
    memo = {}
    for p in params_list:
        if id(p) not in resolved_by_id:
            resolved_by_id[id(p)] = _ResolvedParams(p, memo)
    first = resolved_by_id[id(params_list[0])]
    # The element -> channel cache belongs to one channel list: a caller's
    # cache cannot serve params whose lists differ, and without one each
    # channel list gets its own.
    channel_lists = {r.key[0] for r in resolved_by_id.values()}
    if user_cache and len(channel_lists) > 1:
        raise ValueError(
            f"channel_cache maps elements to the channels of one channel list, but "
            f"img_params holds {len(channel_lists)} different channel lists "
            f"(e.g. {list(sorted(channel_lists))[0]} and {list(sorted(channel_lists))[1]}); "
            f"pass channel_cache=None, or one batch per channel list"
        )
    caches = {lst: channel_cache if user_cache else {} for lst in channel_lists}
    for i, p in enumerate(params_list):
        r = resolved_by_id[id(p)]
        if r.n_channels != first.n_channels or r.length_voxels != first.length_voxels:
            raise ValueError(
                f"img_params[{i}] makes ({r.n_channels}, {r.length_voxels}, ...) images but "
                f"img_params[0] makes ({first.n_channels}, {first.length_voxels}, ...); "
                f"every image in a batch needs the same channel count and length_voxels"
            )
    L = first.length_voxels
    shape = (n_images, first.n_channels, L, L, L)
    if out is None:
        images = np.empty(shape, dtype=dt)  # zeroed per image by the kernel
    else:
        images = _output_array(out, shape, dt)

    # Tables: columns extracted, rows checked and elements encoded once per
    # distinct table; kind tables once per distinct (table, parameters) pair.
    encoded_by_id = {}
    for t, table in enumerate(tables):
        if id(table) in encoded_by_id:
            continue
        try:
            columns = _AtomColumns.from_table(table)
            columns.check_rows()
        except (ValueError, TypeError) as err:
            if tables_seq:
                raise type(err)(f"atoms[{t}]: {err}") from None
            raise
        cached = _ELEMENT_CODES.lookup(columns.elements)
        codes, kinds = cached[:2] if cached is not None else _encode_all(columns.elements)
        encoded_by_id[id(table)] = (columns, codes, kinds)
    kernel_tables = []
    table_index = {}
    table_of_image = []
    per_image = []
    for b in range(n_images):
        table = tables[b if len(tables) > 1 else 0]
        p = resolved_by_id[id(params_list[b if len(params_list) > 1 else 0])]
        key = (id(table), p.key)
        index = table_index.get(key)
        if index is None:
            columns, codes, kinds = encoded_by_id[id(table)]
            kind_radius, kind_channel = _kind_tables(kinds or [None], p, caches[p.key[0]])
            index = table_index[key] = len(kernel_tables)
            kernel_tables.append((columns.x, columns.y, columns.z, columns.occupancy,
                                  codes, kind_radius, kind_channel))
        table_of_image.append(index)
        per_image.append((*p.center, p.resolution_A, p.max_radius_A))
    table_of_image = np.array(table_of_image, dtype=np.intc)
    per_image = np.array(per_image, dtype=np.float64).reshape(n_images, 5)
    centers = np.ascontiguousarray(per_image[:, :3])
    resolutions = np.ascontiguousarray(per_image[:, 3])
    max_radii = np.ascontiguousarray(per_image[:, 4])

    status, bad_row = _kernels.fill_images(
        images, kernel_tables, table_of_image, centers, resolutions, max_radii,
        int(num_threads),
    )
    failed = np.flatnonzero(status)
    if failed.size:
        b = int(failed[0])
        table = tables[b if len(tables) > 1 else 0]
        columns = encoded_by_id[id(table)][0]
        row = int(bad_row[b])
        _raise_for_row(
            int(status[b]), row, columns.elements[row] if row >= 0 else None,
            resolved_by_id[id(params_list[b if len(params_list) > 1 else 0])],
            caches[resolved_by_id[id(params_list[b if len(params_list) > 1 else 0])].key[0]],
            where=f"image {b}: " if n_images > 1 else "",
        )
    return images
