"""The C overlap routine against the `overlap` package and known values (the cases docs/accuracy.md describes).

Bar: |ours - theirs| <= 1e-12 * (4/3 pi r^3) + 1e-14 * res^3 over random
configurations that include balls fully inside, fully outside, tangent to
faces, edges and corners, centred on corners/edges/faces, r from 1e-3 res to
50 res.  10,000 configurations by default; 100,000 with --run-slow.
Reference values outside [0, min(ball, box)] are a known weakness of
`overlap` 0.2.0 and are not used as truth; that family is checked against 0.

A second weakness of `overlap` 0.2.0 turned up here: when the sphere passes
through a corner of the box or is tangent to the line through an edge (to
rounding), it can be off by up to a quarter of the ball.  For those configurations (and only those) the reference is taken at a
centre moved by 1e-7 r, where it is well-conditioned, and our value must match
it within the tolerance plus the most the volume can change over that move
(sphere area x 1e-7 r = 3e-7 of the ball).
"""

import math

import numpy as np
import pytest

import voxelize_cy as vc
from voxelize_cy.core import _kernels

overlap = pytest.importorskip("overlap")

FOUR_THIRDS_PI = 4 / 3 * math.pi


def reference_overlap(center, radius, lo, hi):
    """`overlap`'s value, computed in the ball's unit frame (centre at the
    origin, radius 1) and scaled back by r^3: at the original scale it loses
    precision for a ball much smaller than its distance from the origin (a
    ball of r = 3e-4 at 0.4 from the origin came out 16% small)."""
    center = np.asarray(center, dtype=float)
    x0, y0, z0 = (np.asarray(lo, dtype=float) - center) / radius
    x1, y1, z1 = (np.asarray(hi, dtype=float) - center) / radius
    verts = np.array([
        [x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0],
        [x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1],
    ])
    unit = overlap.overlap_volume(overlap.Sphere(np.zeros(3), 1.0), overlap.Hexahedron(verts))
    return unit * radius ** 3


def random_configurations(n, seed):
    """n (center, radius, lo, hi) tuples covering the families of ball-box configurations
    (inside, crossing faces, edges and corners, tangent, outside)."""
    rng = np.random.default_rng(seed)
    res = 10.0 ** rng.uniform(-1, 1, n)           # voxel side
    radius = res * 10.0 ** rng.uniform(-3, math.log10(50), n)
    lo = np.floor(rng.uniform(-3, 3, (n, 3))) * res[:, None]
    hi = lo + res[:, None]
    # Ball centre somewhere near the box, within reach of it.
    center = lo + res[:, None] / 2 + rng.uniform(-1, 1, (n, 3)) * (radius + res)[:, None]
    family = rng.integers(0, 8, n)
    for i in range(n):
        f = family[i]
        corner = lo[i] + rng.integers(0, 2, 3) * res[i]
        if f == 1:    # centred on a corner
            center[i] = corner
        elif f == 2:  # centred on an edge line
            center[i] = corner
            center[i, rng.integers(3)] += rng.uniform(-1, 2) * res[i]
        elif f == 3:  # centred on a face plane
            axis = rng.integers(3)
            center[i, axis] = corner[axis]
        elif f == 4:  # tangent to a face from outside or inside
            axis = rng.integers(3)
            side = rng.integers(2)
            sign = rng.choice([-1.0, 1.0])
            center[i, axis] = (hi[i, axis] if side else lo[i, axis]) + sign * radius[i]
        elif f == 5:  # tangent to an edge (distance r from the edge line)
            a, b = rng.choice(3, 2, replace=False)
            ang = rng.uniform(0, 2 * math.pi)
            center[i, a] = corner[a] + radius[i] * math.cos(ang)
            center[i, b] = corner[b] + radius[i] * math.sin(ang)
        elif f == 6:  # tangent to a corner
            d = rng.normal(size=3)
            center[i] = corner + radius[i] * d / np.linalg.norm(d)
        # f in (0, 7): generic position
    return center, radius, lo, hi


def touches_edge_or_corner(center, radius, lo, hi, rel=1e-12):
    """True when the sphere passes through a box corner or is tangent to the
    line through a box edge (to ``rel * radius``)."""
    d = [np.array([lo[a] - center[a], hi[a] - center[a]]) for a in range(3)]
    for a, b in ((0, 1), (0, 2), (1, 2)):
        for da in d[a]:
            for db in d[b]:
                if abs(math.hypot(da, db) - radius) <= rel * radius:
                    return True
    for dx in d[0]:
        for dy in d[1]:
            for dz in d[2]:
                if abs(math.sqrt(dx * dx + dy * dy + dz * dz) - radius) <= rel * radius:
                    return True
    return False


