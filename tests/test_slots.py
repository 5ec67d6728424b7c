"""Reused output arrays (voxelize_cy/training/_slots.py): a slot is drawn into
again only once every view of it is gone, in this process and across
DataLoader workers, and the images are those of fresh arrays."""

import gc

import numpy as np
import pytest
from conftest import DATA

import voxelize_cy as vc
from voxelize_cy.training._slots import Pools, SlotPool, whole_slot

SOURCES = sorted(str(p) for p in (DATA / "structures").glob("*.cif.gz"))
OPTIONS = dict(length_voxels=10, resolution_A=1.0, channels=["C", "N", "O", ".*"],
               radii_A=1.2, views=2, seed=5)


def address(array) -> int:
    return np.asarray(array).__array_interface__["data"][0]


def expected_images(cache, name, params, frames):
    return vc.images_from_atoms(cache[name], params, frames=frames, dtype=np.float32)


def test_a_slot_comes_back_only_when_its_last_view_is_gone():
    pool = SlotPool((3, 4), np.float32, n_slots=2)
    first, second = pool.take(), pool.take()
    assert address(first) != address(second)
    third = pool.take()  # both slots out: a fresh array
    assert pool.fresh == 1 and address(third) not in (address(first), address(second))
    kept = first.reshape(12)[2:5]  # a view keeps the slot out
    del first
    gc.collect()
    again = pool.take()
    assert pool.fresh == 2 and address(again) != address(kept) - 8
    torch = pytest.importorskip("torch")
    tensor = torch.from_numpy(kept)[1:]  # a tensor of a view, sliced: still out
    del kept
    gc.collect()
    assert pool.take() is not None and pool.fresh == 3
    del tensor
    gc.collect()
    reused = pool.take()
    assert pool.fresh == 3
    assert whole_slot([reused]) is not None and whole_slot([reused[1:]]) is None
    assert whole_slot(list(reused)) is not None  # its rows, in order, make it whole
    assert whole_slot(list(reused)[::-1]) is None


def test_no_reuse_with_zero_slots_and_bad_counts():
    pools = Pools(0)
    a, b = pools.take((2, 2), np.float64), pools.take((2, 2), np.float64)
    assert whole_slot([a]) is None and address(a) != address(b)
    with pytest.raises(ValueError, match="reuse_slots"):
        Pools(-1)
    with pytest.raises(ValueError, match="n_slots"):
        SlotPool((1,), np.float32, n_slots=0)


def test_items_kept_are_never_drawn_over(tmp_path):
    """Items kept while many others are drawn keep their own images; dropped
    items' arrays are reused."""
    from voxelize_cy.data import StructureViews

    vc.convert_to_shards(SOURCES, tmp_path, shard_size=4, jobs=1)
    views, fresh = StructureViews(tmp_path, **OPTIONS), StructureViews(
        tmp_path, reuse_slots=0, **OPTIONS)
    cache = vc.StructureCache(tmp_path)
    kept = [views[i] for i in range(len(views))] * 2  # more than the pool's slots
    kept += [views[i] for i in range(len(views))]
    for item in kept:
        np.testing.assert_array_equal(
            item["image"], expected_images(cache, item["id"], views.params, item["frames"]))
        np.testing.assert_array_equal(item["image"], fresh[item["index"]]["image"])
    del kept, item
    gc.collect()
    seen = set()
    for _ in range(5):
        for i in range(len(views)):
            image = views[i]["image"]
            seen.add(address(image))
            np.testing.assert_array_equal(image, fresh[i]["image"])
            del image
    assert len(seen) <= 4  # 30 items from the pool's 4 slots


