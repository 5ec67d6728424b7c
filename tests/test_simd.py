"""The exact fill's SIMD paths and its arctangent.

The block kernels (overlap_block.c, overlap_small.c) are compiled for
baseline x86-64 (SSE2), AVX2 and AVX-512F and picked at run time.  Every
path must give bitwise the same images; each path is forced here in turn.
The kernels' own arctangent (a polynomial, not libm's atan2) must be within
2 ulp of numpy's, and the images built on it must keep the exact fill's
accuracy (the single-box routine, which uses libm, is the reference in
test_overlap.py; tangent balls here).
"""

import json
import math

import numpy as np
import pytest
from conftest import DATA, golden_atoms

import voxelize_cy as vc
from voxelize_cy.core import _draw

PATHS = _draw.simd_paths()


@pytest.fixture(autouse=True)
def best_path_afterwards():
    yield
    _draw.simd_path("best")


def test_paths_are_known_and_forcible():
    assert PATHS[0] == "sse2"
    assert set(PATHS) <= {"sse2", "avx2", "avx512"}
    for path in PATHS:
        assert _draw.simd_path(path) == path
        assert _draw.simd_path() == path
    with pytest.raises(ValueError, match="simd path must be one of"):
        _draw.simd_path("neon")
    missing = [p for p in ("sse2", "avx2", "avx512") if p not in PATHS]
    for path in missing:
        with pytest.raises(ValueError, match="has no"):
            _draw.simd_path(path)
    assert _draw.simd_path("best") == PATHS[-1]


def random_scene(rng, n_atoms, radius_voxels):
    """Atoms of one radius (in voxels) around and across a 12-voxel grid."""
    res = float(rng.choice([0.5, 0.75, 1.0]))
    grid = vc.Grid(12, res, rng.uniform(-3, 3, 3))
    spread = 0.6 * grid.length_A
    xyz = np.asarray(grid.center_A) + rng.uniform(-spread, spread, (n_atoms, 3))
    atoms = {"element": rng.choice(np.array(["C", "N", "O"], dtype=object), n_atoms),
             "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2],
             "occupancy": rng.uniform(0.2, 1.0, n_atoms)}
    radius = radius_voxels * res
    return atoms, vc.ImageParams(grid, ["C", "N", "O"], radius)


def images_on(path, atoms, params):
    _draw.simd_path(path)
    out = {}
    for fill in ("fraction_atom", "overlap_A3", "fraction_voxel"):
        for agg in ("sum", "max"):
            for dtype in (np.float64, np.float32):
                out[fill, agg, np.dtype(dtype).name] = vc.image_from_atoms(
                    atoms, params, fill=fill, agg=agg, dtype=dtype)
    out["batch"] = vc.images_from_atoms(vc.prepare_atoms(atoms), [params, params],
                                        num_threads=2)
    return out


# Radii (in voxels) for each kernel: a ball of at most 2 voxels per axis
# (3-plane small kernel), 3 voxels (4-plane small kernel), and larger balls
# and balls cut by the grid's edge (the general block kernel).
@pytest.mark.parametrize("radius_voxels", [0.05, 0.3, 0.5, 0.8, 1.0, 1.4, 2.2, 4.5])
def test_every_path_gives_bitwise_the_same_images(radius_voxels):
    rng = np.random.default_rng(int(radius_voxels * 1000))
    atoms, params = random_scene(rng, 60, radius_voxels)
    reference = images_on(PATHS[0], atoms, params)
    assert reference["fraction_atom", "sum", "float64"].sum() > 0
    for path in PATHS[1:]:
        other = images_on(path, atoms, params)
        for key, image in reference.items():
            assert np.array_equal(other[key], image), (path, key)


def test_every_path_gives_bitwise_the_same_golden_images():
    cases = json.loads((DATA / "golden" / "cases.json").read_text())
    npz = np.load(DATA / "golden" / "golden.npz")
    picked = [c for c in cases if c["id"].endswith("-0")]
    assert picked
    for case in picked:
        atoms = golden_atoms(npz, case["structure"])
        params = vc.ImageParams(vc.Grid(case["length_voxels"], case["resolution_A"],
                                        np.array(case["center_A"])),
                                case["channels"], case["element_radii_A"])
        images = {}
        for path in PATHS:
            _draw.simd_path(path)
            images[path] = vc.image_from_atoms(atoms, params)
        for path in PATHS[1:]:
            assert np.array_equal(images[path], images[PATHS[0]]), (case["id"], path)
        golden = npz[f"{case['id']}/image"]
        assert np.abs(images[PATHS[0]] - golden).max() <= 1e-13


def ulp(x):
    return np.spacing(np.abs(x))


def first_quadrant_pairs(rng, n):
    """(y, x) >= 0 over many scales and ratios, with the special points."""
    angle = rng.uniform(0, math.pi / 2, n)
    scale = 10.0 ** rng.uniform(-300, 300, n)
    y, x = np.sin(angle) * scale, np.cos(angle) * scale
    special = np.array([(0, 0), (0, 1), (1, 0), (1, 1), (1e-300, 1), (1, 1e-300),
                        (math.tan(math.pi / 8), 1), (1, math.tan(math.pi / 8)),
                        (np.nextafter(math.tan(math.pi / 8), 1), 1), (2.0, 2.0),
                        (1e-17, 1), (0.3, 0.3 + 1e-16), (5e-324, 1)], dtype=float)
    ratios = np.geomspace(1e-9, 1e9, 2001)
    return (np.concatenate([y, special[:, 0], ratios, np.ones_like(ratios)]),
            np.concatenate([x, special[:, 1], np.ones_like(ratios), ratios]))


