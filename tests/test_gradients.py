"""atom_gradients against central finite differences of image_from_atoms."""

import threading

import numpy as np
import pandas as pd
import pytest
from conftest import golden_atoms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import voxelize_cy as vc

H = 1e-6  # Å, the finite-difference step
FILLS = ["fraction_atom", "overlap_A3", "fraction_voxel"]


def loss(atoms, params, grad, **kwargs):
    return float((grad * vc.image_from_atoms(atoms, params, **kwargs)).sum())


def fd_gradients(atoms, params, grad, rows=None, h=H, one_atom_at_a_time=True, **kwargs):
    """Central differences of L = sum(grad * image) for the given rows.

    With the sum aggregation the image is a sum over atoms, so an atom's
    derivative is that of the image of the atom alone (much cheaper); with
    ``one_atom_at_a_time=False`` the whole table is redrawn."""
    table = pd.DataFrame(atoms).reset_index(drop=True)
    rows = range(len(table)) if rows is None else rows
    out = np.zeros((len(table), 3))
    for i in rows:
        base = table.iloc[[i]].reset_index(drop=True) if one_atom_at_a_time else table
        j = 0 if one_atom_at_a_time else i
        for a, axis in enumerate("xyz"):
            up, down = base.copy(), base.copy()
            up.loc[j, axis] += h
            down.loc[j, axis] -= h
            out[i, a] = (loss(up, params, grad, **kwargs)
                         - loss(down, params, grad, **kwargs)) / (2 * h)
    return out


def relative_error(fd, analytic):
    return np.abs(fd - analytic).max() / max(np.abs(analytic).max(), 1e-300)


@pytest.fixture(scope="module")
def structures(golden):
    _, npz = golden
    return {s: golden_atoms(npz, s) for s in ("1qjg", "171l", "2ypi")}


@pytest.mark.parametrize("name", ["1qjg", "171l", "2ypi"])
@pytest.mark.parametrize("fill", FILLS)
def test_real_structures_against_finite_differences(structures, name, fill):
    atoms = structures[name]
    rng = np.random.default_rng(len(name))
    center = atoms[["x", "y", "z"]].to_numpy()[rng.integers(len(atoms))]
    params = vc.ImageParams(vc.Grid(12, 1.0, center), ["C", "N", "O", ".*"],
                            {"C": 1.7, "N": 1.55, "O": 1.52, "*": 1.8})
    grad = rng.normal(size=(4, 12, 12, 12))
    analytic = vc.atom_gradients(atoms, params, grad, fill=fill)
    rows = np.flatnonzero(np.abs(analytic).sum(axis=1))
    assert len(rows) > 50
    # Every atom that can reach the image, including those cut by its border.
    reach = 12 * 1.0 / 2 + 1.8
    inside = np.flatnonzero(np.all(np.abs(atoms[["x", "y", "z"]].to_numpy() - center) < reach,
                                   axis=1))
    fd = fd_gradients(atoms, params, grad, inside, fill=fill)
    assert relative_error(fd, analytic) <= 1e-6
    outside = np.setdiff1d(np.arange(len(atoms)), inside)
    assert not analytic[outside].any()


@pytest.mark.parametrize("fill", FILLS)
def test_max_aggregation_sends_the_gradient_to_the_maximum(fill):
    rng = np.random.default_rng(3)
    n = 14
    atoms = pd.DataFrame({"element": rng.choice(["C", "N"], n),
                          "x": rng.uniform(-2, 2, n), "y": rng.uniform(-2, 2, n),
                          "z": rng.uniform(-2, 2, n), "occupancy": rng.uniform(0.2, 1, n)})
    params = vc.ImageParams(vc.Grid(6, 0.8), ["C", "N"], {"C": 0.9, "N": 1.6})
    grad = rng.normal(size=(2, 6, 6, 6))
    analytic = vc.atom_gradients(atoms, params, grad, fill=fill, agg="max")
    fd = fd_gradients(atoms, params, grad, one_atom_at_a_time=False, fill=fill, agg="max")
    assert relative_error(fd, analytic) <= 1e-6
    summed = vc.atom_gradients(atoms, params, grad, fill=fill)
    assert not np.allclose(analytic, summed)