def test_collate_batches_drawn_items_without_a_copy(tmp_path):
    torch = pytest.importorskip("torch")
    from voxelize_cy.data import StructureViews

    vc.convert_to_shards(SOURCES, tmp_path, shard_size=4, jobs=1)
    views = StructureViews(tmp_path, **OPTIONS)
    items = views.__getitems__([4, 1, 3])
    batch = views.collate(items)
    assert batch["image"].shape == (3, 2, 4, 10, 10, 10) and batch["id"] == [
        views.ids[4], views.ids[1], views.ids[3]]
    assert batch["image"].data_ptr() == address(items[0]["image"])
    assert torch.equal(batch["index"], torch.tensor([4, 1, 3]))
    for k, i in enumerate((4, 1, 3)):
        np.testing.assert_array_equal(batch["image"][k].numpy(), views[i]["image"])
    mixed = views.collate([views[0], views[5]])  # drawn apart: stacked
    np.testing.assert_array_equal(mixed["image"][1].numpy(), views[5]["image"])


def test_dataloader_workers_reuse_shared_slots(tmp_path):
    """Two workers, batches collated in their shared slots: every batch (all of
    them kept to the end) is its images, and batches let go are drawn into
    the same slots again."""
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    from voxelize_cy.data import StructureViews

    vc.convert_to_shards(SOURCES, tmp_path, shard_size=4, jobs=1)
    views = StructureViews(tmp_path, **OPTIONS)
    loader = DataLoader(views, batch_size=1, num_workers=2, collate_fn=views.collate,
                        persistent_workers=True, multiprocessing_context="spawn")
    cache = vc.StructureCache(tmp_path)
    kept = [batch for _ in range(2) for batch in loader]
    assert len(kept) == 12
    for batch in kept:
        assert isinstance(batch["image"], torch.Tensor)
        np.testing.assert_array_equal(
            batch["image"][0].numpy(),
            expected_images(cache, batch["id"][0], views.params, batch["frames"][0].numpy()))
    del kept, batch
    gc.collect()
    pointers = set()
    for _ in range(3):
        for batch in loader:
            pointers.add(batch["image"].data_ptr())
            index = int(batch["index"][0])
            np.testing.assert_array_equal(batch["image"][0].numpy(), views[index]["image"])
            del batch
    assert len(pointers) <= 8  # 18 batches from 2 workers' 4 slots each


def test_gnina_workers_grid_their_batches_into_reused_slots():
    """grids_in_workers: each batch's grids and labels, the same in this process
    and from 2 workers (all kept to the end), from slots that are reused."""
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    from voxelize_cy import gnina
    from voxelize_cy.data import GninaBatches

    small = str(DATA / "libmolgrid" / "small.types")
    structs = str(DATA / "libmolgrid" / "structs")
    gridder = gnina.GninaGridder(resolution=1.0, dimension=9.0, num_threads=1)

    def dataset(**options):
        return GninaBatches(small, 60, data_root=structs, random_translation=2.0,
                            random_rotation=True, seed=4, scheme="small_epoch",
                            gridder=gridder, **options)

    plain = dataset()
    expected = {i: (gridder.grid_batch(plain.batch(i)), plain.batch(i).labels)
                for i in range(plain.num_batches())}
    with pytest.raises(ValueError, match="gridder"):
        GninaBatches(small, 60, data_root=structs, grids_in_workers=True)

    def check(item):
        grids, labels = expected[item["index"]]
        assert isinstance(item["grids"], torch.Tensor) and item["grids"].dtype == torch.float32
        np.testing.assert_array_equal(item["grids"].numpy(), grids)
        np.testing.assert_array_equal(item["labels"].numpy(), labels)

    for reuse in (4, 0):  # reused slots, and fresh arrays every time
        for item in dataset(grids_in_workers=True, reuse_slots=reuse):
            check(item)
    loader = DataLoader(dataset(grids_in_workers=True), batch_size=None, num_workers=2,
                        persistent_workers=True, multiprocessing_context="spawn")
    kept = list(loader)
    assert sorted(item["index"] for item in kept) == sorted(expected)
    for item in kept:
        check(item)
    del kept, item
    gc.collect()
    pointers = set()
    for _ in range(3):
        for item in loader:
            check(item)
            pointers.add(item["grids"].data_ptr())
            del item
    assert len(pointers) <= 8 < 3 * len(expected)
