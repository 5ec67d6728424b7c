"""What input validation costs on the seed benchmark.

Times ``image_from_atoms`` on the seed workload (_workloads.py) with every
check on (the shipped behaviour) and with the per-row screen (finite
coordinates, finite occupancy >= 0 for all 7,509 rows, done in the same pass
that selects the image's rows) switched off through the module's screen
constant, alternating the two several times.  The other
checks (parameters, columns, dtypes) are a few microseconds and are also
reported, timed on their own.

Usage::

    python profiling/bench_validation.py [--images 256] [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

from _workloads import WORKLOADS, centres, image_params, load_1qjg

import voxelize_cy as vc
from voxelize_cy.images import draw as voxelize
from voxelize_cy.images._resolved import ResolvedParams


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    atoms = load_1qjg()
    w = WORKLOADS["seed"]
    params = image_params(w, centres(atoms, args.images))

    def run():
        start = time.perf_counter()
        for p in params:
            vc.image_from_atoms(atoms, p)
        return (time.perf_counter() - start) / len(params) * 1e3

    screen_on = voxelize._SCREEN_ORIGINAL
    run()
    on, off = [], []
    try:
        for _ in range(args.rounds):
            voxelize._SCREEN_ORIGINAL = screen_on
            on.append(run())
            voxelize._SCREEN_ORIGINAL = voxelize._SCREEN_NONE
            off.append(run())
    finally:
        voxelize._SCREEN_ORIGINAL = screen_on

    def per_call_us(fn, n=20000):
        fn()
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - start) / n * 1e6

    p = params[0]
    params_us = per_call_us(lambda: ResolvedParams(p))
    on_ms, off_ms = statistics.median(on), statistics.median(off)
    print(f"seed, {args.images} images, median of {args.rounds} alternating rounds")
    print(f"| checks | ms per image |")
    print(f"|---|---|")
    print(f"| all on (shipped) | {on_ms:.4f} |")
    print(f"| row screen off | {off_ms:.4f} |")
    print(f"\nrow screen: +{(on_ms / off_ms - 1) * 100:.1f}% "
          f"({(on_ms - off_ms) * 1e3:.1f} us per image)")
    print(f"parameter checks and conversion (ImageParams -> numbers): {params_us:.1f} us "
          f"per call ({params_us / 1e3 / on_ms * 100:.1f}% of a call)")


if __name__ == "__main__":
    main()
