"""The seed's profile, reproduced: a data-loader-like loop under cProfile, before and after.

The loop is what the seed's training run did per item: take a structure, pick
an image centre on one of its atoms, make the image.  64 images from the six
real structures of tests/data/structures (loaded once, as a loader with a
structure cache would), seed parameters (15 voxels of 1 Å, radius 0.5 Å,
channels C, N, O, '.*').  It runs twice under cProfile: with the pure-Python
original ("before", tests/oracle_voxelize.py) and with voxelize_cy ("after"),
prints both stats tables sorted by cumulative time, then a comparison like the
seed's Results section.

Usage::

    python profiling/profile_dataloader.py [--images 64] [--rows 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time

import numpy as np
from _workloads import CHANNELS, STRUCTURES

import voxelize_cy as vc

NAMES = ["1qjg", "3v4i", "171l", "1aa5", "4rek", "2ypi"]


class Loader:
    """A map-style dataset: item i -> one image of one structure."""

    def __init__(self, structures, n_images, image_from_atoms, make_params):
        self.structures = structures
        self.image_from_atoms = image_from_atoms
        self.make_params = make_params
        rng = np.random.default_rng(0)
        self.items = []
        for i in range(n_images):
            name = list(structures)[i % len(structures)]
            atoms = structures[name]
            center = atoms[["x", "y", "z"]].to_numpy()[rng.integers(len(atoms))]
            self.items.append((name, center))
        self.channel_cache = {}

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        name, center = self.items[i]
        return self.image_from_atoms(self.structures[name], self.make_params(center),
                                     self.channel_cache)


def profile(loader, rows):
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    images = [loader[i] for i in range(len(loader))]
    profiler.disable()
    wall = time.perf_counter() - start
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream).sort_stats("cumulative")
    stats.print_stats(rows)
    return images, wall, stats, stream.getvalue()


def time_in(stats, function_name):
    """Cumulative seconds of the entry with this function name (any file)."""
    best = 0.0
    for (filename, line, name), (cc, nc, tt, ct, callers) in stats.stats.items():
        if name == function_name and ct > best:
            best = ct
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--rows", type=int, default=25, help="rows of each stats table")
    args = parser.parse_args(argv)

    import oracle_voxelize as original

    structures = {name: vc.atoms_from_file(STRUCTURES / f"{name}.cif.gz")
                  for name in NAMES}

    def original_params(center):
        return original.ImageParams(original.Grid(15, 1.0, center), CHANNELS, 0.5)

    def our_params(center):
        return vc.ImageParams(vc.Grid(15, 1.0, center), CHANNELS, 0.5)

    before = Loader(structures, args.images, original.image_from_atoms, original_params)
    after = Loader(structures, args.images, vc.image_from_atoms, our_params)

    images_before, wall_before, stats_before, text_before = profile(before, args.rows)
    print("=" * 78)
    print(f"BEFORE: the pure-Python original, {args.images} images")
    print("=" * 78)
    print(text_before)
    images_after, wall_after, stats_after, text_after = profile(after, args.rows)
    print("=" * 78)
    print(f"AFTER: voxelize_cy, {args.images} images")
    print("=" * 78)
    print(text_after)

    diff = max(float(np.abs(a - b).max()) for a, b in zip(images_before, images_after))
    t_before = time_in(stats_before, "image_from_atoms")
    t_after = time_in(stats_after, "image_from_atoms")
    print("Results")
    print("=======")
    print(f"- {args.images} images, seed parameters, six structures "
          f"({', '.join(NAMES)}).")
    print(f"- Before: {wall_before:.3f} s in the loop, {t_before:.3f} s in image_from_atoms "
          f"({t_before / args.images * 1e3:.2f} ms per image, under cProfile).")
    print(f"- After:  {wall_after:.4f} s in the loop, {t_after:.4f} s in image_from_atoms "
          f"({t_after / args.images * 1e3:.3f} ms per image, under cProfile).")
    print(f"- image_from_atoms is {t_before / t_after:.0f}x faster; the whole loop "
          f"{wall_before / wall_after:.0f}x.")
    print(f"- The images agree: max |before - after| = {diff:.2e}.")
    print("- The 'after' table has no per-atom or per-voxel Python calls left: the work is "
          "inside voxelize_cy.core._kernels (compiled, GIL released), which cProfile sees as "
          "one call per image.")


if __name__ == "__main__":
    main()
