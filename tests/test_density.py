"""fill='gaussian' and fill='binary': our own invariants (libmolgrid's grids are
compared in test_molgrid_reference.py).

The Gaussian is checked against a direct float64 evaluation of its formula,
its gradient against central differences, and every entry point (single
calls, batches, prepared tables, frames, float32, every SIMD path) against
the single call.
"""

import math

import numpy as np
import pytest

import voxelize_cy as vc
from voxelize_cy.core import _draw

CHANNELS = ["C", "N", "O", ".*"]
RADII = {"C": 1.7, "N": 1.55, "O": 1.52, "*": 1.8}


def scene(seed, n=80, length=14, resolution=0.5):
    rng = np.random.default_rng(seed)
    grid = vc.Grid(length, resolution, rng.uniform(-2, 2, 3))
    half = 0.5 * length * resolution + 2.0
    xyz = np.asarray(grid.center_A) + rng.uniform(-half, half, (n, 3))
    atoms = {"element": rng.choice(np.array(["C", "N", "O", "S"], dtype=object), n),
             "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2],
             "occupancy": rng.uniform(0.3, 1.0, n)}
    return atoms, vc.ImageParams(grid, CHANNELS, RADII)


def direct(atoms, params, scale, g, binary=False, agg="sum", radii=RADII):
    """The density formula evaluated voxel by voxel in float64 (numpy)."""
    grid = params.grid
    length = grid.length_voxels
    ijk = np.indices((length,) * 3).reshape(3, -1).T
    centers = vc._get_voxel_center_coords(grid, ijk)
    out = np.zeros((len(CHANNELS), length ** 3))
    truncated = g < 0
    g = abs(g)
    final = g if truncated else (1 + 2 * g * g) / (2 * g)
    e = math.exp(-2 * g * g)
    qa, qb, qc = e * 4 * g * g, -e * (4 * g + 8 * g ** 3), e * (4 * g ** 4 + 4 * g * g + 1)
    for element, x, y, z, occ in zip(atoms["element"], atoms["x"], atoms["y"], atoms["z"],
                                      atoms["occupancy"]):
        channel = CHANNELS.index(element) if element in CHANNELS[:3] else 3
        r = radii.get(element, radii.get("*")) * scale
        d = np.linalg.norm(centers - (x, y, z), axis=1)
        if binary:
            value = (d < r).astype(float)
        else:
            t = d / r
            quad = 0 * t if truncated else np.maximum((qa * t + qb) * t + qc, 0)
            value = np.where(t <= g, np.exp(-2 * t * t), np.where(t < final, quad, 0.0))
        if agg == "max":
            out[channel] = np.maximum(out[channel], occ * value)
        else:
            out[channel] += occ * value
    return out.reshape((len(CHANNELS),) + (length,) * 3)


