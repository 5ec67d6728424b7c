"""Prepared atom tables: bitwise the table's images, picklable, thread-safe."""

import pickle
import threading

import numpy as np
import pandas as pd
import pytest
from conftest import golden_atoms

import voxelize_cy as vc

PARAMS = [
    dict(length=15, resolution=1.0, channels=["C", "N", "O", ".*"], radii=0.5),
    dict(length=24, resolution=0.75, channels=["C", "N|O", "S|SE", ".*"],
         radii={"C": 1.7, "N": 1.55, "O": 1.52, "*": 1.8}),
    dict(length=6, resolution=2.0, channels=[".*"], radii=3.0),
]


def params_at(center, p):
    return vc.ImageParams(vc.Grid(p["length"], p["resolution"], np.asarray(center, dtype=float)),
                          p["channels"], p["radii"])


@pytest.fixture(scope="module")
def structures(golden):
    _, npz = golden
    return {s: golden_atoms(npz, s) for s in ("1qjg", "3v4i", "171l", "1aa5", "4rek", "2ypi")}


def tiled(atoms, copies_per_axis, spacing_A=80.0):
    """The structure repeated on a cubic lattice."""
    shifts = np.stack(np.meshgrid(*[np.arange(copies_per_axis)] * 3, indexing="ij"),
                      -1).reshape(-1, 3) * spacing_A
    n = len(atoms)
    xyz = atoms[["x", "y", "z"]].to_numpy()
    big = (xyz[None] + shifts[:, None]).reshape(-1, 3)
    return pd.DataFrame({"element": np.tile(atoms["element"].to_numpy(dtype=object),
                                            len(shifts)),
                         "x": big[:, 0], "y": big[:, 1], "z": big[:, 2],
                         "occupancy": np.tile(atoms["occupancy"].to_numpy(), len(shifts))})


@pytest.mark.parametrize("name", ["1qjg", "3v4i", "171l", "1aa5", "4rek", "2ypi"])
def test_prepared_equals_the_table_bitwise(structures, name):
    atoms = structures[name]
    prepared = vc.prepare_atoms(atoms)
    assert len(prepared) == len(atoms)
    rng = np.random.default_rng(1)
    xyz = atoms[["x", "y", "z"]].to_numpy()
    for p in PARAMS:
        for _ in range(8):
            center = xyz[rng.integers(len(xyz))] + rng.normal(0, 2, 3)
            params = params_at(center, p)
            expected = vc.image_from_atoms(atoms, params)
            assert np.array_equal(vc.image_from_atoms(prepared, params), expected)
            frame = vc.random_frame(center, rng)
            at_origin = params_at(np.zeros(3), p)
            assert np.array_equal(vc.image_from_atoms(prepared, at_origin, frame=frame),
                                  vc.image_from_atoms(atoms, at_origin, frame=frame))


def test_batches_of_prepared_tables(structures):
    a, b = structures["171l"], structures["1aa5"]
    pa, pb = vc.prepare_atoms(a), vc.prepare_atoms(b)
    rng = np.random.default_rng(2)
    centers = [a[["x", "y", "z"]].to_numpy()[i] for i in rng.integers(len(a), size=6)]
    params = [params_at(c, PARAMS[0]) for c in centers]
    for threads in (1, 2):
        assert np.array_equal(vc.images_from_atoms(pa, params, num_threads=threads),
                              vc.images_from_atoms(a, params, num_threads=threads))
        mixed = vc.images_from_atoms([pa, b, a, pb, pa, b], params, num_threads=threads)
        for i, table in enumerate([a, b, a, b, a, b]):
            assert np.array_equal(mixed[i], vc.image_from_atoms(table, params[i]))
    frames = np.stack([vc.random_frame(c, rng) for c in centers])
    origin = params_at(np.zeros(3), PARAMS[0])
    assert np.array_equal(vc.images_from_atoms(pa, origin, frames=frames, num_threads=2),
                          vc.images_from_atoms(a, origin, frames=frames, num_threads=2))


def test_a_tiled_million_atom_table(structures):
    atoms = tiled(structures["1qjg"], 5)  # 125 copies: 938,625 atoms
    assert len(atoms) > 900_000
    prepared = vc.prepare_atoms(atoms)
    rng = np.random.default_rng(3)
    xyz = atoms[["x", "y", "z"]].to_numpy()
    for p in PARAMS[:2]:
        for _ in range(3):
            center = xyz[rng.integers(len(xyz))]
            params = params_at(center, p)
            assert np.array_equal(vc.image_from_atoms(prepared, params),
                                  vc.image_from_atoms(atoms, params))
            frame = vc.random_frame(center, rng)
            origin = params_at(np.zeros(3), p)
            assert np.array_equal(vc.image_from_atoms(prepared, origin, frame=frame),
                                  vc.image_from_atoms(atoms, origin, frame=frame))


def test_pickles_compactly_and_round_trips(structures):
    atoms = structures["4rek"]
    prepared = vc.prepare_atoms(atoms)
    data = pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL)
    assert len(data) < prepared.nbytes + 4096  # arrays, not an object per atom
    again = pickle.loads(data)
    assert repr(again) == repr(prepared)
    params = params_at(atoms[["x", "y", "z"]].to_numpy()[10], PARAMS[1])
    assert np.array_equal(vc.image_from_atoms(again, params), vc.image_from_atoms(atoms, params))
    bad = list(prepared.__reduce__()[1])
    bad[6] = bad[6][::-1].copy()  # cell starts that do not rise
    with pytest.raises(ValueError, match="inconsistent"):
        prepared.__reduce__()[0](*bad)


