"""voxelize_cy.molgrid: libmolgrid's Python API, call by call.

What libmolgrid's own tests check on a CPU (they run against this module in
the manual's "Coming from gnina" page); here the same behaviours, and those
its tests reach only through a GPU, made to run on the CPU.
"""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import numpy as np
import pytest

import voxelize_cy.molgrid as molgrid
from voxelize_cy import gnina

DATA = Path(__file__).resolve().parent / "data" / "libmolgrid"
STRUCTS = str(DATA / "structs")
SMALL = str(DATA / "small.types")


def test_grids_are_views_and_mgrids_own_their_memory():
    g = molgrid.MGrid2f(10, 2)
    assert g.size() == 20 and g.shape == (10, 2) and g.type() == "float32"
    view = molgrid.Grid2f(g.cpu())
    view[5][1] = 3.0
    assert g[5, 1] == 3.0
    clone = g.clone()
    clone[5, 1] = 5.5
    assert g[5, 1] == 3.0 and clone[5][1] == 5.5
    a = np.arange(8, dtype=np.float32).reshape(2, 4)
    grid = molgrid.Grid2f(a)
    grid[0, 0] = 100
    assert a[0, 0] == 100
    m = molgrid.MGrid2f(3, 3)
    assert m.copyFrom(a) == 8 and m[1, 2] == 5
    with pytest.raises(IndexError, match="out of range"):
        m[3, 0]
    with pytest.raises(TypeError, match="float32"):
        molgrid.Grid2f(np.zeros((2, 2)))


def test_gpu_calls_say_what_to_use():
    with pytest.raises(molgrid.NoGPUError, match=r"MGrid4f.gpu\(\) asks for the GPU.*use "
                                                 r"\.cpu\(\) grids, numpy arrays"):
        molgrid.MGrid4f(1, 2, 2, 2).gpu()
    with pytest.raises(molgrid.NoGPUError):
        molgrid.Grid2fCUDA(np.zeros((2, 2), np.float32))
    with pytest.raises(molgrid.NoGPUError):
        molgrid.set_gpu_device(0)
    assert not molgrid.get_gpu_enabled()


def test_settings_are_libmolgrids_and_unknown_ones_refused():
    s = molgrid.ExampleProviderSettings(shuffle=True, data_root="x")
    assert s.shuffle and s.data_root == "x" and s.default_batch_size == 1
    assert str(molgrid.IterationScheme.LargeEpoch) == "LargeEpoch"
    with pytest.raises(TypeError, match=r"\['shufle'\]"):
        molgrid.ExampleProvider(shufle=True)
    with pytest.raises(ValueError, match="shufle"):  # libmolgrid raises a ValueError
        molgrid.ExampleProvider(shufle=True)
    e = molgrid.ExampleProvider(s, data_root=STRUCTS)  # keywords after the object win
    assert e.settings().data_root == STRUCTS and e.settings().shuffle


def test_provider_labels_into_grids_arrays_and_tensors():
    e = molgrid.ExampleProvider(data_root=STRUCTS)
    e.populate(SMALL)
    batch = e.next_batch(20)
    labels = molgrid.MGrid2f(20, e.num_labels())
    batch.extract_labels(labels.cpu())
    one = np.zeros(20, np.float32)
    batch.extract_label(1, one)
    np.testing.assert_array_equal(one, labels.tonumpy()[:, 1])
    assert labels[0, 1] == pytest.approx(6.05)
    with pytest.raises(IndexError, match="3 labels"):
        batch.extract_label(3, one)
    torch = pytest.importorskip("torch")
    t = torch.zeros(20)
    batch.extract_label(0, t)
    assert t[0] == 1


def test_transform_applies_and_undoes():
    q = molgrid.Quaternion(math.sqrt(0.5), 0, 0, math.sqrt(0.5))  # z, 90 degrees
    t = molgrid.Transform(q, molgrid.float3(0, 1, 1), molgrid.float3(2, 0, -3))
    points = np.array([[0, 1, 1], [0, 1, 0], [1, 1, 1]], np.float32)
    out = np.zeros_like(points)
    t.forward(points, out)
    np.testing.assert_array_equal(out, [[2, 1, -2], [2, 1, -3], [2, 2, -2]])
    back = np.zeros_like(out)
    t.backward(out, back)
    np.testing.assert_allclose(back, points, atol=1e-6)
    molgrid.set_random_seed(3)
    a = molgrid.Transform((0, 0, 0), 4.0, True)
    molgrid.set_random_seed(3)
    b = molgrid.Transform((0, 0, 0), 4.0, True)
    assert a.get_quaternion() == b.get_quaternion()
    assert tuple(a.get_translation()) == tuple(b.get_translation())
    assert max(abs(v) for v in a.get_translation()) <= 4.0


