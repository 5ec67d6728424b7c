"""Fuzzing with extreme values: no crash, no NaN, no value outside its bounds.

Coordinates up to ±1e300, radii from 1e-9 to 1e6 Å (a ball covering the whole
image), grids from 1 to 256 voxels, atoms exactly on voxel faces and image
borders.  Bounds: every voxel in [0, total occupancy]; a voxel's share of one
atom never above min(1, voxel volume / ball volume).
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import voxelize_cy as vc
from voxelize_cy.core import _kernels

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

finite = st.floats(allow_nan=False, allow_infinity=False)
extreme_coordinate = st.one_of(
    st.floats(-1e300, 1e300, allow_nan=False),
    st.floats(-50, 50, allow_nan=False),
    st.sampled_from([0.0, 0.5, -0.5, 1.0, -1.0, 7.5, -7.5, 1e-300, -1e-300]),
)
radius_A = st.one_of(
    st.floats(1e-9, 1e6),
    st.sampled_from([1e-9, 1e-6, 0.5, 1.0, 1e3, 1e6]),
)


@st.composite
def extreme_scene(draw):
    # Big grids only with moderate radii, so one example stays fast; radii up
    # to 1e6 (every voxel of the image inside one ball) on grids up to 64.
    length = draw(st.one_of(st.integers(1, 8), st.sampled_from([15, 32, 64, 128, 256])))
    resolution = draw(st.sampled_from([1e-3, 0.1, 0.5, 1.0, 3.0, 1e3]))
    center = np.array(draw(st.tuples(*[st.sampled_from([0.0, 0.25, -3.0, 1e5])] * 3)))
    grid = vc.Grid(length, resolution, center)
    max_radius = 1e6 if length <= 64 else 3 * resolution
    n = draw(st.integers(0, 6))
    rows = []
    for _ in range(n):
        coord = []
        for axis in range(3):
            kind = draw(st.integers(0, 2))
            if kind == 0:  # on a voxel face or the image border
                k = draw(st.integers(-length, length))
                coord.append(center[axis] + k * resolution / 2)
            elif kind == 1:  # anywhere near the image
                coord.append(center[axis] + draw(st.floats(-1, 1)) * length * resolution)
            else:
                coord.append(draw(extreme_coordinate))
        rows.append(("C", *coord, draw(st.sampled_from([0.0, 0.5, 1.0, 1e-300, 1e300]))))
    atoms = pd.DataFrame(rows, columns=["element", "x", "y", "z", "occupancy"]).astype(
        {"x": float, "y": float, "z": float, "occupancy": float})
    radius = min(draw(radius_A), max_radius)
    return atoms, vc.ImageParams(grid, ["C"], radius)


def check_bounds(img, atoms, params):
    assert not np.isnan(img).any()
    assert img.min(initial=0) >= 0
    total = float(atoms["occupancy"].sum())
    assert img.max(initial=0) <= total * (1 + 1e-9) + 1e-300
    if len(atoms) == 1:
        r = params.element_radii_A
        share = min(1.0, (params.grid.resolution_A / r) ** 3 / (4 / 3 * math.pi))
        assert img.max(initial=0) <= total * share * (1 + 1e-9)


@FUZZ
@given(extreme_scene())
def test_fuzz_image_from_atoms(scene):
    atoms, params = scene
    img = vc.image_from_atoms(atoms, params)
    check_bounds(img, atoms, params)
    if np.isfinite(atoms["occupancy"]).all() and (atoms["occupancy"] <= 1).all():
        assert img.sum() <= atoms["occupancy"].sum() * (1 + 1e-9) + 1e-12


@FUZZ
@given(extreme_scene(), st.integers(1, 3))
def test_fuzz_images_from_atoms_equals_single(scene, n_images):
    atoms, params = scene
    if params.grid.length_voxels > 64:
        return  # the single-image test covers big grids; keep this one quick
    batch = vc.images_from_atoms(atoms, [params] * n_images, num_threads=2)
    single = vc.image_from_atoms(atoms, params)
    for b in range(n_images):
        assert np.array_equal(batch[b], single)
    check_bounds(single, atoms, params)


@FUZZ
@given(st.tuples(finite, finite, finite), st.floats(0, 1e300),
       st.tuples(finite, finite, finite), st.tuples(*[st.floats(0, 1e300)] * 3))
def test_fuzz_overlap_routine(center, radius, lo, size):
    hi = tuple(a + s for a, s in zip(lo, size))
    v = _kernels.sphere_box_overlap_A3(*center, radius, lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])
    assert not math.isnan(v)
    assert v >= 0
    with np.errstate(over="ignore", invalid="ignore"):  # inf/NaN bounds are fine here
        ball = float(4 / 3 * np.pi * np.float64(radius) ** 3)
        box = float(np.float64(hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2]))
    assert v <= min(ball, box) * (1 + 1e-12) or v == 0


def test_ball_covering_a_256_voxel_image_fills_it_exactly():
    grid = vc.Grid(256, 0.5)
    atoms = pd.DataFrame({"element": ["C"], "x": [0.1], "y": [-0.2], "z": [0.3],
                          "occupancy": [1.0]})
    r = 1e6
    img = vc.image_from_atoms(atoms, vc.ImageParams(grid, ["C"], r))
    expected = grid.resolution_A**3 / (4 / 3 * math.pi * r**3)
    assert np.all(img == img.flat[0])
    assert img.flat[0] == pytest.approx(expected, rel=1e-15)


def test_sphere_surface_cutting_a_large_image_is_exact_and_bounded():
    """A huge ball whose surface crosses the image: partial voxels along a sheet."""
    grid = vc.Grid(64, 1.0)
    r = 1e4
    atoms = pd.DataFrame({"element": ["C"], "x": [r + 0.37], "y": [0.0], "z": [0.0],
                          "occupancy": [1.0]})
    img = vc.image_from_atoms(atoms, vc.ImageParams(grid, ["C"], r))
    ball = 4 / 3 * math.pi * r**3
    # Voxels with x-centre below -0.37 - 0.5 are outside, above +0.13 inside
    # (the surface is nearly flat across 64 voxels).
    assert img.max() <= 1 / ball * (1 + 1e-12)
    assert img.min() >= 0
    inside = img[0, 40, 32, 32] * ball
    outside = img[0, 20, 32, 32] * ball
    assert inside == pytest.approx(1.0, rel=1e-14) and outside == 0.0
