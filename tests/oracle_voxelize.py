"""A plain pure-Python implementation of the original algorithm: the test oracle.

Written from the original's specification (../shared/spec/ORIGINAL_MODULE.md),
with the same names, signatures and arithmetic order, and overlap volumes from
the ``overlap`` package (a test-only dependency; voxelize_cy never imports
it).  It is slow (~40 ms per seed image) and exists to be obviously right:
the tests compare voxelize_cy against it on arbitrary inputs, and
``profiling/`` uses it as the honest "before".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from math import pi
from numbers import Real
from typing import Optional

import numpy as np
import overlap


@dataclass(frozen=True)
class Sphere:
    center_A: np.ndarray
    radius_A: float

    @cached_property
    def volume_A3(self):
        return 4 / 3 * pi * self.radius_A**3


@dataclass(frozen=True)
class Cube:
    center_A: np.ndarray
    length_A: float


@dataclass(frozen=True)
class Atom:
    sphere: Sphere
    channel: int
    occupancy: float


@dataclass(frozen=True)
class Grid:
    length_voxels: int
    resolution_A: float
    center_A: np.ndarray = field(default_factory=lambda: np.zeros(3))

    @cached_property
    def length_A(self):
        return self.length_voxels * self.resolution_A

    @cached_property
    def shape(self):
        return 3 * (self.length_voxels,)


@dataclass
class ImageParams:
    grid: Grid
    channels: list
    element_radii_A: object


def image_from_atoms(atoms, img_params, channel_cache: Optional[dict] = None):
    """The image of ``atoms`` (a pandas DataFrame), one atom at a time."""
    img = _make_empty_image(img_params)
    channel_cache = {} if channel_cache is None else channel_cache
    atoms = _discard_atoms_outside_image(atoms, img_params)
    for row in atoms.itertuples(index=False):
        atom = _make_atom(row, img_params, channel_cache)
        _add_atom_to_image(img, img_params.grid, atom)
    return img


def _add_atom_to_image(img, grid, atom):
    sphere = atom.sphere
    for voxel in _find_voxels_possibly_contacting_sphere(grid, sphere):
        index = (atom.channel, *voxel)
        cube = _make_cube(grid, voxel)
        overlap_A3 = _calc_sphere_cube_overlap_volume_A3(sphere, cube)
        img[index] += atom.occupancy * overlap_A3 / sphere.volume_A3


def _calc_sphere_cube_overlap_volume_A3(sphere, cube):
    # Hexahedron vertices in the order the `overlap` package expects (CGNS).
    h = cube.length_A / 2
    corners = np.array([
        [-h, -h, -h], [h, -h, -h], [h, h, -h], [-h, h, -h],
        [-h, -h, h], [h, -h, h], [h, h, h], [-h, h, h],
    ])
    hexahedron = overlap.Hexahedron(corners + cube.center_A)
    ball = overlap.Sphere(sphere.center_A, sphere.radius_A)
    overlap_A3 = overlap.overlap_volume(ball, hexahedron)
    if not (0 <= overlap_A3 <= sphere.volume_A3 * (1 + 1e-6)):
        raise RuntimeError(
            f"numerical instability in overlap: overlap volume ({overlap_A3} A^3) "
            f"outside [0, sphere volume ({sphere.volume_A3} A^3)]"
        )
    return overlap_A3


def _find_voxels_possibly_contacting_sphere(grid, sphere):
    probes = sphere.center_A + np.array([
        [1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1],
    ]) * sphere.radius_A
    hits = _find_voxels_containing_coords(grid, probes)
    lo = hits.min(axis=0)
    hi = hits.max(axis=0)
    mesh = np.meshgrid(*[np.arange(lo[i], hi[i] + 1) for i in range(3)])
    voxels = np.vstack([m.flat for m in mesh]).T
    return _discard_voxels_outside_image(grid, voxels)


def _find_voxels_containing_coords(grid, coords_A):
    center_to_coords_A = coords_A - grid.center_A
    origin_to_center_A = grid.resolution_A * (grid.length_voxels - 1) / 2
    origin_to_coords_A = origin_to_center_A + center_to_coords_A
    return np.rint(origin_to_coords_A / grid.resolution_A).astype(int)


def _discard_atoms_outside_image(atoms, img_params):
    grid = img_params.grid
    max_r = _get_max_element_radius(img_params.element_radii_A)
    lo = grid.center_A - (grid.length_A / 2 + max_r)
    hi = grid.center_A + (grid.length_A / 2 + max_r)
    return atoms[
        (atoms["x"] > lo[0]) & (atoms["x"] < hi[0])
        & (atoms["y"] > lo[1]) & (atoms["y"] < hi[1])
        & (atoms["z"] > lo[2]) & (atoms["z"] < hi[2])
    ]


def _discard_voxels_outside_image(grid, voxels):
    inside = (voxels.min(axis=1) >= 0) & (voxels.max(axis=1) < grid.length_voxels)
    return voxels[inside]


def _get_voxel_center_coords(grid, voxels):
    return grid.center_A + (voxels - (grid.length_voxels - 1) / 2) * grid.resolution_A


def _make_empty_image(img_params):
    return np.zeros((len(img_params.channels), *img_params.grid.shape))


def _make_cube(grid, voxel):
    return Cube(_get_voxel_center_coords(grid, voxel), grid.resolution_A)


def _make_atom(row, img_params, channel_cache):
    return Atom(
        sphere=Sphere(
            center_A=np.array([row.x, row.y, row.z]),
            radius_A=_get_element_radius(img_params.element_radii_A, row.element),
        ),
        channel=_get_element_channel(img_params.channels, row.element, channel_cache),
        occupancy=row.occupancy,
    )


def _get_element_radius(radii, element):
    if isinstance(radii, Real):
        return radii
    try:
        return radii[element]
    except KeyError:
        return radii["*"]


def _get_max_element_radius(radii):
    if isinstance(radii, Real):
        return radii
    return max(radii.values())


def _get_element_channel(channels, element, cache):
    if element in cache:
        return cache[element]
    for i, pattern in enumerate(channels):
        if re.fullmatch(pattern, element):
            cache[element] = i
            return i
    raise RuntimeError(f"element {element} didn't match any channels")