def check_against_reference(n, seed):
    center, radius, lo, hi = random_configurations(n, seed)
    ours = _kernels.sphere_box_overlaps_A3(center, radius, lo, hi)
    rng = np.random.default_rng(seed + 1)
    worst = 0.0
    compared = 0
    corner_family = 0
    for i in range(n):
        ball = FOUR_THIRDS_PI * radius[i] ** 3
        box = float(np.prod(hi[i] - lo[i]))
        # Our own bounds hold for every configuration.
        assert 0.0 <= ours[i] <= min(ball, box) * (1 + 1e-15), (center[i], radius[i])
        theirs = reference_overlap(center[i], radius[i], lo[i], hi[i])
        if not (0.0 <= theirs <= min(ball, box) * (1 + 1e-12)):
            continue  # the reference's documented failure family: see test below
        tol = 1e-12 * ball + 1e-14 * box
        err = abs(ours[i] - theirs)
        if err > tol and touches_edge_or_corner(center[i], radius[i], lo[i], hi[i]):
            corner_family += 1
            step = rng.normal(size=3)
            moved = center[i] + step * (1e-7 * radius[i] / np.linalg.norm(step))
            theirs_moved = reference_overlap(moved, radius[i], lo[i], hi[i])
            ours_moved = _kernels.sphere_box_overlap_A3(
                *moved, radius[i], lo[i, 0], hi[i, 0], lo[i, 1], hi[i, 1], lo[i, 2], hi[i, 2])
            assert abs(ours_moved - theirs_moved) <= tol, (i, ours_moved, theirs_moved)
            assert abs(ours[i] - ours_moved) <= 3e-7 * ball + tol, (i, ours[i], ours_moved)
            continue
        assert err <= tol, (
            f"config {i}: center={center[i].tolist()} r={radius[i]!r} lo={lo[i].tolist()} "
            f"hi={hi[i].tolist()}: ours={ours[i]!r} overlap={theirs!r} err={err:.3g} tol={tol:.3g}"
        )
        worst = max(worst, err / tol)
        compared += 1
    assert compared >= 0.95 * n
    return worst, compared, corner_family


def test_against_overlap_package_10k():
    worst, compared, corner_family = check_against_reference(10_000, seed=20261124)
    print(f"10,000 configurations: {compared} compared directly, worst error "
          f"{worst:.3g} x tolerance; {corner_family} edge/corner-tangent checked via a 1e-7 r move")
    assert worst <= 1.0


@pytest.mark.slow
def test_against_overlap_package_100k():
    worst, compared, corner_family = check_against_reference(100_000, seed=1)
    print(f"100,000 configurations: {compared} compared directly, worst error "
          f"{worst:.3g} x tolerance; {corner_family} edge/corner-tangent checked via a 1e-7 r move")
    assert worst <= 1.0


@pytest.mark.parametrize("fraction, cube_center", [
    (1.0, (0, 0, 0)), (0.5, (1, 0, 0)), (0.25, (1, 1, 0)), (0.125, (1, 1, 1)),
])
def test_known_fractions(fraction, cube_center):
    v = _kernels.sphere_box_overlap_A3(
        0.0, 0.0, 0.0, 1.0,
        cube_center[0] - 1, cube_center[0] + 1, cube_center[1] - 1, cube_center[1] + 1,
        cube_center[2] - 1, cube_center[2] + 1,
    )
    assert v / FOUR_THIRDS_PI == pytest.approx(fraction, rel=1e-14)


def test_unit_ball_on_cube_corner_is_pi_over_6():
    v = _kernels.sphere_box_overlap_A3(1.0, 1.0, 1.0, 1.0, -1, 1, -1, 1, -1, 1)
    assert v == pytest.approx(math.pi / 6, rel=1e-15)


@pytest.mark.parametrize("radius_in_voxels", [0.001, 0.3, 0.5, 1.0, 2.7, 10.0, 50.0])
def test_block_of_voxels_sums_to_ball_volume(radius_in_voxels):
    """Every voxel of a block that covers the ball: the sum is 4/3 pi r^3."""
    res = 0.75
    r = radius_in_voxels * res
    center = np.array([0.123, -0.456, 0.789]) * res
    n = int(math.ceil(r / res)) + 2
    edges = (np.arange(-n, n + 1)) * res
    lo = np.array(np.meshgrid(edges[:-1], edges[:-1], edges[:-1], indexing="ij")).reshape(3, -1).T
    lo = np.ascontiguousarray(lo)
    hi = np.ascontiguousarray(lo + res)
    m = lo.shape[0]
    v = _kernels.sphere_box_overlaps_A3(
        np.ascontiguousarray(np.tile(center, (m, 1))), np.full(m, r), lo, hi
    )
    assert math.fsum(v) == pytest.approx(FOUR_THIRDS_PI * r**3, rel=1e-12)