def test_arctangent_within_two_ulp_on_every_path():
    y, x = first_quadrant_pairs(np.random.default_rng(22), 200_000)
    reference = np.arctan2(y, x)
    results = {}
    for path in PATHS:
        _draw.simd_path(path)
        results[path] = _draw.first_quadrant_atan2(y, x)
    ours = results[PATHS[0]]
    for path in PATHS[1:]:
        assert np.array_equal(results[path], ours), path
    error_ulps = np.abs(ours - reference) / np.maximum(ulp(reference), 5e-324)
    assert error_ulps.max() <= 2.0, (error_ulps.max(), y[error_ulps.argmax()],
                                     x[error_ulps.argmax()])
    assert ours[(y == 0) & (x > 0)].max() == 0.0
    assert np.all(ours[(x == 0) & (y > 0)] == np.float64(math.pi / 2))
    assert np.all((ours >= 0) & (ours <= math.pi / 2))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("radius_voxels", [0.5, 1.0, 1.5, 3.0])
def test_tangent_balls_are_exact(path, radius_voxels):
    """A ball whose extremes touch voxel faces: the voxels beyond get exactly 0,
    and the whole image sums to the atom's occupancy."""
    _draw.simd_path(path)
    res = 1.0
    r = radius_voxels * res
    grid = vc.Grid(10, res)
    # voxel faces of a 10-voxel grid centred at 0 lie on integers; put the ball's
    # extremes on faces along x, on a face along y, and at a voxel centre in z
    for center in ([0.0 + (r % 1), 0.0, 0.5], [1.0 - (r % 1), 1.0 + (r % 1), 0.0],
                   [0.0, 0.0, 0.0]):
        atoms = {"element": ["C"], "x": [center[0]], "y": [center[1]], "z": [center[2]],
                 "occupancy": [1.0]}
        image = vc.image_from_atoms(atoms, vc.ImageParams(grid, [".*"], r))[0]
        assert math.fsum(image.ravel()) == pytest.approx(1.0, abs=1e-13)
        lower_x = center[0] - r
        if float(lower_x).is_integer():
            first = int(lower_x + 5)  # voxel index whose lower face is at lower_x
            if 0 < first <= 10:
                assert np.all(image[:first] == 0.0), center
        upper_x = center[0] + r
        if float(upper_x).is_integer():
            last = int(upper_x + 5)
            if 0 <= last < 10:
                assert np.all(image[last:] == 0.0), center


def small_blocks(rng, n_blocks):
    """Corner planes and far distances of the blocks of random balls of about
    a voxel, as the exact fill builds them (some cut short, as at the image's
    edge), with planes exactly on the sphere and through the centre."""
    blocks = []
    for _ in range(n_blocks):
        res = rng.choice([0.5, 0.75, 1.0])
        r = res * rng.choice([0.3, 0.5, 0.7, 0.75, 0.95, 1.0, 1.2])
        axes = []
        for _axis in range(3):
            c = rng.uniform(0, res)
            if rng.random() < 0.1:  # a plane through the centre or on the sphere
                c = rng.choice([0.5 * res, 0.5 * res + r, 0.5 * res - r, 1.5 * res - r])
            lo, hi = int(np.rint((c - r) / res)), int(np.rint((c + r) / res))
            if hi > lo and rng.random() < 0.1:  # cut by the image's edge
                lo, hi = (lo + 1, hi) if rng.random() < 0.5 else (lo, hi - 1)
            t = ((np.arange(lo, hi + 2) - 0.5) * res - c) / r
            far2 = np.maximum(t[:-1] ** 2, t[1:] ** 2)
            axes.append((np.clip(t, -1, 1), far2))
        blocks.append(axes)
    return blocks


def is_usual(planes):
    """The block the small kernel's vector tail takes: 3 or 4 planes per axis,
    the outer two beyond the ball and the rest inside it."""
    n = planes.shape[0]
    return n in (3, 4) and abs(planes[0]) >= 1 and abs(planes[-1]) >= 1 and bool(
        np.all(np.abs(planes[1:-1]) < 1))


def test_small_kernel_vector_tail_gives_the_general_tails_bits():
    rng = np.random.default_rng(30)
    blocks = small_blocks(rng, 3000)
    usual = fits = 0
    for axes in blocks:
        (ux, fx), (uy, fy), (uz, fz) = axes
        args = (ux, uy, uz, fx, fy, fz, 1.0, 0.6, 0.25)
        general = _draw.small_block_values(*args, general=True)
        sizes = {ux.shape[0], uy.shape[0], uz.shape[0]}
        usual += all(is_usual(u) for u in (ux, uy, uz)) and len(sizes) == 1
        fits += general is not None
        for path in PATHS:
            _draw.simd_path(path)
            values = _draw.small_block_values(*args)
            assert (values is None) == (general is None)
            if general is not None:
                assert np.array_equal(values, general), (path, axes)
                assert values.tobytes() == general.tobytes(), (path, axes)
    assert usual > 600 and fits > 2000, (usual, fits)


def test_small_block_values_names_a_bad_block():
    with pytest.raises(ValueError, match="u_y needs 2 planes or more"):
        _draw.small_block_values([-1, 0, 1], [-1], [-1, 1], [1, 1], [], [1], 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="far2_z one fewer"):
        _draw.small_block_values([-1, 0, 1], [-1, 1], [-1, 1], [1, 1], [1], [1, 1], 1.0, 1.0,
                                 1.0)