def test_frames_give_gradients_in_the_tables_frame(structures):
    atoms = structures["171l"]
    rng = np.random.default_rng(8)
    xyz = atoms[["x", "y", "z"]].to_numpy()
    frame = vc.random_frame(xyz[100], rng)
    params = vc.ImageParams(vc.Grid(10, 1.0), ["C", "N", "O", ".*"], 1.2)
    grad = rng.normal(size=(4, 10, 10, 10))
    analytic = vc.atom_gradients(atoms, params, grad, frame=frame)
    rows = np.flatnonzero(np.abs(analytic).sum(axis=1))
    fd = np.zeros_like(analytic)
    for i in rows:
        one = atoms.iloc[[i]].reset_index(drop=True)
        for a, axis in enumerate("xyz"):
            up, down = one.copy(), one.copy()
            up.loc[0, axis] += H
            down.loc[0, axis] -= H
            fd[i, a] = (loss(up, params, grad, frame=frame)
                        - loss(down, params, grad, frame=frame)) / (2 * H)
    assert len(rows) > 20
    assert relative_error(fd, analytic) <= 1e-6


def test_translation_invariance(structures):
    """Moving every atom by d is moving the grid by -d."""
    atoms = structures["2ypi"]
    rng = np.random.default_rng(9)
    center = atoms[["x", "y", "z"]].to_numpy()[42]
    grad = rng.normal(size=(4, 12, 12, 12))

    def params(c):
        return vc.ImageParams(vc.Grid(12, 0.9, np.asarray(c)), ["C", "N", "O", ".*"], 1.1)

    total = vc.atom_gradients(atoms, params(center), grad).sum(axis=0)
    by_grid = np.zeros(3)
    for a in range(3):
        step = np.zeros(3)
        step[a] = H
        by_grid[a] = (loss(atoms, params(center + step), grad)
                      - loss(atoms, params(center - step), grad)) / (2 * H)
    assert np.abs(total + by_grid).max() <= 1e-6 * np.abs(total).max()


@st.composite
def placements(draw):
    """An atom placed against the grid: centre on a voxel corner, edge, face
    or centre (plus an offset), or tangent to a voxel face; radii smaller and
    larger than a voxel."""
    res = draw(st.sampled_from([0.5, 1.0, 1.5]))
    length = draw(st.integers(2, 7))
    r = res * draw(st.sampled_from([0.2, 0.45, 0.5, 0.9, 1.0, 1.7, 3.2]))
    origin = -res * length / 2  # the grid's lower corner (centre at 0)
    kind = draw(st.sampled_from(["corner", "edge", "face", "centre", "tangent"]))
    cell = [draw(st.integers(0, length)) for _ in range(3)]
    halves = {"corner": (0, 0, 0), "edge": (0, 0, 0.5), "face": (0, 0.5, 0.5),
              "centre": (0.5, 0.5, 0.5), "tangent": (0.5, 0.5, 0)}[kind]
    center = [origin + (cell[a] + halves[a]) * res for a in range(3)]
    if kind == "tangent":  # the ball touches the face z = plane from one side
        center[2] += draw(st.sampled_from([-1, 1])) * r
    jitter = draw(st.sampled_from([0.0, 0.0, 1e-3]))
    center = [c + jitter * (a + 1) for a, c in enumerate(center)]
    return center, r, res, length, kind


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(placement=placements(), fill=st.sampled_from(FILLS), seed=st.integers(0, 2**16))
def test_adversarial_placements(placement, fill, seed):
    center, r, res, length, kind = placement
    atoms = pd.DataFrame({"element": ["C"], "x": [center[0]], "y": [center[1]],
                          "z": [center[2]], "occupancy": [0.7]})
    params = vc.ImageParams(vc.Grid(length, res), ["C"], r)
    grad = np.random.default_rng(seed).normal(size=(1, length, length, length))
    analytic = vc.atom_gradients(atoms, params, grad, fill=fill)
    # Where the ball is tangent to a voxel plane, the overlap's second
    # derivative jumps, and any central difference is off by about h/4 of the
    # rate at which the face's area grows (h / (2 r) of the ball's term): there
    # the step is 1e-8 Å; elsewhere 1e-6 Å.
    planes = -res * length / 2 + res * np.arange(length + 1)
    tangent = any(np.abs(planes - (c + side * r)).min() < 1e-9
                  for c in center for side in (-1, 1))
    h = 1e-8 if tangent else H
    fd = fd_gradients(atoms, params, grad, h=h, fill=fill)
    # Relative to the larger of the gradient and the atom's natural scale (a
    # whole cross-section's worth): where the faces' terms cancel, or the ball
    # only touches the image, the gradient itself is ~0.
    per_volume = {"fraction_atom": 1 / (4 / 3 * np.pi * r**3), "overlap_A3": 1.0,
                  "fraction_voxel": 1 / res**3}[fill]
    natural = 0.7 * np.abs(grad).max() * np.pi * r**2 * per_volume
    scale = max(np.abs(analytic).max(), natural)
    assert np.abs(fd - analytic).max() <= 1e-6 * scale


