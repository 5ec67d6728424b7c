"""Threads: batch scaling with prange, Python threads on single calls, float32 vs float64.

Seed workload (_workloads.py), 256 images by default, 1qjg passed whole:

1. ``images_from_atoms`` with num_threads=1 vs 2 (OpenMP ``prange``);
2. one Python thread calling ``image_from_atoms`` for every image vs two
   Python threads taking the images one at a time from a shared iterator, as
   a thread-pool loader does (the kernel runs without the GIL);
3. float32 vs float64 output, one thread.

Each figure is the median of ``--repeats`` runs after a warm-up; the images are
repeated ``--rounds`` times per run so that a run lasts long enough (~0.3 s)
for thread start-up and scheduling noise not to dominate.

numpy's OpenBLAS thread pool is limited to one thread (``OPENBLAS_NUM_THREADS=1``,
unless already set): voxelize_cy never calls BLAS, but on a 2-core machine the
pool's idle worker threads compete with the threads being measured and make
the Python-thread figure swing between 1.4x and 1.8x from run to run.  Thread
based data loaders want the same setting (or threadpoolctl).

Usage::

    python profiling/bench_threads.py [--images 256] [--rounds 8] [--repeats 5]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported

import argparse  # noqa: E402
import threading  # noqa: E402

import numpy as np  # noqa: E402
from _workloads import (  # noqa: E402
    CHANNELS,
    WORKLOADS,
    centres,
    image_params,
    load_1qjg,
    median_seconds,
)

import voxelize_cy as vc  # noqa: E402
from voxelize_cy.core import _kernels  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=8, help="passes over the images per run")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    atoms = load_1qjg()
    w = WORKLOADS["seed"]
    params = image_params(w, centres(atoms, args.images))
    n_total = args.images * args.rounds
    print(f"seed workload, {args.images} images x {args.rounds} rounds per run, "
          f"median of {args.repeats}; OpenMP {'on' if _kernels.OPENMP else 'off'}, "
          f"{_kernels.num_procs()} processors, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}\n")

    rows = []

    def batch(threads, dtype=np.float64):
        out = np.empty((len(params), len(CHANNELS)) + params[0].grid.shape, dtype=dtype)

        def run():
            for _ in range(args.rounds):
                vc.images_from_atoms(atoms, params, num_threads=threads, dtype=dtype, out=out)
        return run

    t1 = median_seconds(batch(1), args.repeats)
    t2 = median_seconds(batch(2), args.repeats)
    rows.append(("images_from_atoms, 1 thread", t1, None))
    rows.append(("images_from_atoms, 2 threads", t2, t1 / t2))

    def singles(chunk, dtype=np.float64):
        cache = {}
        for _ in range(args.rounds):
            for p in chunk:
                vc.image_from_atoms(atoms, p, cache, dtype=dtype)

    def take_from(work):
        cache = {}
        for p in work:  # a shared iterator: each thread takes the next image
            vc.image_from_atoms(atoms, p, cache)

    def python_threads(n_threads):
        def run():
            # Images handed out one at a time, as a thread-pool loader does: a
            # fixed half each would wait for the slower core (on this VM the two
            # cores' speeds differ by up to 2x, and swap).
            work = iter(params * args.rounds)
            threads = [threading.Thread(target=take_from, args=(work,))
                       for _ in range(n_threads)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        return run

    s1 = median_seconds(lambda: singles(params), args.repeats)
    s2 = median_seconds(python_threads(2), args.repeats)
    rows.append(("image_from_atoms, 1 Python thread", s1, None))
    rows.append(("image_from_atoms, 2 Python threads", s2, s1 / s2))

    f64 = median_seconds(lambda: singles(params, np.float64), args.repeats)
    f32 = median_seconds(lambda: singles(params, np.float32), args.repeats)
    rows.append(("image_from_atoms float64, 1 thread", f64, None))
    rows.append(("image_from_atoms float32, 1 thread", f32, f64 / f32))
    b64 = median_seconds(batch(1, np.float64), args.repeats)
    b32 = median_seconds(batch(1, np.float32), args.repeats)
    rows.append(("images_from_atoms float64, 1 thread", b64, None))
    rows.append(("images_from_atoms float32, 1 thread", b32, b64 / b32))

    print("| run | ms per image | images/s | speed-up vs the row above |")
    print("|---|---|---|---|")
    for name, seconds, ratio in rows:
        per_image = seconds / n_total * 1e3
        print(f"| {name} | {per_image:.4f} | {n_total / seconds:,.0f} | "
              f"{'' if ratio is None else f'{ratio:.2f}x'} |")


if __name__ == "__main__":
    main()
