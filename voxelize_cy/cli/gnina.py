"""``voxelize-cy molcache``: gnina's molcache2 caches from ``.types`` files.

gnina's training sets ship their receptors and ligands as two molcache2
files; this command writes them from the files a ``.types`` file lists
(``.gninatypes`` copied record for record, molecule files typed with smina's
types), in files libmolgrid reads as its own.
"""

from __future__ import annotations

import argparse

from voxelize_cy.cli.progress import ProgressBar

__all__ = ["add_molcache_parser", "cmd_molcache"]


def add_molcache_parser(sub) -> argparse.ArgumentParser:
    """The ``molcache`` subcommand's parser."""
    molcache = sub.add_parser(
        "molcache", help="gnina's molcache2 cache of the files .types files list",
        allow_abbrev=False,
        description="Write OUT, a molcache2 cache (gnina/libmolgrid's recmolcache/ligmolcache) "
                    "of the receptors (first file of each line), the ligands (the others) or "
                    "all the files the .types files list, relative to --data-root.  "
                    "libmolgrid reads it as its own; each record carries a CRC-32 that "
                    "voxelize-cy verify checks.")
    molcache.add_argument("output", metavar="OUT", help="the .molcache2 file to write")
    molcache.add_argument("--types", required=True, nargs="+", metavar="FILE",
                          help=".types file(s)")
    molcache.add_argument("--data-root", default="", metavar="DIR",
                          help="folder the .types file names are relative to")
    molcache.add_argument("--position", choices=["receptor", "ligand", "all"],
                          default="receptor",
                          help="which files of each line (default: receptor)")
    molcache.add_argument("--grouped", action="store_true",
                          help="the lines start with a group id")
    molcache.add_argument("--no-hydrogens", action="store_true",
                          help="molecule files: do not let OpenBabel add hydrogens")
    return molcache


def cmd_molcache(args) -> int:
    """Write the cache; prints what it wrote."""
    from voxelize_cy.gnina import molcache_from_types

    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = ProgressBar(total, label="structures")
        bar.update(done)

    written = molcache_from_types(args.output, args.types, data_root=args.data_root,
                                  position=args.position, has_group=args.grouped,
                                  add_hydrogens=not args.no_hydrogens, progress=progress)
    if bar is not None:
        bar.close()
    print(f"wrote {written} {args.position} structures to {args.output}")
    return 0
