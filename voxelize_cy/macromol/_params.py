"""The macromol API's parameters: ``Grid``, ``ImageParams``, the fill and
aggregation algorithms, ``ValidationError``, and the check that turns
``ImageParams`` into the numbers the kernels take.  Public names are
re-exported by ``voxelize_cy.macromol``; import them from there.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import numbers
from dataclasses import dataclass
from typing import Optional, Tuple, Type

import numpy as np

from voxelize_cy.core import Aggregation, Fill, Screen

#: An image: ``numpy.ndarray`` of shape ``(channels, L, L, L)``.
Image = np.ndarray

#: macromol_voxelize checks coordinates and occupancies for finiteness only
SCREEN = Screen.SCREEN_FINITE


class ValidationError(ValueError):
    """Raised when errors in the input data are detected."""


class FillAlgorithm(enum.IntEnum):
    """The algorithm used to fill in each voxel of the image."""

    OverlapA3 = 0       #: the overlap volume, Å³
    FractionAtom = 1    #: the fraction of the atom in the voxel
    FractionVoxel = 2   #: the fraction of the voxel covered by the atom
    Gaussian = 3        #: libmolgrid's Gaussian density at the voxel centre (voxelize_cy's)
    Binary = 4          #: 1 where the voxel centre is inside the atom (voxelize_cy's)


class AggAlgorithm(enum.IntEnum):
    """The algorithm used to aggregate multiple fill values for a single voxel."""

    Sum = 0
    Max = 1


_DTYPES = {np.float32: np.dtype(np.float32), np.float64: np.dtype(np.float64)}

# Our kernels' fill codes of macromol_voxelize's algorithms (its numbering differs).
_FILL_CODES = {FillAlgorithm.FractionAtom: Fill.FILL_FRACTION_ATOM,
               FillAlgorithm.OverlapA3: Fill.FILL_OVERLAP_A3,
               FillAlgorithm.FractionVoxel: Fill.FILL_FRACTION_VOXEL,
               FillAlgorithm.Gaussian: Fill.FILL_GAUSSIAN, FillAlgorithm.Binary: Fill.FILL_BINARY}
# Sums of float32 images in double, as macromol_voxelize adds a double to a float.
_AGG_CODES = {AggAlgorithm.Sum: Aggregation.AGG_SUM_WIDE, AggAlgorithm.Max: Aggregation.AGG_MAX}


def _g(value: float) -> str:
    """A number as C++ streams print it (6 significant digits)."""
    return f"{value:g}"


class Grid:
    """The spatial dimensions of an image: ``length_voxels`` voxels of
    ``resolution_A`` Å along each side, centred on ``center_A``.

    Immutable; ``length_A`` and ``shape`` are derived; picklable.
    """

    __slots__ = ("_length_voxels", "_resolution_A", "_center_A")
    _length_voxels: int
    _resolution_A: float
    _center_A: np.ndarray

    def __init__(self, length_voxels: int, resolution_A: float, center_A=(0, 0, 0)):
        if isinstance(length_voxels, bool) or not isinstance(length_voxels, numbers.Integral):
            raise TypeError(f"length_voxels must be an int, got {length_voxels!r}")
        if isinstance(resolution_A, bool) or not isinstance(resolution_A, numbers.Real):
            raise TypeError(f"resolution_A must be a number, got {resolution_A!r}")
        center = np.array(center_A, dtype=np.float64)
        if center.shape != (3,):
            raise TypeError(f"center_A must be 3 numbers, got {center_A!r}")
        if length_voxels < 1:
            raise ValidationError(f"length_voxels must be >= 1, got {length_voxels}")
        if not (math.isfinite(resolution_A) and resolution_A > 0):
            raise ValidationError(f"resolution_A must be finite and > 0, got {resolution_A}")
        if not np.isfinite(center).all():
            raise ValidationError(f"center_A must be finite, got {center.tolist()}")
        center.flags.writeable = False
        object.__setattr__(self, "_length_voxels", int(length_voxels))
        object.__setattr__(self, "_resolution_A", float(resolution_A))
        object.__setattr__(self, "_center_A", center)

    def __setattr__(self, name, value):
        raise AttributeError("property of 'Grid' object has no setter")

    @property
    def length_voxels(self) -> int:
        """The number of voxels in each dimension of the image."""
        return self._length_voxels

    @property
    def resolution_A(self) -> float:
        """The size of each voxel, in Å."""
        return self._resolution_A

    @property
    def center_A(self) -> np.ndarray:
        """The coordinates of the centre of the image, in Å."""
        return self._center_A

    @property
    def length_A(self) -> float:
        """The size of the image in each dimension, in Å."""
        return self._length_voxels * self._resolution_A

    @property
    def shape(self) -> Tuple[int, int, int]:
        return (self._length_voxels,) * 3

    def __repr__(self):
        center = ", ".join(_g(c) for c in self._center_A)
        return (f"Grid(length_voxels={self._length_voxels}, "
                f"resolution_A={_g(self._resolution_A)}, center_A=[{center}])")

    def __reduce__(self):
        return (Grid, (self._length_voxels, self._resolution_A, self._center_A.copy()))

    def __eq__(self, other):
        if not isinstance(other, Grid):
            return NotImplemented
        return (self._length_voxels == other._length_voxels
                and self._resolution_A == other._resolution_A
                and np.array_equal(self._center_A, other._center_A))

    def __hash__(self):
        return hash((self._length_voxels, self._resolution_A, tuple(self._center_A)))


@dataclass
class ImageParams:
    """Parameters that apply to the image as a whole (as macromol_voxelize):
    ``channels`` (how many), ``grid``, ``dtype`` (float32 by default),
    ``max_radius_A`` (for the outside-the-image filter), ``fill_algorithm``
    and ``agg_algorithm``; and voxelize_cy's ``radius_scale`` and
    ``gaussian_radius_multiple`` for the Gaussian and Binary fills
    (libmolgrid's options)."""

    channels: int
    grid: Grid
    dtype: Type[np.floating] = np.float32
    max_radius_A: Optional[float] = None
    fill_algorithm: FillAlgorithm = FillAlgorithm.FractionAtom
    agg_algorithm: AggAlgorithm = AggAlgorithm.Sum
    # voxelize_cy's (not in macromol_voxelize's repr, which this one keeps)
    radius_scale: float = dataclasses.field(default=1.0, repr=False)
    gaussian_radius_multiple: float = dataclasses.field(default=1.0, repr=False)


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------


def _check_params(img_params):
    """(n_channels, grid, dtype, fill code, agg code) of checked ImageParams."""
    if type(img_params) is not ImageParams and not isinstance(img_params, ImageParams):
        raise TypeError(f"img_params must be an ImageParams, got {type(img_params).__name__}")
    channels = img_params.channels
    if type(channels) is not int and (isinstance(channels, bool)
                                      or not isinstance(channels, numbers.Integral)):
        raise ValidationError(f"ImageParams.channels must be an int >= 1, got {channels!r}")
    if channels < 1:
        raise ValidationError(f"ImageParams.channels must be an int >= 1, got {channels!r}")
    grid = img_params.grid
    if type(grid) is not Grid and not isinstance(grid, Grid):
        raise TypeError(f"ImageParams.grid must be a Grid, got {type(grid).__name__}")
    dtype = _DTYPES.get(img_params.dtype)
    if dtype is None:
        try:
            dtype = np.dtype(img_params.dtype)
        except TypeError:
            pass
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValidationError(f"ImageParams.dtype must be float32 or float64, got "
                                  f"{img_params.dtype!r}")
    fill = _FILL_CODES.get(img_params.fill_algorithm)
    agg = _AGG_CODES.get(img_params.agg_algorithm)
    if fill is None or agg is None:
        raise ValidationError(
            f"unknown fill or aggregation algorithm: {img_params.fill_algorithm!r}, "
            f"{img_params.agg_algorithm!r}")
    max_radius = img_params.max_radius_A
    if max_radius is not None and not (isinstance(max_radius, numbers.Real)
                                       and math.isfinite(max_radius) and max_radius >= 0):
        raise ValidationError(f"ImageParams.max_radius_A must be a finite number >= 0, "
                              f"got {max_radius!r}")
    return int(channels), grid, dtype, fill, agg
