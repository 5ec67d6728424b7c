"""Cost per image as the structure grows: tables vs prepared tables.

1qjg (7,509 atoms) tiled on a cubic lattice (80 Å apart) into tables of 7.5k,
60k, 200k and ~940k atoms.  Seed workload (L15, 1 Å, radius 0.5, C N O .*) at
random atoms of each table.  For each size: ms per image from the table
itself and from ``prepare_atoms(table)`` (with and without a random frame),
the time to prepare, and the peak memory that preparing takes beyond the
table (tracemalloc), next to the size of the table's x, y, z arrays.

Usage::

    python profiling/bench_scaling.py [--images 50] [--rounds 5]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd
from _workloads import CHANNELS, load_1qjg

import voxelize_cy as vc


def tiled(atoms: pd.DataFrame, copies_per_axis: int, spacing_A: float = 80.0) -> pd.DataFrame:
    shifts = np.stack(np.meshgrid(*[np.arange(copies_per_axis)] * 3, indexing="ij"),
                      -1).reshape(-1, 3) * spacing_A
    xyz = atoms[["x", "y", "z"]].to_numpy()
    big = (xyz[None] + shifts[:, None]).reshape(-1, 3)
    return pd.DataFrame({"element": np.tile(atoms["element"].to_numpy(dtype=object),
                                            len(shifts)),
                         "x": big[:, 0], "y": big[:, 1], "z": big[:, 2],
                         "occupancy": np.tile(atoms["occupancy"].to_numpy(), len(shifts))})


def per_image(calls, rounds):
    """Mean over calls of each call's fastest time across rounds, in ms."""
    best = np.full(len(calls), np.inf)
    for _ in range(rounds + 1):
        for i, call in enumerate(calls):
            start = time.perf_counter()
            call()
            best[i] = min(best[i], time.perf_counter() - start)
    return best.mean() * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    base = load_1qjg()
    print(f"{vc.build_info()}\n")
    print("| atoms | table (ms/image) | prepared (ms/image) | prepared + frame | "
          "prepare (s) | peak extra memory while preparing | x, y, z arrays |")
    print("|---|---|---|---|---|---|---|")
    first = None
    for copies in (1, 2, 3, 5):
        atoms = tiled(base, copies)
        rng = np.random.default_rng(copies)
        xyz = atoms[["x", "y", "z"]].to_numpy()
        centers = xyz[rng.integers(len(atoms), size=args.images)]
        params = [vc.ImageParams(vc.Grid(15, 1.0, c), CHANNELS, 0.5) for c in centers]
        origin = vc.ImageParams(vc.Grid(15, 1.0), CHANNELS, 0.5)
        frames = [vc.random_frame(c, rng) for c in centers]

        tracemalloc.start()
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        start = time.perf_counter()
        prepared = vc.prepare_atoms(atoms)
        prepare_s = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
        prepare_s = min(prepare_s, min(
            _timed(lambda: vc.prepare_atoms(atoms)) for _ in range(2)))

        for p, f in zip(params[:5], frames[:5]):
            assert np.array_equal(vc.image_from_atoms(prepared, p), vc.image_from_atoms(atoms, p))
            assert np.array_equal(vc.image_from_atoms(prepared, origin, frame=f),
                                  vc.image_from_atoms(atoms, origin, frame=f))
        table_ms = per_image([lambda p=p: vc.image_from_atoms(atoms, p) for p in params],
                             args.rounds)
        prepared_ms = per_image([lambda p=p: vc.image_from_atoms(prepared, p) for p in params],
                                args.rounds)
        framed_ms = per_image([lambda f=f: vc.image_from_atoms(prepared, origin, frame=f)
                               for f in frames], args.rounds)
        coords = 3 * 8 * len(atoms)
        first = first or prepared_ms
        print(f"| {len(atoms):,} | {table_ms:.4f} | {prepared_ms:.4f} "
              f"({prepared_ms / first:.2f}x the smallest) | {framed_ms:.4f} | "
              f"{prepare_s:.3f} | {peak / 2**20:.1f} MiB ({peak / coords:.2f}x) | "
              f"{coords / 2**20:.1f} MiB |")
    print("\nEvery prepared image above was checked bitwise against the table's.")


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
