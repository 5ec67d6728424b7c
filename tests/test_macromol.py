"""voxelize_cy.macromol against macromol_voxelize 0.10 (the oracle, a test extra):
the same images for every fill x aggregation, the same helper results, the same
errors; plus frames and batches."""

import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

pl = pytest.importorskip("polars")
mm = pytest.importorskip("macromol_voxelize")

from conftest import STRUCTURES  # noqa: E402

import voxelize_cy as vc  # noqa: E402
import voxelize_cy.macromol as vm  # noqa: E402

FILLS = ["OverlapA3", "FractionAtom", "FractionVoxel"]
AGGS = ["Sum", "Max"]
CHANNELS = [["C"], ["N", "O"], ["S", "SE", "*"], ["C", "N"]]  # C and N in two channels


def close(ours, theirs, atoms=None, fill="FractionAtom", resolution=1.0):
    """Equal to rtol 1e-12 (float64), or to one float32 ulp (float32), and to
    1e-12 of the largest value one atom can put in a voxel.

    That second bound is the scale both overlap routines are exact to: ours
    takes a voxel's overlap as a difference of cumulative volumes of the
    ball, the overlap package computes it directly, and the two agree to
    ~1e-15 of the ball.  Relative to a sliver of a big ball, or to a sum in
    which atoms of opposite occupancy cancel, that is more than 1e-12."""
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    scale = 1.0
    if atoms is not None and len(atoms):
        ball = 4 / 3 * np.pi * atoms["radius_A"].to_numpy() ** 3
        occupancy = (np.abs(atoms["occupancy"].to_numpy()) if "occupancy" in atoms.columns
                     else np.ones(len(atoms)))
        per_atom = {"FractionAtom": np.ones(len(atoms)), "OverlapA3": ball,
                    "FractionVoxel": ball / resolution**3}[fill]
        scale = max(float((occupancy * per_atom).max()), 1e-300)
    if ours.dtype == np.float64:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12 * scale)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1.2e-7, atol=1e-12 * scale)


def params(module, fill, agg, dtype, grid_args, channels=len(CHANNELS), max_radius=None):
    return module.ImageParams(channels=channels, grid=module.Grid(*grid_args), dtype=dtype,
                              max_radius_A=max_radius,
                              fill_algorithm=getattr(module.FillAlgorithm, fill),
                              agg_algorithm=getattr(module.AggAlgorithm, agg))


def random_table(seed, n=250, box=9.0):
    rng = np.random.default_rng(seed)
    table = pl.DataFrame({
        "element": rng.choice(["C", "N", "O", "S", "FE"], n),
        "x": rng.uniform(-box, box, n), "y": rng.uniform(-box, box, n),
        "z": rng.uniform(-box, box, n), "occupancy": rng.uniform(-0.5, 1.0, n),
        "radius_A": rng.uniform(0.2, 2.5, n),
    })
    return mm.set_atom_channels_by_element(table, CHANNELS)


@pytest.fixture(scope="module")
def real_tables():
    out = {}
    for name in ("1qjg", "171l", "4rek"):
        atoms = pl.from_pandas(vc.atoms_from_file(STRUCTURES / f"{name}.cif.gz"))
        radii = {"C": 1.7, "N": 1.55, "O": 1.52, "S": 1.8}
        atoms = atoms.with_columns(radius_A=pl.col("element").replace_strict(
            radii, default=1.9, return_dtype=pl.Float64))
        out[name] = mm.set_atom_channels_by_element(atoms, CHANNELS)
    return out