def test_prepared_tables_and_threads_give_the_same_gradients(structures):
    atoms = structures["1qjg"]
    prepared = vc.prepare_atoms(atoms)
    rng = np.random.default_rng(5)
    xyz = atoms[["x", "y", "z"]].to_numpy()
    jobs = []
    for i in range(16):
        params = vc.ImageParams(vc.Grid(15, 1.0, xyz[rng.integers(len(xyz))]),
                                ["C", "N", "O", ".*"], 0.5)
        jobs.append((params, rng.normal(size=(4, 15, 15, 15)).astype(np.float32)))
    serial = [vc.atom_gradients(atoms, p, g) for p, g in jobs]
    for (p, g), expected in zip(jobs, serial):
        assert np.array_equal(vc.atom_gradients(prepared, p, g), expected)
    results = [None] * len(jobs)

    def work(k):
        for i in range(k, len(jobs), 4):
            results[i] = vc.atom_gradients(atoms, *jobs[i])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(a, b) for a, b in zip(results, serial))


@pytest.mark.parametrize("grad, message", [
    (np.zeros((4, 9, 9)), r"expected \(4, 9, 9, 9\)"),
    (np.zeros((3, 9, 9, 9)), r"expected \(4, 9, 9, 9\)"),
    (np.zeros((4, 9, 9, 9), dtype=np.int64), r"dtype int64; expected float32 or float64"),
    (np.full((4, 9, 9, 9), np.nan), r"nan at \(0, 0, 0, 0\).*\(4, 9, 9, 9\)"),
])
def test_bad_grad_images(grad, message):
    atoms = {"element": ["C"], "x": [0.3], "y": [0.1], "z": [0.0], "occupancy": [1.0]}
    params = vc.ImageParams(vc.Grid(9, 1.0), ["C", "N", "O", ".*"], 0.5)
    with pytest.raises(ValueError, match=message):
        vc.atom_gradients(atoms, params, grad)


def test_strided_float32_grad_and_the_originals_errors():
    atoms = pd.DataFrame({"element": ["C", "XX"], "x": [0.0, 0.3], "y": [0.0, 0.0],
                          "z": [0.0, 0.0], "occupancy": [1.0, 1.0]})
    params = vc.ImageParams(vc.Grid(5, 1.0), ["C"], 0.5)
    grad = np.ones((1, 5, 5, 10), dtype=np.float32)[..., ::2]
    with pytest.raises(RuntimeError, match="element XX didn't match"):
        vc.atom_gradients(atoms, params, grad)
    out = vc.atom_gradients(atoms.iloc[:1], params, grad)
    assert out.shape == (1, 3) and np.abs(out).max() < 1e-12  # uniform grad: no force


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_all_finite_scan_finds_every_non_finite_value(dtype, value):
    """The C scan behind grad_image's check agrees with numpy at every position."""
    from voxelize_cy.core import all_finite

    values = np.linspace(-3e38 if dtype == np.float32 else -1e300, 1, 257).astype(dtype)
    assert all_finite(values)
    for position in (0, 1, 100, 256):
        bad = values.copy()
        bad[position] = value
        assert not all_finite(bad)
    assert all_finite(np.array([-0.0, 1e-45, np.finfo(dtype).max], dtype=dtype))


@pytest.mark.parametrize("fill", ["fraction_atom", "gaussian"])
def test_non_finite_grad_values_out_of_reach_change_nothing(fill):
    """NaN or inf in grad_image raise where the pass reads them (within reach
    of an atom); elsewhere they do not change the gradients."""
    atoms = {"element": ["C", "N"], "x": [0.3, -1.2], "y": [0.1, 0.4], "z": [0.0, 0.7],
             "occupancy": [1.0, 1.0]}
    params = vc.ImageParams(vc.Grid(15, 1.0), ["C", "N", "O", ".*"], 1.2)
    grad = np.random.default_rng(1).normal(size=(4, 15, 15, 15))
    expected = vc.atom_gradients(atoms, params, grad, fill=fill)
    far = grad.copy()
    far[3] = np.nan  # channel 3 holds no atom
    far[0, 0, 0, 0] = np.inf  # a corner no atom reaches
    np.testing.assert_array_equal(vc.atom_gradients(atoms, params, far, fill=fill), expected)
    near = grad.copy()
    near[1, 6, 7, 8] = -np.inf  # next to the N atom (voxel centres at -7 .. 7)
    with pytest.raises(ValueError, match=r"-inf at \(1, 6, 7, 8\)|nan at \(3, 0, 0, 0\)"):
        vc.atom_gradients(atoms, params, np.where(np.isnan(far), 0.0, near), fill=fill)
