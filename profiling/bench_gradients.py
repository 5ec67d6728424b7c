"""The backward pass against the forward pass (seed and gym workloads).

``image_from_atoms`` (forward) and ``atom_gradients`` (backward, a random
dL/d(image) of the image's shape) on 1qjg, whole table per call, at the same
centres; single calls, timed round-robin, each call's fastest run.

Usage::

    python profiling/bench_gradients.py [--images 60] [--rounds 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _workloads import WORKLOADS, centres, image_params, load_1qjg

import voxelize_cy as vc


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    atoms = load_1qjg()
    print(f"1qjg ({len(atoms)} atoms), {args.images} images per workload, fastest of "
          f"{args.rounds} rounds; {vc.build_info()}\n")
    print("| workload | forward (ms/image) | backward (ms/image) | backward / forward |")
    print("|---|---|---|---|")
    for name in ("seed", "gym"):
        w = WORKLOADS[name]
        params = image_params(w, centres(atoms, args.images))
        rng = np.random.default_rng(0)
        grads = [rng.normal(size=(4,) + (w.length_voxels,) * 3) for _ in params]
        forward = np.full(len(params), np.inf)
        backward = np.full(len(params), np.inf)
        for _ in range(args.rounds + 1):
            for i, (p, g) in enumerate(zip(params, grads)):
                start = time.perf_counter()
                vc.image_from_atoms(atoms, p)
                middle = time.perf_counter()
                vc.atom_gradients(atoms, p, g)
                end = time.perf_counter()
                forward[i] = min(forward[i], middle - start)
                backward[i] = min(backward[i], end - middle)
        f, b = forward.mean() * 1e3, backward.mean() * 1e3
        print(f"| {name} | {f:.4f} | {b:.4f} | {b / f:.2f}x |")


if __name__ == "__main__":
    main()
