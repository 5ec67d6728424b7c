"""Items per second per core of ``voxelize_cy.data.StructureViews`` from a sharded
cache, next to the same dataset reading one ``.feather`` file per structure.

The six test structures under 600 names (as in bench_shards.py), converted once
both ways; each dataset makes items of 4 views of 24^3 at 1 A (C, N, O, other,
radius 1.5 A, float32) in this one process, one thread (``num_workers=0``:
per core); the two take turns in blocks of 50 items, 6 rounds, median.  Then
what an item costs over its images: each of 300 items of the sharded dataset,
timed next to the ``images_from_atoms`` call it makes (the same table and
frames), taking turns; the median of the per-item ratios.

Usage::

    python profiling/bench_dataset.py          # writes results/bench_dataset.txt
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from _workloads import cpu_model, linked_structures, write_results

import voxelize_cy as vc
from voxelize_cy.data import StructureViews
from voxelize_cy.io.cache import cache_name, read_cache
from voxelize_cy.io.convert import convert_structures

N_STRUCTURES, BLOCK, ROUNDS = 600, 50, 6
OPTIONS = dict(length_voxels=24, resolution_A=1.0, channels=["C", "N", "O", ".*"],
               radii_A=1.5, views=4, seed=0)


class _FileCache:
    """The per-file cache behind the same dataset: ``[id]`` reads ``id.feather``."""

    def __init__(self, folder, ids):
        self.folder, self._ids = Path(folder), ids

    @property
    def ids(self):
        return list(self._ids)

    def __getitem__(self, name):
        return read_cache(self.folder / f"{name}.feather")

    batch = __getitem__  # what StructureViews reads (a pandas table serves as well)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        names = linked_structures(tmp / "in", N_STRUCTURES)
        vc.convert_to_shards(names, tmp / "shards", shard_size=200, jobs=2)
        convert_structures(names, tmp / "files", jobs=2)
        sharded = StructureViews(tmp / "shards", **OPTIONS)
        per_file = StructureViews(tmp / "shards", **OPTIONS)
        per_file.cache = _FileCache(tmp / "files", [cache_name(n)[:-8] for n in names])
        assert per_file.ids == sharded.ids
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        rates = {"sharded": [], "per-file": []}
        for r in range(ROUNDS):
            order = [("sharded", sharded), ("per-file", per_file)]
            for label, dataset in (order if r % 2 == 0 else order[::-1]):
                start = time.perf_counter()
                for i in range(r * BLOCK, (r + 1) * BLOCK):
                    dataset[i % len(dataset)]
                rates[label].append(BLOCK / (time.perf_counter() - start))
        ratios, item_ms, image_ms = [], [], []
        for i in range(300):
            index = i % len(sharded)
            start = time.perf_counter()
            sharded[index]
            item = time.perf_counter() - start
            table = sharded.cache.batch(sharded.ids[index])
            frames = sharded.frames(index, table)
            start = time.perf_counter()
            vc.images_from_atoms(table, sharded.params, frames=frames, dtype=sharded.dtype,
                                 num_threads=1)
            images = time.perf_counter() - start
            ratios.append(item / images)
            item_ms.append(item * 1e3)
            image_ms.append(images * 1e3)
    med = {k: statistics.median(v) for k, v in rates.items()}
    med.update(item_over_images=statistics.median(ratios),
               item_ms=statistics.median(item_ms), images_ms=statistics.median(image_ms))
    lines = ["$ python profiling/bench_dataset.py",
             f"CPU: {cpu_model()}; Python {platform.python_version()}; voxelize_cy "
             f"{vc.__version__}; {N_STRUCTURES} structures; items of 4 views of 24^3 at 1 A, "
             f"4 channels, float32; one process, one thread, one core",
             "",
             f"sharded cache (StructureCache): {med['sharded']:.1f} items/s per core",
             f"per-file cache (read_cache of <id>.feather): {med['per-file']:.1f} items/s "
             f"per core",
             f"(medians over {ROUNDS} blocks of {BLOCK} items, taking turns)",
             "",
             f"an item against its own images_from_atoms call (same table and frames), "
             f"300 items taking turns: median {med['item_ms']:.3f} ms against "
             f"{med['images_ms']:.3f} ms, median ratio {med['item_over_images']:.2f}x"]
    write_results("bench_dataset", lines, med)


if __name__ == "__main__":
    main()
