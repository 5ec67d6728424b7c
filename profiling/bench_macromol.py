"""macromol_voxelize's own API: macromol_voxelize 0.10 vs voxelize_cy.macromol.

The benchmark workloads of _workloads.py (1qjg, every atom, the whole table passed on
every call; seed L15 1 Å r 0.5, gym L35 0.75 Å r 0.75, fine L32 0.5 Å
r 1.0), written the macromol_voxelize way: a polars table with ``radius_A``
and a ``channels`` column from ``set_atom_channels_by_element`` (C, N, O,
everything else), ``image_from_atoms(atoms, ImageParams(...))`` returning
``(image, atoms_in_image)``, float32 images (its default).  Also the batch
call voxelize_cy adds.  Both on the same images, taking turns; single
calls: mean over images of each image's fastest call across rounds; the batch:
its fastest round.

Usage::

    python profiling/bench_macromol.py [--images 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _workloads import WORKLOADS, centres, load_1qjg

import voxelize_cy as vc


def time_calls(calls, best):
    """Time each call once; keep each call's fastest time in ``best``."""
    for i, call in enumerate(calls):
        start = time.perf_counter()
        call()
        best[i] = min(best[i], time.perf_counter() - start)


def compare(theirs_calls, ours_calls, rounds, ours_per_round=5):
    """ms per image (mean over images of each image's fastest call) of both,
    on the same images, taking turns: each round times every image with
    macromol_voxelize once, then with voxelize_cy ``ours_per_round`` times
    (its calls are short), so that both see the same machine."""
    best_theirs = np.full(len(theirs_calls), np.inf)
    best_ours = np.full(len(ours_calls), np.inf)
    time_calls(theirs_calls, np.full(len(theirs_calls), np.inf))  # warm-up
    time_calls(ours_calls, np.full(len(ours_calls), np.inf))
    for _ in range(rounds):
        time_calls(theirs_calls, best_theirs)
        for _ in range(ours_per_round):
            time_calls(ours_calls, best_ours)
    return best_theirs.mean() * 1e3, best_ours.mean() * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    try:
        import macromol_voxelize as theirs
        import polars as pl
    except ImportError:
        raise SystemExit("needs macromol_voxelize and polars: pip install 'voxelize_cy[bench]'")
    import voxelize_cy.macromol as ours

    table = load_1qjg()
    try:
        import pyarrow  # noqa: F401
        arrow = "installed"
    except ImportError:
        arrow = "not installed"
    print(f"macromol_voxelize {theirs.__version__} vs voxelize_cy {vc.__version__} "
          f"{vc.build_info()}; polars {pl.__version__}, pyarrow {arrow}; 1qjg "
          f"({len(table)} atoms)\n")
    print("| workload | macromol_voxelize (ms/image) | voxelize_cy.macromol (ms/image) | "
          "speed-up | batch, all threads (ms/image) | max |difference| |")
    print("|---|---|---|---|---|---|")
    for w in WORKLOADS.values():
        atoms = pl.from_pandas(table).with_columns(radius_A=pl.lit(w.radius_A))
        atoms = theirs.set_atom_channels_by_element(atoms, [["C"], ["N"], ["O"], ["*"]])
        points = centres(table, args.images)

        def p(module, center):
            return module.ImageParams(channels=4, grid=module.Grid(w.length_voxels,
                                                                   w.resolution_A, center))

        mine = [p(ours, c) for c in points]
        yours = [p(theirs, c) for c in points]
        worst = max(np.abs(ours.image_from_atoms(atoms, a)[0].astype(float)
                           - theirs.image_from_atoms(atoms, b)[0]).max()
                    for a, b in zip(mine, yours))
        t_theirs, t_ours = compare(
            [lambda q=q: theirs.image_from_atoms(atoms, q) for q in yours],
            [lambda q=q: ours.image_from_atoms(atoms, q) for q in mine], args.rounds)
        t_batch = np.inf
        for _ in range(args.rounds * 5):
            start = time.perf_counter()
            ours.images_from_atoms(atoms, mine)
            t_batch = min(t_batch, (time.perf_counter() - start) / len(mine) * 1e3)
        print(f"| {w.name} | {t_theirs:.3f} | {t_ours:.4f} | {t_theirs / t_ours:.0f}x | "
              f"{t_batch:.4f} | {worst:.1e} |")


if __name__ == "__main__":
    main()