def test_image_of_one_atom_sums_to_one_for_every_radius():
    """The voxel-grid path (shared corners) also conserves volume, up to 50 voxels."""
    for radius in [0.01, 0.5, 1.3, 4.0, 12.5]:
        params = vc.ImageParams(vc.Grid(2 * int(radius) + 5, 1.0), [".*"], radius)
        atoms = {"element": np.array(["C"], dtype=object), "x": [0.3], "y": [-0.2],
                 "z": [0.1], "occupancy": [1.0]}
        img = vc.image_from_atoms(atoms, params)
        assert math.fsum(img.ravel()) == pytest.approx(1.0, rel=1e-12)
        assert img.min() >= 0


@pytest.mark.parametrize("seed", range(5))
def test_reference_weakness_tangent_on_edge_line_is_zero(seed):
    """Centre on the line through an edge, tangent to the box along the third axis.

    The true overlap is 0; `overlap` 0.2.0 may return -V/4, -3V/4 or +V/4 here.
    """
    rng = np.random.default_rng(seed)
    for _ in range(200):
        res = float(rng.choice([0.5, 1.0, 1.5]))
        r = float(rng.uniform(0.05, 3.0))
        lo = np.floor(rng.uniform(-3, 3, 3)) * res
        hi = lo + res
        a, b, c = rng.permutation(3)
        center = np.empty(3)
        center[a] = lo[a] if rng.integers(2) else hi[a]
        center[b] = lo[b] if rng.integers(2) else hi[b]
        center[c] = lo[c] - r if rng.integers(2) else hi[c] + r
        v = _kernels.sphere_box_overlap_A3(*center, r, lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])
        assert v == 0.0


def test_never_nan_negative_or_too_big_for_extreme_inputs():
    rng = np.random.default_rng(7)
    for _ in range(5000):
        scale = 10.0 ** rng.uniform(-9, 300)
        center = rng.normal(size=3) * scale
        r = 10.0 ** rng.uniform(-9, 6)
        lo = rng.normal(size=3) * 10.0 ** rng.uniform(-9, 300)
        hi = lo + 10.0 ** rng.uniform(-9, 6, 3)
        v = _kernels.sphere_box_overlap_A3(*center, r, lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])
        ball = FOUR_THIRDS_PI * r**3
        box = float(np.prod(hi - lo))
        assert not math.isnan(v)
        assert 0.0 <= v <= min(ball, box) * (1 + 1e-12) + 0.0


def test_degenerate_boxes_and_radii_give_zero():
    assert _kernels.sphere_box_overlap_A3(0, 0, 0, 1.0, 0, 0, -1, 1, -1, 1) == 0.0
    assert _kernels.sphere_box_overlap_A3(0, 0, 0, 0.0, -1, 1, -1, 1, -1, 1) == 0.0
    assert _kernels.sphere_box_overlap_A3(0, 0, 0, -1.0, -1, 1, -1, 1, -1, 1) == 0.0
    assert _kernels.sphere_box_overlap_A3(0, 0, 0, 1.0, 1, -1, -1, 1, -1, 1) == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_image_path_equals_single_box_routine(seed):
    """Two independent code paths: the image kernel (corner values shared between
    voxels, corner term rebuilt from its pair terms' angles) and the one-box
    routine (direct corner formula), voxel by voxel, radii up to 50 voxels."""
    rng = np.random.default_rng(seed)
    for _ in range(6):
        res = float(rng.choice([0.3, 0.75, 1.0]))
        r = res * float(10 ** rng.uniform(-2, math.log10(50)))
        length = int(min(2 * r / res + 4, 40))
        grid = vc.Grid(length, res, rng.uniform(-5, 5, 3))
        center = np.asarray(grid.center_A) + rng.uniform(-0.5, 0.5, 3) * grid.length_A
        img = vc.image_from_atoms(
            {"element": np.array(["C"], dtype=object), "x": [center[0]], "y": [center[1]],
             "z": [center[2]], "occupancy": [1.0]},
            vc.ImageParams(grid, [".*"], r))[0]
        idx = np.argwhere(np.ones(img.shape, dtype=bool))
        voxel_centers = vc._get_voxel_center_coords(grid, idx)
        lo = np.ascontiguousarray(voxel_centers - res / 2)
        hi = np.ascontiguousarray(voxel_centers + res / 2)
        n = len(idx)
        single = _kernels.sphere_box_overlaps_A3(
            np.ascontiguousarray(np.tile(center, (n, 1))), np.full(n, r), lo, hi)
        ball = FOUR_THIRDS_PI * r**3
        np.testing.assert_allclose(img.ravel(), single / ball, rtol=0,
                                   atol=1e-12 + 1e-14 * res**3 / ball)
