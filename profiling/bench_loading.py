"""Loading structures: pdbecif (the original's reader), voxelize_cy.atoms_from_file
on the gzipped mmCIF (gemmi), and atoms_from_file on the binary cache that
``voxelize-cy convert`` writes (uncompressed and lz4 Feather files).

All produce the same DataFrame (monomer, element, x, y, z, occupancy; first
model, every atom site, file order); the script checks that they are equal,
then times each: the mmCIF readers by the median of ``--repeats`` after a
warm-up, the sub-millisecond cache reads by the fastest of 7 runs of 20 reads.  pdbecif comes with
the ``bench`` extra, pyarrow with the ``cache`` extra.

Usage::

    python profiling/bench_loading.py [--structures 1qjg 3v4i] [--repeats 5]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _workloads import STRUCTURES, atoms_with_pdbecif, best_seconds, median_seconds

import voxelize_cy as vc


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--structures", nargs="+", default=["1qjg", "3v4i"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    try:
        import pdbecif  # noqa: F401
    except ImportError:
        raise SystemExit("pdbecif is not installed: pip install 'voxelize_cy[bench]'")

    from voxelize_cy.io.cache import write_cache

    print("| structure | atoms | pdbecif (ms) | mmCIF.gz (ms) | cache (ms) | cache, lz4 (ms) "
          "| mmCIF vs pdbecif | cache vs mmCIF |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.structures:
            path = STRUCTURES / f"{name}.cif.gz"
            ours = vc.atoms_from_file(path)
            theirs = atoms_with_pdbecif(path)
            for column in ours.columns:
                assert (ours[column].to_numpy() == theirs[column].to_numpy()).all(), column
            plain = write_cache(ours, Path(folder) / f"{name}.feather")
            packed = write_cache(ours, Path(folder) / f"{name}.lz4.feather", compression="lz4")
            assert vc.atoms_from_file(plain).equals(ours)
            assert vc.atoms_from_file(packed).equals(ours)
            t_theirs = median_seconds(lambda: atoms_with_pdbecif(path), args.repeats)
            t_ours = median_seconds(lambda: vc.atoms_from_file(path), args.repeats)
            t_cache = best_seconds(lambda: vc.atoms_from_file(plain))
            t_lz4 = best_seconds(lambda: vc.atoms_from_file(packed))
            print(f"| {name} | {len(ours)} | {t_theirs * 1e3:.1f} | {t_ours * 1e3:.1f} | "
                  f"{t_cache * 1e3:.3f} | {t_lz4 * 1e3:.3f} | {t_theirs / t_ours:.1f}x | "
                  f"{t_ours / t_cache:.0f}x |")
    print("\nEvery reader gives an identical table (checked column by column above).")


if __name__ == "__main__":
    main()