def test_eight_threads_share_one_prepared_table(structures):
    atoms = structures["3v4i"]
    prepared = vc.prepare_atoms(atoms)
    rng = np.random.default_rng(4)
    xyz = atoms[["x", "y", "z"]].to_numpy()
    jobs = [(params_at(xyz[rng.integers(len(xyz))], PARAMS[i % 3]),
             vc.random_frame(xyz[rng.integers(len(xyz))], rng) if i % 2 else None)
            for i in range(64)]
    serial = [vc.image_from_atoms(prepared, p, frame=f) for p, f in jobs]
    results = [None] * len(jobs)

    def work(k):
        for i in range(k, len(jobs), 8):
            for _ in range(3):
                results[i] = vc.image_from_atoms(prepared, jobs[i][0], frame=jobs[i][1])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(r, s) for r, s in zip(results, serial))


def test_immutable(structures):
    prepared = vc.prepare_atoms(structures["2ypi"])
    with pytest.raises(ValueError):
        prepared.x[0] = 1.0
    with pytest.raises(AttributeError):
        prepared.x = np.zeros(3)


@pytest.mark.parametrize("column, value, message", [
    ("x", np.nan, r"atoms\['x'\] at row 3 is nan"),
    ("z", np.inf, r"atoms\['z'\] at row 3 is inf"),
    ("occupancy", -0.5, r"atoms\['occupancy'\] at row 3 is -0.5"),
])
def test_bad_rows_are_refused_when_preparing(structures, column, value, message):
    atoms = structures["1aa5"].copy()
    atoms.loc[3, column] = value
    with pytest.raises(ValueError, match=message):
        vc.prepare_atoms(atoms)


def test_missing_columns_and_bad_cells():
    with pytest.raises(ValueError, match="missing column"):
        vc.prepare_atoms({"x": [0.0], "y": [0.0], "z": [0.0]})
    with pytest.raises(ValueError, match="cell_A"):
        vc.prepare_atoms({"element": ["C"], "x": [0.0], "y": [0.0], "z": [0.0],
                          "occupancy": [1.0]}, cell_A=0)


def test_the_originals_errors_name_the_table_row():
    atoms = pd.DataFrame({"element": ["C", "N", "XX", None],
                          "x": [0.0, 1.0, 2.0, 50.0], "y": [0.0] * 4, "z": [0.0] * 4,
                          "occupancy": [1.0] * 4})
    prepared = vc.prepare_atoms(atoms)
    with pytest.raises(RuntimeError, match="element XX didn't match.*row 2"):
        vc.image_from_atoms(prepared, vc.ImageParams(vc.Grid(9, 1.0), ["C", "N"], 0.5))
    with pytest.raises(KeyError, match="'XX'.*row 2"):
        vc.image_from_atoms(prepared, vc.ImageParams(vc.Grid(9, 1.0), [".*"], {"C": 1.0,
                                                                             "N": 1.0}))
    far = vc.ImageParams(vc.Grid(9, 1.0, np.array([50.0, 0, 0])), [".*"], 0.5)
    with pytest.raises(ValueError, match="row 3 is None"):
        vc.image_from_atoms(prepared, far)


def test_sparse_tables_and_cell_sizes(structures):
    atoms = pd.DataFrame({"element": ["C", "N", "O"], "x": [0.0, 1e6, -3e5],
                          "y": [0.0, 2.0, 1e5], "z": [0.0, 0.5, 7.0],
                          "occupancy": [1.0, 0.5, 1.0]})
    prepared = vc.prepare_atoms(atoms)
    assert np.prod(prepared.cells) <= 6
    for center in ([0, 0, 0], [1e6, 2, 0], [-3e5, 1e5, 7]):
        params = vc.ImageParams(vc.Grid(5, 1.0, np.array(center, dtype=float)), [".*"], 1.0)
        assert np.array_equal(vc.image_from_atoms(prepared, params),
                              vc.image_from_atoms(atoms, params))
        assert vc.image_from_atoms(prepared, params).sum() > 0.4
    params = params_at(structures["1aa5"][["x", "y", "z"]].to_numpy()[5], PARAMS[1])
    for cell in (1.5, 8.0, 100.0):
        sized = vc.prepare_atoms(structures["1aa5"], cell_A=cell)
        # As asked, unless that makes more than two cells per atom.
        assert sized.cell_A == cell or (sized.cell_A > cell
                                        and np.prod(sized.cells) <= 2 * len(sized))
        assert np.array_equal(vc.image_from_atoms(sized, params),
                              vc.image_from_atoms(structures["1aa5"], params))
    assert vc.prepare_atoms(structures["1aa5"], cell_A=8.0).cell_A == 8.0


def test_empty_and_one_atom_tables():
    empty = vc.prepare_atoms({"element": np.array([], dtype=str), "x": np.array([]),
                              "y": np.array([]), "z": np.array([]),
                              "occupancy": np.array([])})
    params = vc.ImageParams(vc.Grid(5, 1.0), [".*"], 1.0)
    assert len(empty) == 0 and not vc.image_from_atoms(empty, params).any()
    one = vc.prepare_atoms({"element": ["C"], "x": [0.2], "y": [0.0], "z": [0.0],
                            "occupancy": [1.0]})
    assert vc.image_from_atoms(one, params).sum() == pytest.approx(1.0)


def test_every_input_form_prepares_the_same(structures):
    from test_input_forms import forms

    atoms = structures["171l"]
    params = params_at(atoms[["x", "y", "z"]].to_numpy()[40], PARAMS[0])
    expected = vc.image_from_atoms(atoms, params)
    for name, table in forms(atoms).items():
        assert np.array_equal(vc.image_from_atoms(vc.prepare_atoms(table), params),
                              expected), name
    assert vc.prepare_atoms(vc.prepare_atoms(atoms)) is not None
