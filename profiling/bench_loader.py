"""The seed's data-loader step end to end, three ways, in one run.

Per item (the seed project's loader): load a structure, pick two origins (atoms of it), make a
uniformly random frame about each, and voxelize the structure in each frame
(seed parameters, grid centred on the origin).  Items cycle through the six
structures of tests/data.

(a) the original way: parse the mmCIF with pdbecif, make a deep copy of the
    table with transformed coordinates per view (``transform_atoms``), and
    voxelize each copy with the pure-Python original algorithm
    (tests/oracle_voxelize.py);
(b) ``atoms_from_file`` on the mmCIF (gemmi) and ``image_from_atoms(frame=)``;
(c) ``atoms_from_file`` on the binary cache (``voxelize-cy convert``) and
    ``image_from_atoms(frame=)``.

Prints ms per item split into load, transform (frames, and for (a) the
copies) and images, and checks that (b) and (c) give (a)'s images to 1e-12.
Each way runs every item ``--passes`` times; an item's phase time is its
fastest pass.

Usage::

    python profiling/bench_loader.py [--items 12] [--passes 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _workloads import CHANNELS, STRUCTURES, atoms_with_pdbecif

import voxelize_cy as vc
from voxelize_cy.io.convert import convert_structures

NAMES = ["1qjg", "3v4i", "171l", "1aa5", "4rek", "2ypi"]


def plan(n_items, seed=0):
    """(structure name, two atom indices, frame seed) per item."""
    rng = np.random.default_rng(seed)
    sizes = {name: len(vc.atoms_from_file(STRUCTURES / f"{name}.cif.gz")) for name in NAMES}
    items = []
    for i in range(n_items):
        name = NAMES[i % len(NAMES)]
        items.append((name, rng.integers(sizes[name], size=2), int(rng.integers(2**31))))
    return items


def run_item(way, item, cache_dir):
    """(load, transform, images) seconds of one item, and its two images."""
    import oracle_voxelize as original

    name, picks, seed = item
    clock = time.perf_counter
    t0 = clock()
    if way == "a":
        atoms = atoms_with_pdbecif(STRUCTURES / f"{name}.cif.gz")
    elif way == "b":
        atoms = vc.atoms_from_file(STRUCTURES / f"{name}.cif.gz")
    else:
        atoms = vc.atoms_from_file(Path(cache_dir) / f"{name}.feather")
    t1 = clock()
    rng = np.random.default_rng(seed)
    origins = np.column_stack([atoms[axis].to_numpy()[picks] for axis in "xyz"])
    frames = [vc.random_frame(origin, rng) for origin in origins]
    views = [vc.transform_atoms(atoms, f) for f in frames] if way == "a" else None
    t2 = clock()
    if way == "a":
        params = original.ImageParams(original.Grid(15, 1.0), CHANNELS, 0.5)
        images = [original.image_from_atoms(view, params) for view in views]
    else:
        params = vc.ImageParams(vc.Grid(15, 1.0), CHANNELS, 0.5)
        images = [vc.image_from_atoms(atoms, params, frame=f) for f in frames]
    t3 = clock()
    return np.array([t1 - t0, t2 - t1, t3 - t2]), images


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=12)
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()

    items = plan(args.items)
    with tempfile.TemporaryDirectory() as cache_dir:
        results = convert_structures([STRUCTURES / f"{n}.cif.gz" for n in NAMES], cache_dir,
                                     jobs=1)
        assert all(r.status == "written" for r in results)
        times = {w: np.full((len(items), 3), np.inf) for w in "abc"}
        images = {}
        for _ in range(args.passes):
            for way in "abc":
                for i, item in enumerate(items):
                    phases, imgs = run_item(way, item, cache_dir)
                    times[way][i] = np.minimum(times[way][i], phases)
                    images[way, i] = imgs

    worst = max(np.abs(images[w, i][v] - images["a", i][v]).max()
                for w in "bc" for i in range(len(items)) for v in range(2))
    print(f"{len(items)} items over {len(NAMES)} structures, 2 random frames and 2 seed "
          f"images each, fastest of {args.passes} passes; {vc.build_info()}\n")
    labels = {"a": "(a) pdbecif + copies + pure-Python original",
              "b": "(b) atoms_from_file(mmCIF) + frame=",
              "c": "(c) atoms_from_file(.feather) + frame="}
    print(f"| way | ms per item | load | transform | 2 images | x (a) |")
    print("|---|---|---|---|---|---|")
    base = times["a"].sum(axis=1).mean()
    for way in "abc":
        per_item = times[way].mean(axis=0) * 1e3
        total = times[way].sum(axis=1).mean() * 1e3
        print(f"| {labels[way]} | {total:.3f} | {per_item[0]:.3f} | {per_item[1]:.3f} | "
              f"{per_item[2]:.3f} | {base * 1e3 / total:.1f}x |")
    print(f"\nimages of (b) and (c) vs (a): max |difference| = {worst:.2e}")


if __name__ == "__main__":
    main()
