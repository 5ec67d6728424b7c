"""The sharded structure cache: convert_to_shards and StructureCache."""

import os
import pickle
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DATA

import voxelize_cy as vc
from voxelize_cy.cli import main
from voxelize_cy.io import shards

pytest.importorskip("pyarrow")
SOURCES = sorted(str(p) for p in (DATA / "structures").glob("*.cif.gz"))


def files_of(folder):
    return {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir())}


def test_tables_equal_atoms_from_file(tmp_path):
    results = vc.convert_to_shards(SOURCES, tmp_path, shard_size=4, jobs=1)
    assert [r.status for r in results] == ["written"] * 6
    assert sorted(os.listdir(tmp_path)) == ["index.arrow", "shard-00000.arrow",
                                            "shard-00001.arrow"]
    cache = vc.StructureCache(tmp_path)
    assert len(cache) == 6 and cache.ids == ["171l", "1aa5", "1qjg", "2ypi", "3v4i", "4rek"]
    assert "1qjg" in cache and "9xyz" not in cache and list(cache) == cache.ids
    for source in SOURCES:
        name = Path(source).name.split(".")[0]
        pd.testing.assert_frame_equal(cache[name], vc.atoms_from_file(source))
    with pytest.raises(KeyError, match="no structure '9xyz'"):
        cache["9xyz"]
    import pyarrow as pa

    with pa.memory_map(str(tmp_path / "index.arrow")) as source:
        index = pa.ipc.open_file(source).read_all().to_pydict()
    assert list(index) == ["id", "shard", "batch", "first_row", "rows", "source_size",
                           "source_mtime_ns", "checksum"]
    for k, name in enumerate(index["id"]):  # rows of a shard, one structure after another
        earlier = [index["rows"][j] for j in range(k) if index["shard"][j] == index["shard"][k]]
        assert index["first_row"][k] == sum(earlier)
        assert index["rows"][k] == len(cache[name])
        assert index["source_size"][k] == os.stat(SOURCES[k]).st_size
    again = pickle.loads(pickle.dumps(cache))  # a worker reopens the folder
    pd.testing.assert_frame_equal(again["2ypi"], cache["2ypi"])
    assert "StructureCache" in repr(cache) and "6 structures" in repr(cache)


def test_rerun_adds_only_what_is_new_or_changed(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for source in SOURCES[:4]:
        shutil.copy(source, inputs)
    out = tmp_path / "cache"
    first = vc.convert_to_shards(sorted(map(str, inputs.iterdir())), out, shard_size=3,
                                 jobs=1)
    assert [r.status for r in first] == ["written"] * 4
    before = files_of(out)
    for source in SOURCES[4:]:  # the input set grows
        shutil.copy(source, inputs)
    changed = inputs / "1qjg.cif.gz"  # and one file changes
    changed.write_bytes((DATA / "structures" / "2ypi.cif.gz").read_bytes())
    second = vc.convert_to_shards(sorted(map(str, inputs.iterdir())), out, shard_size=3,
                                  jobs=1)
    assert [r.status for r in second] == ["skipped", "skipped", "written", "skipped",
                                          "written", "written"]
    after = files_of(out)
    for name in ("shard-00000.arrow", "shard-00001.arrow"):
        assert after[name] == before[name]  # old shards untouched
    cache = vc.StructureCache(out)
    assert len(cache) == 6
    pd.testing.assert_frame_equal(cache["1qjg"], vc.atoms_from_file(changed))
    pd.testing.assert_frame_equal(cache["171l"], vc.atoms_from_file(SOURCES[0]))


def test_an_interrupted_run_leaves_whole_shards(tmp_path, monkeypatch):
    real = shards._write_index
    calls = []

    def crash_after_first(out_dir, index):
        calls.append(len(index["id"]))
        if len(calls) == 2:
            raise KeyboardInterrupt  # killed while writing the second index
        real(out_dir, index)

    monkeypatch.setattr(shards, "_write_index", crash_after_first)
    with pytest.raises(KeyboardInterrupt):
        vc.convert_to_shards(SOURCES, tmp_path, shard_size=2, jobs=1)
    monkeypatch.setattr(shards, "_write_index", real)
    cache = vc.StructureCache(tmp_path)  # the index of the first shard: whole, readable
    assert cache.ids == ["171l", "1aa5"]
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".partial")]
    resumed = vc.convert_to_shards(SOURCES, tmp_path, shard_size=2, jobs=1)
    assert [r.status for r in resumed].count("skipped") == 2
    assert len(vc.StructureCache(tmp_path)) == 6


