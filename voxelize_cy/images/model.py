"""The original module's data model and helpers, with the same names,
signatures and results.

Data classes: ``Sphere``, ``Cube``, ``Atom``, ``Grid`` (frozen) and
``ImageParams``; ``Image`` is the type of an image (a numpy array of shape
``(channels, L, L, L)``).  Helpers: ``_get_element_radius``,
``_get_element_channel``, ``_discard_atoms_outside_image``,
``_add_atom_to_image`` … as the original defines them; the ones that touch
voxels run on the compiled kernels.

Conventions: coordinates and lengths in ångströms (``_A``), volumes in Å³
(``_A3``); voxel indices ``(i, j, k)`` run along ``(x, y, z)``.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, field
from functools import cached_property
from math import pi
from typing import TYPE_CHECKING, Union

import numpy as np
from numpy.typing import NDArray

from voxelize_cy import core
from voxelize_cy.core import Aggregation, Fill, Screen, TableSource
from voxelize_cy.images._call import RowReport, run_kernel
from voxelize_cy.images._checks import (
    center_tuple,
    check_length_voxels,
    check_radius,
    check_resolution,
)
from voxelize_cy.images._tables import float_column, module_of

if TYPE_CHECKING:
    from voxelize_cy.chemistry.channel_sets import ChannelSet

__all__ = ["Atom", "Cube", "Grid", "Image", "ImageParams", "Sphere"]

#: An image: ``numpy.ndarray`` of shape ``(channels, L, L, L)`` (float64 by default).
Image = NDArray

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
        check_length_voxels(self.length_voxels)
        check_resolution(self.resolution_A)

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
    channels : list of str, or the name of a channel set
        Regular expressions ``re.fullmatch``-ed against each atom's element;
        the first match gives the atom's channel.  Or one of ``CHANNEL_SETS``
        (``"gnina-receptor"`` …), whose channels and radii come from the
        table's typed columns (``add_channels``).
    element_radii_A : float or dict of str to float, or None
        One radius (Å) for every atom, or a radius per element with an
        optional ``'*'`` default.  None with a channel set.
    """

    grid: Grid
    channels: Union[list[str], str, ChannelSet]
    element_radii_A: Union[float, dict[str, float], None]


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
    get = atoms.get_column if module_of(atoms) == "polars" else atoms.__getitem__
    xyz = [float_column(get(name), name) for name in ("x", "y", "z")]
    selected = core.find_atoms_in_box(
        *xyz,
        center_tuple(grid.center_A), float(grid.resolution_A),
        int(grid.length_voxels), float(max_r),
    )
    if hasattr(atoms, "iloc"):
        return atoms.iloc[selected]
    if module_of(atoms) == "polars":
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
    if not (isinstance(img, np.ndarray) and img.dtype in (np.float32, np.float64)
            and img.ndim == 4 and img.flags.c_contiguous and img.flags.writeable
            and img.shape[1:] == tuple(grid.shape)):
        raise ValueError(
            "img must be a writeable C-contiguous float32/float64 array of shape "
            f"(C, {grid.length_voxels}, {grid.length_voxels}, {grid.length_voxels})"
        )
    channel = int(atom.channel)
    if not 0 <= channel < img.shape[0]:
        raise ValueError(f"atom channel {channel} outside the image's {img.shape[0]} channels")
    radius_A = check_radius(atom.sphere.radius_A, "atom radius")
    center = center_tuple(atom.sphere.center_A, what="atom centre")
    occupancy = float(atom.occupancy)
    if not (math.isfinite(occupancy) and occupancy >= 0):
        raise ValueError(f"atom occupancy must be finite and >= 0, got {atom.occupancy!r}")
    source = TableSource(
        np.array([center[0]]), np.array([center[1]]), np.array([center[2]]),
        np.array([occupancy]), None, radius=np.array([radius_A]),
        channel_start=np.array([0, 1]), channels=np.array([channel]),
    )
    cx, cy, cz = center_tuple(grid.center_A)
    run_kernel(lambda screen: core.draw_image(
        img, source, None, None, cx, cy, cz, float(grid.resolution_A), radius_A, None,
        Fill.FILL_FRACTION_ATOM, Aggregation.AGG_SUM, screen), lambda image: RowReport(),
        Screen.SCREEN_NONE)  # the atom was checked above


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
    return core.sphere_box_overlap_A3(
        c[0], c[1], c[2], float(sphere.radius_A),
        b[0] - h, b[0] + h, b[1] - h, b[1] + h, b[2] - h, b[2] + h,
    )
