"""gnina's training step on voxelize_cy against libmolgrid 0.5.5, one process.

The step of libmolgrid's PyTorch tutorial: ``next_batch(50)`` of small.types
(gnina's default typers, 28 channels) and ``GridMaker.forward`` of the batch
on 48³ points at 0.5 Å with a random rotation and a 2 Å random translation,
into one reused float32 array.  Both sides run the same script lines (``import
molgrid`` against ``import voxelize_cy.molgrid as molgrid``) on one thread,
taking turns, after a first epoch that caches every structure (as
``cache_structs=True`` does in training) and a first pass that maps the
output's pages.

Then voxelize_cy's own DataLoader pipelines, ``voxelize_cy.data.GninaBatches``:
two DataLoader workers drawing the examples (typing, cutting the atoms to the
grid's reach) and ``GninaGridder.grid_batch`` on two threads in the main
process into one reused buffer; two workers that also grid their batches, on
one thread each (``grids_in_workers=True``: into reused shared-memory slots
that reach the main process without a copy); against the pipeline on one
thread in the process (no workers).  Both worker pipelines use
``in_order=False`` (batches as they are ready; each batch's content depends
on (seed, epoch, index) only).  They run in a process of their own (as in
training: no libmolgrid beside them).  A
pipeline's rate is a whole epoch's (small.types five times over: 100
batches, from a fresh iterator, so no batch is prefetched while the other
side runs), epochs taking turns.

Usage::

    python profiling/bench_gnina.py [--rounds 12]   # runs in profiling/.venv-gnina

Writes profiling/results/bench_gnina.txt and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from _gnina_venv import REPO_ROOT, same_process_with_molgrid

same_process_with_molgrid()

import numpy as np  # noqa: E402
from _workloads import cpu_model  # noqa: E402

import voxelize_cy  # noqa: E402
import voxelize_cy.molgrid as ours  # noqa: E402

DATA = REPO_ROOT / "tests" / "data" / "libmolgrid"
RESULTS = REPO_ROOT / "profiling" / "results"
BATCH = 50
COPIES = 5  # of small.types in a DataLoader epoch


def provider_step(molgrid):
    """The tutorial's step with one molgrid module: a callable timing one step."""
    e = molgrid.ExampleProvider(data_root=str(DATA / "structs"))
    e.populate(str(DATA / "small.types"))
    for _ in range(1000 // BATCH):  # an epoch: every structure read and cached
        e.next_batch(BATCH)
    gmaker = molgrid.GridMaker()
    out = np.zeros((BATCH,) + gmaker.grid_dimensions(e.num_types()), np.float32)

    def step():
        start = time.perf_counter()
        batch = e.next_batch(BATCH)
        gmaker.forward(batch, out, random_translation=2.0, random_rotation=True)
        return time.perf_counter() - start

    step()  # the output's pages mapped
    return step


def dataloader_epoch(workers: int, threads: int, in_workers: bool = False):
    """voxelize_cy's DataLoader pipeline: a callable timing one epoch (100
    batches), from a fresh iterator (an empty prefetch queue) to the last
    grid; it returns the time per batch."""
    from torch.utils.data import DataLoader

    from voxelize_cy import gnina
    from voxelize_cy.data import GninaBatches

    gridder = gnina.GninaGridder(num_threads=threads)
    # small.types five times over: an epoch of 100 batches, so that a fresh
    # iterator's start (no batch made yet) weighs as little as in training
    data = GninaBatches([str(DATA / "small.types")] * COPIES, BATCH,
                        data_root=str(DATA / "structs"), random_translation=2.0,
                        random_rotation=True, gridder=gridder, grids_in_workers=in_workers)
    loader = DataLoader(data, batch_size=None, num_workers=workers,
                        persistent_workers=workers > 0, prefetch_factor=2 if workers else None,
                        in_order=workers == 0)
    out = np.zeros((BATCH,) + gridder.shape(data.examples.num_types()), np.float32)

    def epoch():
        data.set_epoch(data.epoch + 1)
        start = time.perf_counter()
        n = 0
        for batch in loader:
            if not in_workers:
                gridder.grid_batch(batch, out=out)
            del batch  # the grids' slot goes back to its worker
            n += 1
        return (time.perf_counter() - start) / n

    epoch()  # the workers started and their caches warm, the pages mapped
    return epoch


def median_ms(times):
    return statistics.median(times) * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--dataloader-only", action="store_true",
                        help="only the DataLoader epochs, as JSON on stdout (the child)")
    args = parser.parse_args()
    if args.dataloader_only:
        sys.stdout.write(json.dumps(dataloader_turns(args.rounds)) + "\n")
        return
    import molgrid as theirs

    ours.set_num_threads(1)
    steps = {"libmolgrid": provider_step(theirs), "voxelize_cy.molgrid": provider_step(ours)}
    times = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, step in steps.items():
            times[name].append(step())
    # The DataLoader epochs in a process of their own: no libmolgrid provider
    # and its caches beside them, as in a training run.
    child = subprocess.run([sys.executable, __file__, "--dataloader-only", "--rounds",
                            str(args.rounds)], check=True, capture_output=True, text=True)
    turns = json.loads(child.stdout.strip().splitlines()[-1])
    report(args, theirs, times, turns)


