"""voxelize_cy.gnina's own pipeline: typers, sampling, grids and the datasets."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import voxelize_cy as vc
from voxelize_cy import gnina
from voxelize_cy.data import GninaBatches, GninaExampleData, GninaSampler

DATA = Path(__file__).resolve().parent / "data" / "libmolgrid"
STRUCTS = str(DATA / "structs")
SMALL = str(DATA / "small.types")


# -- typers -----------------------------------------------------------------------

def test_default_typers_are_gninas_channels():
    rec, lig = gnina.DEFAULT_RECEPTOR_TYPER, gnina.DEFAULT_LIGAND_TYPER
    assert rec.type_names() == list(vc.CHANNEL_SETS["gnina-receptor"].channel_names)
    assert lig.type_names() == list(vc.CHANNEL_SETS["gnina-ligand"].channel_names)
    # a channel's radius is the mean of its smina types' XS radii
    np.testing.assert_allclose(lig.type_radii()[-1], (6 * 1.2 + 1.92) / 7)
    types, radii = rec.from_stored(np.array([0, 1, 2, 8, 26, 27]))
    assert types.tolist() == [-1, -1, 0, 6, 13, 13]
    np.testing.assert_allclose(radii, [0.37, 0.37, 1.9, 1.8, 1.2, 1.92])


def test_element_typer_reads_stored_types_as_elements_or_as_libmolgrid():
    stored = np.array([2, 7, 12, 17])  # carbon, nitrogen, oxygen, fluorine
    assert gnina.ElementTyper(80).from_stored(stored)[0].tolist() == [6, 7, 8, 9]
    as_libmolgrid = gnina.ElementTyper(80, stored="as-libmolgrid").from_stored(stored)
    assert as_libmolgrid[0].tolist() == [2, 7, 12, 17]


def test_mappers():
    typer = gnina.GninaTyper()
    subset = gnina.MappedTyper(gnina.SubsetAtomMapper([2, [3, 8]], True, typer.type_names()),
                               typer)
    assert subset.type_names() == ["AliphaticCarbonXSHydrophobe",
                                   "AliphaticCarbonXSNonHydrophobe_NitrogenXSDonorAcceptor",
                                   "GenericAtom"]
    np.testing.assert_allclose(subset.type_radii(), [1.9, 1.85, (45.06 - 5.6) / 25])
    assert subset.from_stored(np.array([2, 3, 8, 0]))[0].tolist() == [0, 1, 1, 2]
    with pytest.raises(ValueError, match="names 'Carbonn'"):
        gnina.FileAtomMapper("Carbonn\n", typer.type_names(), text=True)


# -- sampling -------------------------------------------------------------------

def test_balanced_batches_are_half_actives_and_epochs_libmolgrids():
    e = gnina.GninaExamples(SMALL, data_root=STRUCTS, balanced=True, default_batch_size=10,
                            iteration="large_epoch")
    assert (e.small_epoch_size(), e.large_epoch_size()) == (326, 1674)
    batches = 0
    for batch in e:
        assert sum(ex.labels[0] != 0 for ex in batch) == 5
        batches += 1
    assert batches == 168  # libmolgrid's own test's count


def test_receptor_stratified_small_epoch_sees_each_example_at_most_once():
    e = gnina.GninaExamples(SMALL, data_root=STRUCTS, balanced=True, stratify_receptor=True,
                            default_batch_size=8, iteration="small_epoch")
    assert (e.small_epoch_size(), e.large_epoch_size()) == (112, 2240)
    seen = [(ex.sets[0].src, ex.sets[1].src) for batch in e for ex in batch]
    assert len(seen) == 112 and len(set(seen)) == 112


def test_shuffling_is_seeded():
    a = gnina.GninaExamples(SMALL, data_root=STRUCTS, shuffle=True, seed=3)
    b = gnina.GninaExamples(SMALL, data_root=STRUCTS, shuffle=True, seed=3)
    c = gnina.GninaExamples(SMALL, data_root=STRUCTS, shuffle=True, seed=4)
    rows = [[x.row for x in p.next_batch(20)] for p in (a, b, c)]
    assert rows[0] == rows[1] != rows[2] and sorted(rows[0]) != rows[0]


def test_grouped_batches_must_match_the_group_batch_size():
    e = gnina.GninaExamples(str(DATA / "grouped.types"), data_root=STRUCTS, max_group_size=5,
                            group_batch_size=3)
    with pytest.raises(ValueError, match="does not match the group batch size 3"):
        e.next_batch(4)
    first = e.next_batch(3)
    later = e.next_batch(3)
    assert [x.group for x in first] == [x.group for x in later]
    assert not any(x.seqcont for x in first) and all(x.seqcont for x in later)


def test_unknown_keywords_are_refused():
    with pytest.raises(TypeError, match=r"unknown keyword argument\(s\) \['balance'\]"):
        gnina.GninaExamples(SMALL, balance=True)


# -- grids ------------------------------------------------------------------------

def test_exact_fill_holds_each_atoms_volume():
    """fill='exact' puts the fraction of each voxel an atom's ball covers:
    a ball well inside the grid sums to its volume in voxels."""
    coords = np.array([[0.3, -0.2, 0.1], [2.0, 1.0, -1.5]], np.float32)
    atoms = gnina.TypedAtoms(coords, np.array([0, 1], np.float32),
                             np.array([1.9, 1.2], np.float32), 2)
    gridder = gnina.GninaGridder(0.5, 15.0, fill="exact")
    grid = gridder.grid([atoms], [(0.0, 0.0, 0.0)], 2)[0]
    volumes = [4 / 3 * math.pi * r ** 3 / 0.5 ** 3 for r in (1.9, 1.2)]
    np.testing.assert_allclose(grid.reshape(2, -1).sum(1), volumes, rtol=1e-5)


def test_grid_batch_equals_grids_drawn_one_by_one():
    e = gnina.GninaExamples(SMALL, data_root=STRUCTS)
    examples = e.next_batch(4)
    gridder = gnina.GninaGridder(num_threads=2)
    rng = np.random.default_rng(1)
    centers = [ex.center() for ex in examples]
    frames = gridder.random_frames(centers, 2.0, True, rng)
    batch = gnina.ExampleBatch.of_examples(examples, frames)
    together = gridder.grid_batch(batch)
    for b, ex in enumerate(examples):
        alone = gridder.grid_examples([ex.sets], [centers[b]], e.num_types(),
                                      frames=frames[b:b + 1])[0]
        assert np.array_equal(together[b], alone)
    # atoms cut to the grid's reach in the worker (frames applied): the same grids
    cut = gnina.ExampleBatch.of_examples(examples, frames, gridder=gridder)
    assert cut.coords.shape[0] < batch.coords.shape[0]
    np.testing.assert_allclose(gridder.grid_batch(cut), together, atol=1e-5)


def test_atom_gradients_are_the_grids_derivative():
    e = gnina.GninaExamples(str(DATA / "ligonly.types"), data_root=STRUCTS)
    atoms = e.next().sets[1]
    gridder = gnina.GninaGridder(0.5, 11.5, dtype=np.float64)
    center = atoms.center()
    upstream = np.random.default_rng(2).normal(size=gridder.shape(14))
    grad = gridder.atom_gradients(atoms, center, upstream)
    step = 5e-3
    for atom in (0, 5):
        for axis in range(3):
            moved = [atoms.copy(), atoms.copy()]
            moved[0].coords[atom, axis] += step
            moved[1].coords[atom, axis] -= step
            g = gridder.grid(moved, [center, center], 14)
            numeric = ((g[0] - g[1]) * upstream).sum() / (2 * step)
            assert grad[atom, axis] == pytest.approx(numeric, rel=2e-3, abs=1e-3)


# -- datasets ---------------------------------------------------------------------

def test_items_depend_on_seed_epoch_and_index_only():
    a = GninaExampleData(SMALL, data_root=STRUCTS, random_rotation=True, seed=5)
    b = GninaExampleData(SMALL, data_root=STRUCTS, random_rotation=True, seed=5)
    first = a[7]
    b[3], b[100]  # other items first: no state carries over
    assert np.array_equal(b[7].frames, first.frames)
    a.set_epoch(1)
    assert not np.array_equal(a[7].frames, first.frames)
    merged = GninaExampleData.collate([a[0], a[1], a[2]])
    assert len(merged) == 3 and merged.rows.tolist() == [0, 1, 2]


def test_sampler_splits_an_epoch_between_ranks():
    data = GninaExampleData(SMALL, data_root=STRUCTS)
    parts = [list(GninaSampler(data, num_replicas=2, rank=r, balanced=True, seed=1))
             for r in (0, 1)]
    assert len(parts[0]) == len(parts[1]) == 1674 // 2
    labels = data.examples.table.labels[:, 0]
    both = parts[0] + parts[1]
    assert sorted(set(both)) == list(range(1000))  # a large epoch sees every example
    assert (labels[parts[0][:100]] != 0).sum() == 50  # ranks' balance is kept


def test_batches_are_shared_out_among_workers_and_ranks(monkeypatch):
    ds = GninaBatches(SMALL, 7, data_root=STRUCTS, num_replicas=2, rank=1)
    assert ds.num_batches() == math.ceil(1000 / 7)
    assert list(ds.my_batches()) == list(range(1, ds.num_batches(), 2))
    tud = pytest.importorskip("torch.utils.data")

    class Info:
        id, num_workers = 1, 3

    monkeypatch.setattr(tud, "get_worker_info", lambda: Info)
    assert list(ds.my_batches()) == list(range(4, ds.num_batches(), 6))


def test_a_dataloader_with_workers_gives_the_same_batches():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    def batches(workers):
        ds = GninaBatches(SMALL, 10, data_root=STRUCTS, random_translation=2.0,
                          random_rotation=True, seed=9, scheme="small_epoch",
                          balanced=True, gridder=gnina.GninaGridder())
        loader = DataLoader(ds, batch_size=None, num_workers=workers)
        return {tuple(b.rows.tolist()): b for b in loader}

    alone, spread = batches(0), batches(2)
    assert len(alone) == math.ceil(326 / 10) and alone.keys() == spread.keys()
    key = next(iter(alone))
    assert np.array_equal(alone[key].coords, spread[key].coords)
    assert torch.is_tensor(alone[key].label_tensor(0))


def test_batches_pickle_compactly_and_losslessly():
    """What DataLoader workers send: channels in the smallest type and radii
    by channel when they are a function of it, the same arrays back."""
    import pickle

    e = gnina.GninaExamples(SMALL, data_root=STRUCTS)
    batch = gnina.ExampleBatch.of_examples(e.next_batch(6))
    varied = gnina.ExampleBatch(**{**batch.__dict__, "radius": batch.radius * np.linspace(
        0.9, 1.1, len(batch.radius), dtype=np.float32)})
    for b in (batch, varied):
        back = pickle.loads(pickle.dumps(b))
        for name in ("coords", "channel", "radius", "counts", "labels", "centers", "frames",
                     "rows"):
            assert getattr(back, name).dtype == getattr(b, name).dtype, name
            assert np.array_equal(getattr(back, name), getattr(b, name)), name
        assert back.n_channels == b.n_channels
    plain = len(pickle.dumps(batch.__dict__))
    assert len(pickle.dumps(batch)) < 0.8 * plain
    assert len(pickle.dumps(varied)) > len(pickle.dumps(batch))


def test_batch_sources_name_the_example_of_a_bad_atom():
    from voxelize_cy.images import typed_sources_of_batch

    coords = np.zeros((5, 3), np.float32)
    coords[3, 1] = np.nan
    with pytest.raises(ValueError, match="example 1, atom 1"):
        typed_sources_of_batch(coords, np.zeros(5, np.float32), np.ones(5, np.float32),
                               [2, 3], 4)
    with pytest.raises(ValueError, match="add up"):
        typed_sources_of_batch(coords, np.zeros(5, np.float32), np.ones(5, np.float32),
                               [2, 2], 4)