def test_gridmaker_forms_agree():
    e = molgrid.ExampleProvider(data_root=STRUCTS)
    e.populate(SMALL)
    ex = e.next()
    g = molgrid.GridMaker()
    shape = g.grid_dimensions(e.num_types())
    assert shape == (28, 48, 48, 48)
    single = np.zeros(shape, np.float32)
    g.forward(ex, single)
    merged = ex.merge_coordinates()
    center = ex.coord_sets[-1].center()
    by_set = np.zeros(shape, np.float32)
    g.forward(center, merged, by_set)
    by_arrays = molgrid.MGrid4f(*shape)
    g.forward(center, merged.coords, merged.type_index, merged.radii, by_arrays)
    by_transform = np.zeros(shape, np.float32)
    g.forward(ex, molgrid.Transform(center), by_transform)
    for other in (by_set, by_arrays.tonumpy(), by_transform):
        np.testing.assert_allclose(other, single, atol=1e-6)
    assert single.max() == pytest.approx(2.094017, rel=1e-5)  # libmolgrid's test's value
    with pytest.raises(IndexError, match="Incorrect number of channels"):
        g.forward(ex, np.zeros((14, 48, 48, 48), np.float32))


def test_backward_on_the_cpu_gives_libmolgrids_values():
    """libmolgrid's test_backwards and test_backward_vec, run on the CPU."""
    g = molgrid.GridMaker(resolution=0.1, dimension=6.0)
    coords = molgrid.CoordinateSet(np.array([[1.0, 0, 0]], np.float32),
                                   np.array([0], np.float32), np.array([2.0], np.float32), 1)
    diff = molgrid.MGrid4f(*g.grid_dimensions(1))
    diff[0, 30, 30, 30] = 1.0
    atoms = molgrid.MGrid2f(1, 3)
    g.backward((0, 0, 0), coords, diff.cpu(), atoms.cpu())
    np.testing.assert_allclose(atoms.tonumpy().ravel(), [-0.60653067, 0, 0], atol=1e-5)
    vcoords = molgrid.CoordinateSet(np.array([[1.0, 0, 0], [-1, -1, 0]], np.float32),
                                    np.array([[0, 1.0, 0], [1.0, 0, 0]], np.float32),
                                    np.array([2.0, 2.0], np.float32))
    diff = molgrid.MGrid4f(*g.grid_dimensions(3))
    diff[0, 30, 30, 30], diff[1, 30, 30, 30] = 1.0, -1.0
    atoms, types = molgrid.MGrid2f(2, 3), molgrid.MGrid2f(2, 3)
    g.backward((0, 0, 0), vcoords, diff.cpu(), atoms.cpu(), types.cpu())
    assert types[0][0] > 0 > types[0][1] and types[0][2] == 0


def test_radius_multiples_are_libmolgrids_density():
    """libmolgrid's test_radius_multiples on the CPU."""
    g = molgrid.GridMaker(resolution=0.1, dimension=6.0)
    c = molgrid.CoordinateSet(np.zeros((1, 3), np.float32), np.zeros(1, np.float32),
                              np.ones(1, np.float32), 1)
    grid = np.zeros(g.grid_dimensions(1), np.float32)
    g.forward((0, 0, 0), c, grid)
    line = grid[0, 30, 30, :]
    x = np.abs(np.arange(-3, 3.1, 0.1))
    np.testing.assert_allclose(line[20:41], np.exp(-2 * x ** 2)[20:41], rtol=1e-5)
    quad = 4 * np.exp(-2) * x ** 2 - 12 * np.exp(-2) * x + 9 * np.exp(-2)
    np.testing.assert_allclose(line[15:20], quad[15:20], atol=1e-5)
    assert (line[:15] == 0).all() and (line[46:] == 0).all()