def dataloader_turns(rounds: int):
    """Seconds per batch of each pipeline over ``rounds`` epochs, taking turns."""
    epochs = {"one thread": dataloader_epoch(workers=0, threads=1),
              "2 workers + 2 threads": dataloader_epoch(workers=2, threads=2),
              "2 workers gridding": dataloader_epoch(workers=2, threads=1, in_workers=True)}
    turns = {name: [] for name in epochs}
    for _ in range(max(3, rounds // 2)):
        for name, epoch in epochs.items():
            turns[name].append(epoch())
    return turns


def report(args, theirs, times, turns):
    lib, vc = median_ms(times["libmolgrid"]), median_ms(times["voxelize_cy.molgrid"])
    one, two, gridding = (median_ms(turns[k]) for k in ("one thread", "2 workers + 2 threads",
                                                          "2 workers gridding"))
    result = {
        "cpu": cpu_model(), "molgrid": theirs.__version__, "numpy": np.__version__,
        "voxelize_cy": voxelize_cy.__version__, "rounds": args.rounds, "batch": BATCH,
        "workload": "small.types, default typers (28 channels), 48^3 at 0.5 A, random "
                    "rotation, 2 A random translation, float32",
        "dataloader_epochs": len(turns["one thread"]),
        "ms_per_batch": {"libmolgrid": lib, "voxelize_cy.molgrid": vc,
                         "one_thread": one, "dataloader_2_workers": two,
                         "dataloader_2_workers_gridding": gridding},
        "speedup_vs_libmolgrid": lib / vc, "dataloader_speedup_vs_one_thread": one / two,
        "dataloader_gridding_speedup_vs_one_thread": one / gridding,
        "raw_ms": {k: [t * 1e3 for t in v] for k, v in {**times, **turns}.items()},
    }
    lines = [
        f"# python profiling/bench_gnina.py --rounds {args.rounds}",
        f"# {result['cpu']}; molgrid {result['molgrid']}, numpy {result['numpy']}, "
        f"voxelize_cy {result['voxelize_cy']}, one process",
        f"# {result['workload']}; median ms per batch of {BATCH} over {args.rounds} rounds "
        f"taking turns",
        "",
        "next_batch(50) + GridMaker.forward, one thread:",
        f"  libmolgrid            {lib:8.1f} ms",
        f"  voxelize_cy.molgrid   {vc:8.1f} ms   {lib / vc:5.2f}x libmolgrid",
        "",
        f"voxelize_cy.data.GninaBatches, ms per batch over an epoch (median of "
        f"{result['dataloader_epochs']} epochs):",
        f"  one thread, no workers{one:8.1f} ms",
        f"  2 workers + 2 threads {two:8.1f} ms   {one / two:5.2f}x one thread",
        f"  2 workers gridding    {gridding:8.1f} ms   {one / gridding:5.2f}x one thread",
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_gnina.txt").write_text(text)
    (RESULTS / "bench_gnina.json").write_text(json.dumps(result, indent=1) + "\n")
    sys.stdout.write(text)


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    main()