@pytest.mark.parametrize("scale, g", [(1.0, 1.0), (0.9, 1.5), (1.0, -1.0), (1.2, 0.7)])
def test_gaussian_is_the_formula(scale, g):
    atoms, params = scene(1)
    ours = vc.image_from_atoms(atoms, params, fill="gaussian", radius_scale=scale,
                               gaussian_radius_multiple=g)
    want = direct(atoms, params, scale, g)
    assert want.max() > 0.5
    np.testing.assert_allclose(ours, want, rtol=1e-12, atol=1e-12 * want.max())
    as_max = vc.image_from_atoms(atoms, params, fill="gaussian", agg="max",
                                 radius_scale=scale, gaussian_radius_multiple=g)
    np.testing.assert_allclose(as_max, direct(atoms, params, scale, g, agg="max"),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("resolution, scale", [(1.0, 0.3), (1.0, 0.5), (0.75, 0.45), (1.2, 0.6)])
def test_small_blocks_are_the_formula(resolution, scale):
    """Atoms whose density spans at most 2 or 4 voxel centres per axis take
    the one-call small-block paths (plain sums), others the general one."""
    atoms, params = scene(12, n=60, length=12, resolution=resolution)
    for binary in (False, True):
        fill = "binary" if binary else "gaussian"
        for dtype in (np.float64, np.float32):
            ours = vc.image_from_atoms(atoms, params, fill=fill, radius_scale=scale,
                                       dtype=dtype)
            want = direct(atoms, params, scale, 1.0, binary=binary)
            assert want.max() > 0.5
            tolerance = 1e-12 if dtype == np.float64 else 1e-6
            np.testing.assert_allclose(ours, want, rtol=tolerance, atol=tolerance * want.max())


def test_binary_is_the_formula():
    atoms, params = scene(2)
    for agg in ("sum", "max"):
        ours = vc.image_from_atoms(atoms, params, fill="binary", agg=agg, radius_scale=0.9)
        want = direct(atoms, params, 0.9, 1.0, binary=True, agg=agg)
        assert np.array_equal(ours, want), agg
    with pytest.raises(ValueError, match="binary.*no gradient"):
        vc.atom_gradients(atoms, params, np.zeros((4, 14, 14, 14)), fill="binary")


@pytest.mark.parametrize("scale, g, agg", [(1.0, 1.0, "sum"), (0.9, 1.5, "sum"),
                                           (1.0, 1.0, "max"), (1.1, -1.2, "sum")])
def test_gaussian_gradient_is_central_differences(scale, g, agg):
    atoms, params = scene(3, n=25)
    shape = (4,) + (14,) * 3
    upstream = np.random.default_rng(4).normal(size=shape)
    kw = dict(fill="gaussian", agg=agg, radius_scale=scale, gaussian_radius_multiple=g)
    ours = vc.atom_gradients(atoms, params, upstream, **kw)
    step = 1e-6
    worst = 0.0
    for row in range(len(atoms["x"])):
        for axis in "xyz":
            plus = {k: np.array(v, copy=True) for k, v in atoms.items()}
            minus = {k: np.array(v, copy=True) for k, v in atoms.items()}
            plus[axis][row] += step
            minus[axis][row] -= step
            fd = ((vc.image_from_atoms(plus, params, **kw) * upstream).sum()
                  - (vc.image_from_atoms(minus, params, **kw) * upstream).sum()) / (2 * step)
            worst = max(worst, abs(fd - ours[row, "xyz".index(axis)]))
    assert np.abs(ours).max() > 0.1
    assert worst <= 1e-6 * max(1.0, np.abs(ours).max())


def test_every_entry_point_gives_the_single_call():
    atoms, params = scene(5)
    kw = dict(fill="gaussian", radius_scale=0.9, gaussian_radius_multiple=1.5)
    single = vc.image_from_atoms(atoms, params, **kw)
    prepared = vc.prepare_atoms(atoms)
    assert np.array_equal(vc.image_from_atoms(prepared, params, **kw), single)
    batch = vc.images_from_atoms(atoms, [params, params], num_threads=2, **kw)
    assert np.array_equal(batch[0], single) and np.array_equal(batch[1], single)
    assert np.array_equal(vc.images_from_atoms(prepared, [params], **kw)[0], single)
    as32 = vc.image_from_atoms(atoms, params, dtype=np.float32, **kw)
    assert np.array_equal(as32, single.astype(np.float32)) or (
        np.abs(as32 - single).max() <= 4 * np.finfo(np.float32).eps * single.max())
    # a frame: the image of the transformed table
    frame = vc.random_frame(np.asarray(params.grid.center_A), np.random.default_rng(6))
    moved = vc.transform_atoms(atoms, frame)
    np.testing.assert_allclose(vc.image_from_atoms(atoms, params, frame=frame, **kw),
                               vc.image_from_atoms(moved, params, **kw), rtol=0,
                               atol=1e-12)
    framed = vc.images_from_atoms(atoms, params, frames=frame[None], **kw)[0]
    assert np.array_equal(framed, vc.image_from_atoms(atoms, params, frame=frame, **kw))
    # gradients with a frame are the transformed table's, rotated back
    upstream = np.random.default_rng(7).normal(size=single.shape)
    grad_framed = vc.atom_gradients(atoms, params, upstream, frame=frame, **kw)
    grad_moved = vc.atom_gradients(moved, params, upstream, **kw)
    np.testing.assert_allclose(grad_framed, grad_moved @ frame[:3, :3], rtol=0, atol=1e-10)


def test_every_simd_path_gives_bitwise_the_same_density():
    atoms, params = scene(8)
    upstream = np.random.default_rng(9).normal(size=(4, 14, 14, 14))
    results = {}
    try:
        for path in _draw.simd_paths():
            _draw.simd_path(path)
            results[path] = (
                vc.image_from_atoms(atoms, params, fill="gaussian", dtype=np.float32),
                vc.image_from_atoms(atoms, params, fill="gaussian", agg="max"),
                vc.image_from_atoms(atoms, params, fill="binary"),
                vc.atom_gradients(atoms, params, upstream, fill="gaussian"))
    finally:
        _draw.simd_path("best")
    first = results[_draw.simd_paths()[0]]
    for path, arrays in results.items():
        for a, b in zip(arrays, first):
            assert np.array_equal(a, b), path


def test_density_options_are_checked():
    atoms, params = scene(10, n=5)
    with pytest.raises(ValueError, match="radius_scale and gaussian_radius_multiple apply"):
        vc.image_from_atoms(atoms, params, radius_scale=0.9)
    with pytest.raises(ValueError, match="radius_scale must be finite and > 0"):
        vc.image_from_atoms(atoms, params, fill="gaussian", radius_scale=0)
    with pytest.raises(ValueError, match="gaussian_radius_multiple must be finite and not 0"):
        vc.image_from_atoms(atoms, params, fill="gaussian", gaussian_radius_multiple=0)
    with pytest.raises(TypeError, match="gaussian_radius_multiple must be a number"):
        vc.image_from_atoms(atoms, params, fill="gaussian", gaussian_radius_multiple="1")
    with pytest.raises(ValueError, match="fill must be one of"):
        vc.image_from_atoms(atoms, params, fill="gauss")


def test_atoms_outside_the_grid_reach_it_through_their_density():
    """An atom beyond the grid's edge whose Gaussian reaches in: the atom box
    grows with the density's extent, so the atom is drawn."""
    params = vc.ImageParams(vc.Grid(10, 0.5), ["C"], 1.0)
    edge = 0.5 * 10 * 0.5  # the grid's half-width (voxel faces)
    atoms = {"element": ["C"], "x": [edge + 1.2], "y": [0.0], "z": [0.0],
             "occupancy": [1.0]}
    image = vc.image_from_atoms(atoms, params, fill="gaussian")
    assert image.max() > 0
    np.testing.assert_allclose(image, direct(atoms, params, 1.0, 1.0, radii={"C": 1.0})[:1],
                               rtol=1e-12, atol=1e-15)


def test_macromol_api_gaussian_and_binary():
    """voxelize_cy.macromol: FillAlgorithm.Gaussian and .Binary with per-atom
    radii and channel lists equal the main API's images of the same atoms."""
    pl = pytest.importorskip("polars")
    import voxelize_cy.macromol as vm

    atoms, params = scene(11, n=40)
    radii = np.array([RADII.get(e, RADII["*"]) for e in atoms["element"]])
    channel = [[CHANNELS.index(e) if e in CHANNELS[:3] else 3] for e in atoms["element"]]
    table = pl.DataFrame({"x": atoms["x"], "y": atoms["y"], "z": atoms["z"],
                          "occupancy": atoms["occupancy"], "radius_A": radii,
                          "channels": channel})
    grid = vm.Grid(length_voxels=14, resolution_A=0.5, center_A=params.grid.center_A)
    for fill, kw in ((vm.FillAlgorithm.Gaussian, dict(fill="gaussian")),
                     (vm.FillAlgorithm.Binary, dict(fill="binary", agg="max"))):
        agg = vm.AggAlgorithm.Max if fill == vm.FillAlgorithm.Binary else vm.AggAlgorithm.Sum
        mparams = vm.ImageParams(channels=4, grid=grid, dtype=np.float64,
                                 fill_algorithm=fill, agg_algorithm=agg,
                                 radius_scale=0.9, gaussian_radius_multiple=1.5)
        ours = vm.image_from_all_atoms(table, mparams)
        want = vc.image_from_atoms(atoms, params, radius_scale=0.9,
                                   gaussian_radius_multiple=1.5, **kw)
        np.testing.assert_allclose(ours, want, rtol=1e-12, atol=1e-14)
        batch = vm.images_from_atoms(table, [mparams, mparams])
        assert np.array_equal(batch[0], ours)
    with pytest.raises(vm.ValidationError, match="radius_scale"):
        vm.image_from_all_atoms(table, vm.ImageParams(
            channels=4, grid=grid, fill_algorithm=vm.FillAlgorithm.Gaussian,
            radius_scale=-1.0))


def test_default_density_options_equal_the_checked_ones():
    """The defaults' shortcut gives what the full check computes."""
    from voxelize_cy.images._checks import density_options

    for code in range(5):
        assert density_options(code, 1.0, 1.0) == density_options(code, 1, 1)