def _libmolgrid_cpu_grid(center, coords, types, radii, resolution, dimension, binary,
                         radius_scale, grm, ntypes):
    """libmolgrid 0.5's CPU ``GridMaker::forward`` loop in float32 (the oracle):
    the origin, the box of each atom (floor, ceil), the points, the squared
    distance summed in order, and the cut, as its C++ computes them."""
    f = np.float32
    res, half = f(resolution), f(dimension / 2.0)
    grm = f(grm)
    if grm < 0:
        grm = -grm
        final = grm
    else:
        final = f((1 + 2 * float(grm) ** 2) / (2 * float(grm)))
    dim = int(round(dimension / resolution)) + 1
    origin = np.array([f(c) - half for c in center], np.float32)
    out = np.zeros((ntypes, dim, dim, dim), np.float32)
    for a in range(len(coords)):
        x = np.asarray(coords[a], np.float32)
        ar = f(radii[a]) * f(radius_scale)
        reach = ar * final
        axes = []
        for k in range(3):
            low, high = x[k] - reach - origin[k], x[k] + reach - origin[k]
            first = int(np.floor(low / res)) if low > 0 else 0
            last = min(dim, int(np.ceil(high / res))) if high > 0 else 0
            idx = np.arange(first, last)
            axes.append((idx, (origin[k] + idx.astype(np.float32) * res) - x[k]))
        (i, dx), (j, dy), (k, dz) = axes
        rsq = (dx[:, None, None] * dx[:, None, None] + dy[None, :, None] * dy[None, :, None])
        rsq = (rsq + dz[None, None, :] * dz[None, None, :]).astype(np.float32)
        if binary:
            value = (rsq < ar * ar).astype(np.float32)
            block = out[int(types[a])][np.ix_(i, j, k)]
            out[int(types[a])][np.ix_(i, j, k)] = np.maximum(block, value)
            continue
        dist = np.sqrt(rsq, dtype=np.float32)
        gauss = np.exp(f(-2.0) * dist * dist / (ar * ar), dtype=np.float32)
        value = np.where(dist > reach, f(0), gauss)  # truncated: no quadratic
        out[int(types[a])][np.ix_(i, j, k)] += value
    return out


@pytest.mark.parametrize("binary", [False, True])
def test_jumps_at_the_cut_are_decided_as_libmolgrid_decides(binary):
    """Where a binary or truncated density jumps, a grid point at the cut up
    to float32 rounding is inside or outside as libmolgrid's float32 CPU loop
    has it (atoms placed on the lattice, so that whole shells of points lie
    exactly at the cut, and atoms off it)."""
    rng = np.random.default_rng(5)
    center = (1.25, -0.5, 2.0)
    lattice = np.array(center) - 5.75 + 0.5 * rng.integers(3, 21, (12, 3))
    coords = np.concatenate([lattice, np.array(center) + rng.uniform(-5, 5, (12, 3))])
    coords = coords.astype(np.float32)
    radii = np.array([2.0, 1.5, 1.0] * 8, np.float32)  # 1.5 r on the lattice: 3, 2.25, 1.5
    types = np.arange(24, dtype=np.float32) % 3
    gmaker = molgrid.GridMaker(resolution=0.5, dimension=11.5, binary=binary,
                               gaussian_radius_multiple=-1.5)
    grid = np.zeros((3, 24, 24, 24), np.float32)
    gmaker.forward(molgrid.float3(*center), coords, types, radii, grid)
    want = _libmolgrid_cpu_grid(center, coords, types, radii, 0.5, 11.5, binary, 1.0,
                                -1.5, 3)
    np.testing.assert_allclose(grid, want, rtol=0, atol=2e-6)


def test_dx_files_round_trip(tmp_path):
    grid = np.random.default_rng(0).random((2, 5, 5, 5)).astype(np.float32)
    center = (1.0, 2.0, 3.0)
    molgrid.write_dx(str(tmp_path / "a.dx"), grid[0], center, 0.5)
    back = molgrid.read_dx(str(tmp_path / "a.dx"))
    np.testing.assert_allclose(back.grid().tonumpy(), grid[0], atol=1e-5)
    assert tuple(back.center()) == pytest.approx(center) and back.resolution() == 0.5
    text = (tmp_path / "a.dx").read_text().splitlines()
    assert text[0] == "object 1 class gridpositions counts 5 5  5"
    assert text[1] == "origin -0.25000 0.75000 1.75000"  # libmolgrid's origin
    molgrid.write_dx_grids(str(tmp_path / "g"), ["C", "N"], grid, center, 0.5, 0.5)
    check = molgrid.MGrid4f(2, 5, 5, 5)
    molgrid.read_dx_grids(str(tmp_path / "g"), ["C", "N"], check.cpu())
    np.testing.assert_allclose(check.tonumpy() * 2, grid, atol=2e-5)


def test_grid_interpolater_downsamples():
    src = molgrid.MGrid4f(1, 5, 5, 5)
    src.copyFrom(np.arange(125, dtype=np.float32).reshape(1, 5, 5, 5))
    dst = molgrid.MGrid4f(1, 3, 3, 3)
    molgrid.GridInterpolater(0.5, 2.0, 1.0, 2.0).forward(src.cpu(), molgrid.Transform(),
                                                           dst.cpu())
    for i in range(3):
        for j in range(3):
            for k in range(3):
                assert dst[0, i, j, k] == src[0, 2 * i, 2 * j, 2 * k]


