"""What a rotation costs: a framed image vs an unrotated one (seed workload).

The loader rotates every view.  Unrotated: a grid centred on an atom.
Rotated: the same atom as the origin of a random frame
(``voxelize_cy.random_frame``), the grid at (0, 0, 0), ``frame=`` passed to
the kernel.  Also the old way: a transformed deep copy of the table
(``voxelize_cy.transform_atoms``) voxelized without a frame.

Timed round-robin; single calls report the mean over images of each image's
fastest call, batches their fastest round.

Usage::

    python profiling/bench_frames.py [--images 100] [--rounds 15]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _workloads import CHANNELS, WORKLOADS, centres, load_1qjg

import voxelize_cy as vc


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    atoms = load_1qjg()
    w = WORKLOADS["seed"]
    points = centres(atoms, args.images)
    rng = np.random.default_rng(0)
    frames = np.stack([vc.random_frame(c, rng) for c in points])
    plain = [vc.ImageParams(vc.Grid(w.length_voxels, w.resolution_A, c), CHANNELS, w.radius_A)
             for c in points]
    origin = vc.ImageParams(vc.Grid(w.length_voxels, w.resolution_A), CHANNELS, w.radius_A)
    n = len(points)

    image = vc.image_from_atoms
    clock = time.perf_counter
    ways = {
        "unrotated, single calls": lambda i: image(atoms, plain[i]),
        "rotated (frame=), single calls": lambda i: image(atoms, origin, frame=frames[i]),
        "rotated copy (transform_atoms), single calls":
            lambda i: image(vc.transform_atoms(atoms, frames[i]), origin),
    }
    best = {name: np.full(n, np.inf) for name in ways}
    batches = {"unrotated, batch": [], "rotated (frames=), batch": []}
    for r in range(args.rounds + 1):
        for name, fn in ways.items():
            for i in range(n):
                start = clock()
                fn(i)
                if r:
                    best[name][i] = min(best[name][i], clock() - start)
        start = clock()
        vc.images_from_atoms(atoms, plain, num_threads=1)
        middle = clock()
        vc.images_from_atoms(atoms, origin, frames=frames, num_threads=1)
        if r:
            batches["unrotated, batch"].append((middle - start) / n)
            batches["rotated (frames=), batch"].append((clock() - middle) / n)

    framed = np.stack([image(atoms, origin, frame=f) for f in frames])
    copied = np.stack([image(vc.transform_atoms(atoms, f), origin) for f in frames])
    print(f"seed workload on 1qjg ({len(atoms)} atoms), {n} images, {args.rounds} rounds, "
          f"one thread; {vc.build_info()}\n")
    base = best["unrotated, single calls"].mean()
    for name, times in best.items():
        print(f"{name:48s} {times.mean() * 1e3:8.4f} ms per image  {times.mean() / base:5.2f}x")
    batch_base = min(batches["unrotated, batch"])
    for name, times in batches.items():
        print(f"{name:48s} {min(times) * 1e3:8.4f} ms per image  "
              f"{min(times) / batch_base:5.2f}x")
    print(f"\nframed vs transformed copy: max |difference| = "
          f"{np.abs(framed - copied).max():.2e}")


if __name__ == "__main__":
    main()