def test_bad_files_are_reported_and_the_rest_converted(tmp_path, capsys):
    bad = tmp_path / "broken.cif"
    bad.write_text("data_x\nloop_\n_atom_site.id\n")
    out = tmp_path / "cache"
    status = main(["convert", SOURCES[0], str(bad), SOURCES[3], "-o", str(out),
                   "--shard-size", "5", "--jobs", "1"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "broken.cif" in err
    assert vc.StructureCache(out).ids == ["171l", "2ypi"]
    with pytest.raises(ValueError, match="shard_size"):
        vc.convert_to_shards(SOURCES, out, shard_size=0)


def test_executors_give_the_same_cache(tmp_path):
    """Shards and index are the same bytes whichever executor parsed the files:
    this process, threads, a process pool, a Dask LocalCluster of two worker
    processes."""
    vc.convert_to_shards(SOURCES, tmp_path / "serial", shard_size=4, jobs=1)
    expected = files_of(tmp_path / "serial")
    with ThreadPoolExecutor(2) as pool:
        vc.convert_to_shards(SOURCES, tmp_path / "threads", shard_size=4, executor=pool)
    vc.convert_to_shards(SOURCES, tmp_path / "processes", shard_size=4, jobs=2)
    assert files_of(tmp_path / "threads") == expected
    assert files_of(tmp_path / "processes") == expected
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        vc.convert_to_shards(SOURCES, tmp_path / "dask", shard_size=4,
                             executor=client.get_executor())
    assert files_of(tmp_path / "dask") == expected


def test_structure_views_are_reproducible_items(tmp_path):
    """An item depends on (seed, epoch, index) only and equals images_from_atoms
    on the cached table with its frames."""
    from voxelize_cy.data import StructureViews

    vc.convert_to_shards(SOURCES, tmp_path, shard_size=4, jobs=1)
    options = dict(length_voxels=10, resolution_A=1.0, channels=["C", "N", "O", ".*"],
                   radii_A=1.2, views=3, seed=5)
    first, again = StructureViews(tmp_path, **options), StructureViews(tmp_path, **options)
    assert len(first) == 6 and "6 structures" in repr(first)
    item = first[2]
    assert item["id"] == "1qjg" and item["image"].shape == (3, 4, 10, 10, 10)
    np.testing.assert_array_equal(item["image"], again[2]["image"])
    expected = vc.images_from_atoms(vc.StructureCache(tmp_path)["1qjg"], first.params,
                                    frames=item["frames"], dtype=np.float32)
    np.testing.assert_array_equal(item["image"], expected)
    again.set_epoch(1)
    assert not np.array_equal(again[2]["frames"], item["frames"])
    np.testing.assert_array_equal(first[-4]["image"], item["image"])
    with pytest.raises(IndexError):
        first[6]
    with pytest.raises(ValueError, match="views"):
        StructureViews(tmp_path, **{**options, "views": 0})
    typed = StructureViews(tmp_path, length_voxels=8, resolution_A=1.0,
                           channels="gnina-receptor", views=1)
    assert typed[1]["image"].shape == (1, 14, 8, 8, 8)


def test_ray_executor_gives_the_same_cache(tmp_path, monkeypatch):
    """Ray's tasks through RayExecutor: the same bytes as this process's."""
    ray = pytest.importorskip("ray", reason="ray is not installed (extra 'ray'); the "
                                            "Ray path is not tested here")
    vc.convert_to_shards(SOURCES, tmp_path / "serial", shard_size=4, jobs=1)
    # Ray puts the driver's working directory first on its workers' path: not the
    # source tree, whose voxelize_cy is unbuilt when the tests run on an install
    monkeypatch.chdir(tmp_path)
    try:
        executor = shards.RayExecutor(num_cpus=2, include_dashboard=False,
                                      log_to_driver=False)
        vc.convert_to_shards(SOURCES, tmp_path / "ray", shard_size=4, executor=executor)
    finally:
        ray.shutdown()
    assert files_of(tmp_path / "ray") == files_of(tmp_path / "serial")