def test_mem_caches_save_and_load(tmp_path):
    a = molgrid.ExampleProvider(data_root=STRUCTS)
    b = molgrid.ExampleProvider(data_root=STRUCTS)
    a.populate(SMALL)
    b.populate(SMALL)
    a.next()
    assert a.mem_caches_size() == 2
    a.save_mem_caches(str(tmp_path / "mem.npz"))
    b.load_mem_caches(str(tmp_path / "mem.npz"))
    assert b.mem_caches_size() == 2
    first = molgrid.ExampleDataset(data_root=STRUCTS)
    first.populate(SMALL)
    np.testing.assert_array_equal(b.next().coord_sets[0].coords.tonumpy(),
                                  first[0].coord_sets[0].coords.tonumpy())
    with pytest.raises(gnina.GninaDataError, match="no such memory-cache file"):
        b.load_mem_caches(str(tmp_path / "none.npz"))


def test_example_dataset_indexes_and_iterates():
    d = molgrid.ExampleDataset(data_root=STRUCTS)
    d.populate(SMALL)
    assert len(d) == 1000
    assert d[-1].labels[1] == pytest.approx(-10.3)
    assert [ex.labels[1] for ex, _ in zip(d, range(2))] == pytest.approx([6.05, 6.05])


def test_typers_on_openbabel_atoms():
    pybel = pytest.importorskip("openbabel.pybel")
    m = pybel.readstring("smi", "c1ccccc1CO")
    m.addh()
    t = molgrid.GninaIndexTyper()
    names = t.get_type_names()
    types = [names[t.get_atom_type_index(a.OBAtom)[0]] for a in m.atoms]
    assert types.count("AromaticCarbonXSHydrophobe") == 6
    assert types.count("OxygenXSDonorAcceptor") == 1 and types.count("PolarHydrogen") == 1
    vector, radius = molgrid.GninaVectorTyper().get_atom_type_vector(m.atoms[0].OBAtom)
    assert radius == pytest.approx(1.9) and vector[1] == 1.0 and vector[25] == 1.0
    c = molgrid.CoordinateSet(m, molgrid.ElementIndexTyper())
    assert c.size() == 16 and c.max_type == 84
    assert molgrid.CoordinateSet(m).size() == 8  # the ligand typer leaves hydrogens out


def test_torch_bindings_differentiate_twice():
    torch = pytest.importorskip("torch")
    g = molgrid.GridMaker(resolution=0.1, dimension=6.0)
    c = torch.tensor([[1.0, 0, 0], [1, 0, 0]], requires_grad=True)
    vt = torch.tensor([[0, 1.0, 0], [1.0, 0, 0]], requires_grad=True)
    r = torch.tensor([2.0, 2.0])
    grid = molgrid.Coords2GridFunction.apply(g, (0, 0, 0), c, vt, r)
    diff = torch.zeros(*g.grid_dimensions(3))
    diff[0, 30, 30, 30], diff[1, 30, 30, 30] = 1.0, -1.0
    grid.backward(diff)
    np.testing.assert_allclose(c.grad[0].numpy(), [0.60653, 0, 0], atol=1e-4)
    np.testing.assert_allclose(vt.grad[0].numpy(), [0.60653, -0.60653, 0], atol=1e-4)
    # second derivatives (libmolgrid's test_backward_gradients, on the CPU)
    gmaker = molgrid.GridMaker(resolution=0.5, dimension=6.0, gaussian_radius_multiple=-2.0)
    for x in (-0.5, 0.3, 1.6):
        coords = torch.tensor([[x, 0.0, 0.0]], requires_grad=True)
        out = molgrid.Coords2GridFunction.apply(gmaker, (0, 0, 0), coords,
                                                torch.ones(1, 1), torch.ones(1))
        first = torch.autograd.grad(out[0][8][6][6], coords, create_graph=True)[0]
        value = float(torch.autograd.grad((first ** 2).sum(), coords)[0][0][0])
        d = x - 1
        want = -128 * d ** 3 * np.exp(-4 * d ** 2) + 32 * d * np.exp(-4 * d ** 2)
        assert value == pytest.approx(want, abs=1e-4)


def test_torch_datasets_pickle_into_workers():
    torch = pytest.importorskip("torch")
    m = molgrid.MolMapDataset(SMALL, data_root=STRUCTS)
    assert len(m) == 1000
    again = pickle.loads(pickle.dumps(m))
    length, center, coords, types, radii, labels = again[0]
    assert length == coords.shape[0] and labels[1] == pytest.approx(6.05)
    loader = torch.utils.data.DataLoader(m, batch_size=4, num_workers=2,
                                         collate_fn=molgrid.MolMapDataset.collateMolDataset)
    lengths, centers, coords, types, radii, labels = next(iter(loader))
    assert coords.shape[0] == 4 and coords.shape[1] == int(lengths.max())
    it = molgrid.MolIterDataset(SMALL, data_root=STRUCTS, default_batch_size=5,
                                iteration_scheme=molgrid.IterationScheme.SmallEpoch)
    first = next(iter(torch.utils.data.DataLoader(it, batch_size=None, num_workers=0)))
    assert first[0].shape == (5,)