@pytest.mark.parametrize("fill", FILLS)
@pytest.mark.parametrize("agg", AGGS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_fill_and_aggregation_on_random_tables(fill, agg, dtype):
    for seed in range(3):
        atoms = random_table(seed)
        grid = (14, 0.7, np.random.default_rng(seed).uniform(-3, 3, 3))
        theirs, their_atoms = mm.image_from_atoms(atoms, params(mm, fill, agg, dtype, grid))
        ours, our_atoms = vm.image_from_atoms(atoms, params(vm, fill, agg, dtype, grid))
        close(ours, theirs, atoms, fill, grid[1])
        assert our_atoms.equals(their_atoms)
        assert ours.sum() != 0
        close(vm.image_from_all_atoms(atoms, params(vm, fill, agg, dtype, grid)),
              mm.image_from_all_atoms(atoms, params(mm, fill, agg, dtype, grid)),
              atoms, fill, grid[1])


@pytest.mark.parametrize("fill", FILLS)
@pytest.mark.parametrize("agg", AGGS)
def test_every_fill_and_aggregation_on_real_structures(real_tables, fill, agg):
    for name, atoms in real_tables.items():
        xyz = atoms.select("x", "y", "z").to_numpy()
        for dtype in (np.float64, np.float32):
            grid = (20, 1.0, xyz[len(xyz) // 3])
            theirs, their_atoms = mm.image_from_atoms(atoms, params(mm, fill, agg, dtype, grid))
            ours, our_atoms = vm.image_from_atoms(atoms, params(vm, fill, agg, dtype, grid))
            close(ours, theirs, atoms, fill, grid[1])
            assert our_atoms.equals(their_atoms)


@st.composite
def scenes(draw):
    n = draw(st.integers(1, 25))
    coords = st.floats(-6, 6, allow_nan=False, allow_infinity=False)
    # An offset keeps atoms off exact voxel faces, where the overlap package
    # (macromol_voxelize's) has known failure cases of its own.
    offset = 0.0123456789
    rows = {
        "x": [draw(coords) + offset for _ in range(n)],
        "y": [draw(coords) + offset for _ in range(n)],
        "z": [draw(coords) + offset for _ in range(n)],
        "radius_A": [draw(st.floats(0.05, 3.0)) for _ in range(n)],
        "occupancy": [draw(st.floats(-1.0, 1.0)) for _ in range(n)],
        # At least one channel each: with polars 1.x, macromol_voxelize itself
        # fails on an empty list (it explodes to a null); ours is tested below.
        "channels": [draw(st.lists(st.integers(0, 2), min_size=1, max_size=3))
                     for _ in range(n)],
    }
    table = pl.DataFrame(rows, schema_overrides={"channels": pl.List(pl.Int64)})
    grid = (draw(st.integers(1, 9)), draw(st.sampled_from([0.4, 0.75, 1.0, 1.6])),
            np.array([draw(coords) for _ in range(3)]))
    return table, grid, draw(st.sampled_from(FILLS)), draw(st.sampled_from(AGGS)), \
        draw(st.sampled_from([np.float64, np.float32]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scene=scenes())
def test_random_scenes_match_macromol_voxelize(scene):
    table, grid, fill, agg, dtype = scene
    theirs, their_atoms = mm.image_from_atoms(table, params(mm, fill, agg, dtype, grid, 3))
    ours, our_atoms = vm.image_from_atoms(table, params(vm, fill, agg, dtype, grid, 3))
    close(ours, theirs, table, fill, grid[1])
    assert our_atoms.equals(their_atoms)


def test_atoms_in_no_channel_add_nothing():
    table = pl.DataFrame({"x": [0.1, 0.2], "y": [0.0, 0.0], "z": [0.0, 0.0],
                          "radius_A": [1.0, 1.0], "channels": [[], [1]]},
                         schema_overrides={"channels": pl.List(pl.Int64)})
    img, inside = vm.image_from_atoms(table, vm.ImageParams(channels=2, grid=vm.Grid(4, 1.0),
                                                            dtype=np.float64))
    assert len(inside) == 2
    assert img[0].sum() == 0 and img[1].sum() == pytest.approx(1.0)


def test_one_channel_needs_no_channels_column():
    atoms = random_table(0).drop("channels")
    for module in (mm, vm):
        assert "channels" not in atoms.columns
    theirs, _ = mm.image_from_atoms(atoms, mm.ImageParams(channels=1, grid=mm.Grid(10, 1.0)))
    ours, _ = vm.image_from_atoms(atoms, vm.ImageParams(channels=1, grid=vm.Grid(10, 1.0)))
    close(ours, theirs, atoms)


def test_max_radius_filters_as_macromol():
    atoms = random_table(4)
    for module in (mm, vm):
        pass
    grid = (10, 1.0, np.zeros(3))
    a = mm.discard_atoms_outside_image(atoms, params(mm, "FractionAtom", "Sum", np.float64,
                                                     grid, max_radius=3.0))
    b = vm.discard_atoms_outside_image(atoms, params(vm, "FractionAtom", "Sum", np.float64,
                                                     grid, max_radius=3.0))
    assert a.equals(b) and 0 < len(b) < len(atoms)
    with pytest.raises(vm.ValidationError, match="max_radius_A"):
        vm.image_from_atoms(atoms, params(vm, "FractionAtom", "Sum", np.float64, grid,
                                          max_radius=1.0))


# ------------------------------------------------------------------ helpers


def test_helpers_give_macromol_voxelizes_tables():
    base = pl.DataFrame({"element": ["C", "N", "O", "S", "FE", None, "C"],
                         "x": [0.0, 1, 2, 3, 40, 0.5, -1], "y": [0.0] * 7, "z": [0.0] * 7})
    for radius in (1, 1.5):
        assert vm.set_atom_radius_A(base, radius).equals(mm.set_atom_radius_A(base, radius))
    a = mm.set_atom_radius_A(base, 1.0)
    for channels in ([["C"], ["N", "O"], ["*"]], [["C", "C"], ["C", "*"]],
                     [["S"], ["*"], ["FE", "N"]]):
        assert (vm.set_atom_channels_by_element(a, channels)
                .equals(mm.set_atom_channels_by_element(a, channels))), channels
    # Only '*' (macromol_voxelize 0.10 fails here: a join on an empty table).
    assert vm.set_atom_channels_by_element(a, [["*"]])["channels"].to_list() == [[0]] * 7
    for channels in ([["C"], ["N"]], [["O", "S"]]):
        assert (vm.set_atom_channels_by_element(a, channels, drop_missing_atoms=True)
                .equals(mm.set_atom_channels_by_element(a, channels, drop_missing_atoms=True)))
        with pytest.raises(vm.ValidationError) as ours:
            vm.set_atom_channels_by_element(a, channels)
        with pytest.raises(mm.ValidationError) as theirs:
            mm.set_atom_channels_by_element(a, channels)
        assert (str(ours.value).splitlines()[:2] == str(theirs.value).splitlines()[:2])
    with pytest.raises(vm.ValidationError, match="found str"):
        vm.set_atom_channels_by_element(a, ["C", ["N"]])
    c = mm.set_atom_channels_by_element(a, [["C"], ["N", "O"], ["*"]])
    for expr, channel in ((pl.col("element") == "S", 0), (pl.col("x") > 1, 2)):
        assert (vm.add_atom_channel_by_expr(c, expr, channel)
                .equals(mm.add_atom_channel_by_expr(c, expr, channel)))


def test_voxel_helpers():
    g_mm, g_vm = mm.Grid(6, 0.75, np.array([0.5, -1, 2])), vm.Grid(6, 0.75, np.array([0.5, -1, 2]))
    coords = np.random.default_rng(0).uniform(-5, 5, (50, 3))
    for shape in (coords, coords[0]):
        a, b = mm.find_voxels_containing_coords(g_mm, shape), \
            vm.find_voxels_containing_coords(g_vm, shape)
        assert a.dtype == b.dtype and np.array_equal(a, b)
    voxels = np.random.default_rng(1).integers(-2, 8, (40, 3))
    for shape in (voxels, voxels[0]):
        np.testing.assert_array_equal(vm.get_voxel_center_coords(g_vm, shape),
                                      mm.get_voxel_center_coords(g_mm, shape))
    atoms = random_table(2, n=30)
    assert vm.find_occupied_voxels(atoms, g_vm) == mm.find_occupied_voxels(atoms, g_mm)


def test_grid_and_params_look_like_macromol_voxelizes(tmp_path):
    for args in [(3, 1.0, np.array([1.0, 2, 3])), (5, 0.5), (21, 0.123456789,
                                                          np.array([-1.5e-5, 1e7, 3]))]:
        a, b = mm.Grid(*args), vm.Grid(*args)
        assert repr(a) == repr(b)
        assert (a.length_voxels, a.resolution_A, a.length_A, a.shape) == \
               (b.length_voxels, b.resolution_A, b.length_A, b.shape)
        assert np.array_equal(a.center_A, b.center_A)
        assert repr(pickle.loads(pickle.dumps(b))) == repr(b)
        assert pickle.loads(pickle.dumps(b)) == b
    with pytest.raises(AttributeError):
        b.length_voxels = 4
    assert (repr(vm.ImageParams(channels=2, grid=vm.Grid(3, 1.0)))
            == repr(mm.ImageParams(channels=2, grid=mm.Grid(3, 1.0))))
    # macromol_voxelize's fill algorithms, same names and values, then ours
    theirs = list(mm.FillAlgorithm.__members__)
    assert [m.name for m in vm.FillAlgorithm] == theirs + ["Gaussian", "Binary"]
    assert [int(m) for m in vm.FillAlgorithm][:len(theirs)] == [
        int(m) for m in mm.FillAlgorithm.__members__.values()]
    assert [m.name for m in vm.AggAlgorithm] == list(mm.AggAlgorithm.__members__)
    img = np.random.default_rng(0).random((2, 3, 3, 3)).astype(np.float32)
    vm.write_npz(tmp_path / "a.npz", img, vm.Grid(3, 0.5, np.array([1.0, 2, 3])))
    mm.write_npz(tmp_path / "b.npz", img, mm.Grid(3, 0.5, np.array([1.0, 2, 3])))
    a, b = np.load(tmp_path / "a.npz"), np.load(tmp_path / "b.npz")
    assert list(a) == list(b) and all(np.array_equal(a[k], b[k]) for k in a)
    from voxelize_cy.pictures.outputs import load_image

    loaded = load_image(tmp_path / "b.npz")
    assert loaded["resolution_A"] == 0.5 and list(loaded["center_A"]) == [1, 2, 3]


def test_public_names_are_all_there():
    public = {name for name in vars(mm.voxelize) if not name.startswith("_")
              and getattr(getattr(mm.voxelize, name), "__module__", "").startswith(
                  "macromol_voxelize")}
    public |= {"Grid", "FillAlgorithm", "AggAlgorithm"}
    missing = {name for name in public if not hasattr(vm, name)}
    assert not missing


# ------------------------------------------------------------------- errors


@pytest.mark.parametrize("change, message", [
    (lambda t: t.with_columns(channels=pl.lit([5], dtype=pl.List(pl.Int64))),
     "channel indices must be between 0 and 3, not 5"),
    (lambda t: t.with_columns(channels=pl.lit([-1], dtype=pl.List(pl.Int64))),
     "channel indices must be between 0 and 3, not -1"),
    (lambda t: t.drop("radius_A"), r"missing column\(s\) \['radius_A'\]"),
    (lambda t: t.drop("x"), r"missing column\(s\) \['x'\]"),
    (lambda t: t.with_columns(radius_A=pl.lit(-1.0)), "radii must be finite and >= 0"),
    (lambda t: t.with_columns(radius_A=pl.lit(float("nan"))), "radius_A"),
    (lambda t: t.with_columns(x=pl.when(pl.int_range(pl.len()) == 3).then(float("nan"))
                              .otherwise(pl.col("x"))), r"atoms\['x'\] at row 3 is nan"),
    (lambda t: t.with_columns(occupancy=pl.lit(float("inf"))), "occupancies must be finite"),
    (lambda t: t.with_columns(radius_A=pl.lit(0.0)), "FractionAtom"),
    (lambda t: t.with_columns(channels=pl.lit(None, dtype=pl.List(pl.Int64))), "null"),
])
def test_bad_input_is_a_validation_error(change, message):
    atoms = change(random_table(1, n=20, box=2))
    with pytest.raises(vm.ValidationError, match=message):
        vm.image_from_atoms(atoms, vm.ImageParams(channels=4, grid=vm.Grid(8, 1.0)))
    assert issubclass(vm.ValidationError, ValueError)


def test_bad_params():
    atoms = random_table(1, n=20)
    for bad in (dict(channels=0), dict(channels=2.5), dict(dtype=np.int32),
                dict(fill_algorithm=7), dict(max_radius_A=-1.0)):
        kwargs = dict(channels=4, grid=vm.Grid(8, 1.0))
        kwargs.update(bad)
        with pytest.raises(vm.ValidationError):
            vm.image_from_all_atoms(atoms, vm.ImageParams(**kwargs))
    with pytest.raises(vm.ValidationError):
        vm.Grid(0, 1.0)
    with pytest.raises(vm.ValidationError):
        vm.Grid(4, -1.0)
    with pytest.raises(TypeError):
        vm.Grid(4.5, 1.0)
    with pytest.raises(TypeError):
        vm.image_from_atoms(atoms.to_pandas(), vm.ImageParams(channels=4, grid=vm.Grid(8, 1.0)))


# ------------------------------------------------------- frames and batches


def test_frames_and_batches(real_tables):
    atoms = real_tables["171l"]
    xyz = atoms.select("x", "y", "z").to_numpy()
    rng = np.random.default_rng(5)
    frames = np.stack([vc.random_frame(xyz[i], rng) for i in rng.integers(len(xyz), size=5)])
    for fill in FILLS:
        for agg in AGGS:
            p = params(vm, fill, agg, np.float64, (16, 0.9))
            batch = vm.images_from_atoms(atoms, p, frames=frames, num_threads=2)
            for b, frame in enumerate(frames):
                single, inside = vm.image_from_atoms(atoms, p, frame=frame)
                assert np.array_equal(batch[b], single)
                moved = atoms.with_columns(**{
                    axis: pl.Series(values) for axis, values in zip(
                        "xyz", (np.c_[xyz, np.ones(len(xyz))] @ frame.T)[:, :3].T)})
                copied, _ = vm.image_from_atoms(moved, p)
                np.testing.assert_allclose(single, copied, rtol=0, atol=1e-12)
                assert 0 < len(inside) < len(atoms)
    centers = [vm.ImageParams(channels=4, grid=vm.Grid(12, 1.0, xyz[i]))
               for i in rng.integers(len(xyz), size=4)]
    batch = vm.images_from_atoms(atoms, centers, num_threads=2)
    for b, p in enumerate(centers):
        assert np.array_equal(batch[b], vm.image_from_atoms(atoms, p)[0])


def test_the_original_api_has_the_new_modes_too(real_tables):
    """voxelize_cy.image_from_atoms(fill=, agg=) with element channels equals
    macromol_voxelize with one channel per atom."""
    atoms = real_tables["1qjg"].drop("channels").with_columns(radius_A=pl.lit(0.8))
    channels = ["C", "N", "O", ".*"]
    mapped = mm.set_atom_channels_by_element(atoms, [["C"], ["N"], ["O"], ["*"]])
    center = atoms.select("x", "y", "z").to_numpy()[100]
    for fill, ours_fill in zip(FILLS, ["overlap_A3", "fraction_atom", "fraction_voxel"]):
        for agg in AGGS:
            theirs, _ = mm.image_from_atoms(mapped, mm.ImageParams(
                channels=4, grid=mm.Grid(15, 1.0, center), dtype=np.float64,
                fill_algorithm=getattr(mm.FillAlgorithm, fill),
                agg_algorithm=getattr(mm.AggAlgorithm, agg)))
            ours = vc.image_from_atoms(atoms.to_pandas(), vc.ImageParams(
                vc.Grid(15, 1.0, center), channels, 0.8), fill=ours_fill, agg=agg.lower())
            close(ours, theirs, atoms, fill, 1.0)
