"""What a DataLoader pays per 35³ image, against the hot kernel.

``voxelize_cy.data.StructureViews`` on a 60-structure sharded cache (the six
test structures, ten times over): items of 4 views of 35³ at 0.75 Å (C, N, O,
other, radius 0.75 Å, float32), batches of 15 items (60 images: 2 batches
per worker and epoch).

- **hot kernel**: in this process, each batch's ``images_from_atoms`` call
  (the same tables and frames) into one reused output array: what the
  images cost with their pages mapped already, on one thread (the other core
  idle) and on 2 threads (both cores drawing, as with 2 workers);
- **DataLoader, reused slots**: 2 workers, ``collate_fn=views.collate``
  (each batch drawn into a shared slot the main process hands back);
- **DataLoader, fresh arrays**: 2 workers, ``reuse_slots=0`` and torch's
  default collate (a fresh array per item, stacked into fresh shared memory).

A per-image cost on 2 cores is the epoch's wall time times 2 over the
epoch's images (the CPU time an image takes with both cores drawing),
over an epoch of the structures ten times over (600 items, 40 batches) after
a warm-up epoch (persistent workers), epochs taking turns, medians over the
rounds.

Usage::

    python profiling/bench_reuse.py [--rounds 11]   # writes results/bench_reuse.txt
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _workloads import cpu_model, linked_structures, write_results

import voxelize_cy as vc
from voxelize_cy.data import StructureViews

N_STRUCTURES, BATCH, WORKERS = 60, 15, 2
PASSES = 10  # over the structures per timed epoch: 40 batches, 20 per worker
OPTIONS = dict(length_voxels=35, resolution_A=0.75, channels=["C", "N", "O", ".*"],
               radii_A=0.75, views=4, seed=0)


def hot_kernel(views: StructureViews, threads: int = 1):
    """Seconds of CPU per image (wall x threads) of the epoch's batch calls
    into one reused array."""
    batches = [list(range(s, min(s + BATCH, len(views)))) for s in range(0, len(views), BATCH)]
    calls = []
    for indices in batches:
        tables = [views.cache.batch(views.ids[i]) for i in indices]
        frames = np.concatenate([views.frames(i, t) for i, t in zip(indices, tables)])
        calls.append(([t for t in tables for _ in range(views.views)], frames))
    out = np.zeros((BATCH * views.views,) + views.image_shape, np.float32)

    def epoch():
        start = time.perf_counter()
        for tables, frames in calls:
            vc.images_from_atoms(tables, views.params, frames=frames, dtype=np.float32,
                                 num_threads=threads, out=out[:len(frames)])
        return (time.perf_counter() - start) * threads / (len(views) * views.views)

    epoch()
    return epoch


def loader_epoch(folder: Path, reuse: bool):
    """Seconds of CPU per image of a 2-worker DataLoader epoch (wall x workers)."""
    from torch.utils.data import DataLoader

    views = StructureViews(folder, reuse_slots=4 if reuse else 0, **OPTIONS)
    loader = DataLoader(views, batch_size=BATCH, sampler=list(range(len(views))) * PASSES,
                        num_workers=WORKERS,
                        collate_fn=views.collate if reuse else None,
                        persistent_workers=True, multiprocessing_context="forkserver",
                        in_order=False)

    def epoch():
        start = time.perf_counter()
        images = 0
        for batch in loader:
            images += int(np.prod(batch["image"].shape[:2]))
            del batch
        return (time.perf_counter() - start) * WORKERS / images

    epoch()  # workers started, caches mapped, slots made
    return epoch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "shards"
        vc.convert_to_shards(linked_structures(Path(tmp) / "in", N_STRUCTURES), folder,
                             shard_size=20, jobs=2)
        hot_views = StructureViews(folder, **OPTIONS)
        runs = {"hot kernel, one thread": hot_kernel(hot_views),
                "hot kernel, 2 threads": hot_kernel(hot_views, threads=WORKERS),
                "DataLoader, reused slots": loader_epoch(folder, reuse=True),
                "DataLoader, fresh arrays": loader_epoch(folder, reuse=False)}
        times = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, run in runs.items():
                times[name].append(run())
    ms = {name: statistics.median(t) * 1e3 for name, t in times.items()}
    hot = ms["hot kernel, one thread"]
    shown = sys.argv[1:] if argv is None else argv
    lines = ["$ python profiling/bench_reuse.py" + "".join(f" {a}" for a in shown),
             f"CPU: {cpu_model()}; Python {platform.python_version()}; voxelize_cy "
             f"{vc.__version__}; {N_STRUCTURES} structures; items of 4 views of 35^3 at "
             f"0.75 A, 4 channels, float32; batches of {BATCH} items; {WORKERS} workers; "
             f"medians over {args.rounds} epochs taking turns",
             "",
             f"{'':<28} {'ms per image':>12} {'x hot kernel':>12}"]
    for name, value in ms.items():
        lines.append(f"{name:<28} {value:>12.4f} {value / hot:>11.2f}x")
    lines += ["", "2 threads, DataLoader: epoch wall time x 2 / images (the CPU an image "
              "takes with both cores drawing)"]
    write_results("bench_reuse", lines, {"ms_per_image": ms,
                                         "over_hot": {k: v / hot for k, v in ms.items()}})


if __name__ == "__main__":
    main()
