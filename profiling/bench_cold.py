"""What a call costs when the caches are cold: the seed workload's images
after other work has swept the caches, call by call.

A loader rarely runs alone: the model's step (or macromol_voxelize, taking
turns with voxelize_cy in ``benchmark.py``) evicts the table, the Python
objects and the code a call touches.  Each round here sweeps a buffer of
``--sweep-mb`` (64: past this VM's last-level cache; 2: past L2 only), or runs
macromol_voxelize's pass over the same images (when it is installed, as
``benchmark.py`` takes turns with it), then times the workload's images one by
one (``image_from_atoms``, exact fill, float64, one thread, the whole 1qjg
table as in ``benchmark.py``); hot: the same rounds with nothing before them.
Medians over rounds, per position in the pass.

Usage::

    python profiling/bench_cold.py                  # writes results/bench_cold.txt
    python profiling/bench_cold.py --workload gym --rounds 9
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from _workloads import WORKLOADS, centres, cpu_model, image_params, load_1qjg, print_results

import voxelize_cy as vc

HERE = Path(__file__).resolve().parent


def sweeper(mb):
    """What evicts the caches: writing a buffer of ``mb`` MB."""
    buffer = np.ones(int(mb * 2**20) // 8)

    def sweep():
        buffer.__imul__(1.0000001)
    return sweep


def macromol_pass(atoms, workload, params):
    """macromol_voxelize's pass over the images of ``params`` (as
    ``benchmark.py`` times it), or None when it is not installed."""
    try:
        from benchmark import macromol_setup
        mmvox, frame = macromol_setup(atoms, workload)
    except ImportError:
        return None
    theirs = [mmvox.ImageParams(
        channels=len(p.channels), dtype=np.float64,
        grid=mmvox.Grid(length_voxels=p.grid.length_voxels, resolution_A=p.grid.resolution_A,
                        center_A=np.asarray(p.grid.center_A))) for p in params]

    def run():
        for p in theirs:
            mmvox.image_from_atoms(frame, p)
    return run


def pass_times(atoms, params, before):
    """ms of each call of one pass over ``params``, after ``before()`` (None for
    a hot pass)."""
    if before is not None:
        before()
    cache = {}
    times = []
    for p in params:
        start = time.perf_counter()
        vc.image_from_atoms(atoms, p, cache)
        times.append((time.perf_counter() - start) * 1e3)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", default="seed", choices=list(WORKLOADS))
    parser.add_argument("--images", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--sweep-mb", type=float, nargs="+", default=[2.0, 64.0])
    parser.add_argument("--output", default=str(HERE / "results" / "bench_cold.txt"),
                        help="results file ('-' for none)")
    args = parser.parse_args(argv)
    atoms = load_1qjg()
    params = image_params(WORKLOADS[args.workload], centres(atoms, args.images))
    sweeps = {"hot": None}
    for mb in args.sweep_mb:
        sweeps[f"after {mb:g} MB"] = sweeper(mb)
    theirs = macromol_pass(atoms, WORKLOADS[args.workload], params)
    if theirs is not None:
        sweeps["after macromol"] = theirs
    rows = {name: [] for name in sweeps}
    pass_times(atoms, params, None)  # warm-up
    for _ in range(args.rounds):
        for name, sweep in sweeps.items():  # taking turns
            rows[name].append(pass_times(atoms, params, sweep))
    lines = [
        "$ python profiling/bench_cold.py " + " ".join(sys.argv[1:] if argv is None else argv),
        f"CPU: {cpu_model()}; {os.cpu_count()} CPUs; voxelize_cy {vc.__version__}",
        f"{args.workload}: {args.images} images per pass, exact fill, float64, one thread, "
        f"1qjg whole ({len(atoms)} atoms); medians over {args.rounds} rounds; ms per call",
        "",
        f"{'caches':<14} {'1st call':>9} {'2nd call':>9} {'rest':>7} {'pass mean':>10}",
    ]
    for name, passes in rows.items():
        med = np.median(np.array(passes), axis=0)
        lines.append(f"{name:<14} {med[0]:>9.4f} {med[1]:>9.4f} {med[2:].mean():>7.4f} "
                     f"{med.mean():>10.4f}")
    lines += ["", "rest: the mean of calls 3 onwards; a sweep writes the whole buffer "
              "(evicting what the calls use) before each pass; after macromol: "
              "macromol_voxelize's pass over the same images before each pass"]
    print_results(lines, args.output)


if __name__ == "__main__":
    main()
