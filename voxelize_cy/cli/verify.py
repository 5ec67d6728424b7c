"""``voxelize-cy verify PATH``: is a cache, a molcache2 file or a ``.types`` set intact?

PATH may be a sharded cache's folder, a folder of single-file caches, one
``.feather``/``.arrow`` cache, a molcache2 file or ``.types`` file(s).  Every
structure is read and checked against its checksum; one line per damaged
structure names it and its file, and the exit status is 1 if there is any.
``--repair`` rebuilds a sharded cache's index from its shards and lists what
was lost (to be converted again).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import List

__all__ = ["add_verify_parser", "cmd_verify"]


def add_verify_parser(sub) -> argparse.ArgumentParser:
    """The ``verify`` subcommand's parser."""
    verify = sub.add_parser(
        "verify", help="check a cache, a molcache2 file or a .types set against damage",
        allow_abbrev=False,
        description="Check every structure of PATH: a sharded cache (its folder), a folder "
                    "of .feather caches, one .feather/.arrow cache, a .molcache2 file, or "
                    ".types files (every file they list exists and parses).  Prints one line "
                    "per damaged structure and exits 1 if there is any.")
    verify.add_argument("paths", nargs="+", metavar="PATH", help="what to check")
    verify.add_argument("--repair", action="store_true",
                        help="sharded cache: rebuild its index from the shards, keeping every "
                             "intact structure, and list the lost ones (convert them again)")
    verify.add_argument("--data-root", default="", metavar="DIR",
                        help=".types: the folder the file names are relative to")
    verify.add_argument("--molcache", action="append", default=[], metavar="FILE",
                        help=".types: a molcache2 file (receptors first, then ligands), "
                             "as libmolgrid's recmolcache/ligmolcache")
    verify.add_argument("--grouped", action="store_true",
                        help=".types: the lines start with a group id")
    return verify


def _is_sharded(path: Path) -> bool:
    from voxelize_cy.io import INDEX_NAME

    return path.is_dir() and ((path / INDEX_NAME).exists()
                              or any(p.name.startswith("shard-") for p in path.iterdir()))


def _check_path(path: Path, args) -> List[str]:
    """One line per damaged structure of ``path`` (and what was repaired)."""
    from voxelize_cy import gnina
    from voxelize_cy.io import CACHE_SUFFIXES, read_cache, repair_shards, verify_shards

    if not path.exists():
        return [f"{path}: no such file or folder"]
    if _is_sharded(path):
        if args.repair:
            report = repair_shards(path)
            print(f"{path}: index rebuilt from the shards: {report.kept} structures kept, "
                  f"{len(report.lost)} lost")
            for name, reason in report.lost:
                print(f"  lost {name}: {reason} (convert it again)")
        return verify_shards(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in CACHE_SUFFIXES)
        if not files:
            return [f"{path}: holds no cache (.feather, .arrow, shards) to check"]
        return [line for f in files for line in _check_path(f, args)]
    if path.suffix in CACHE_SUFFIXES:
        try:
            read_cache(path, verify=True)
        except (ValueError, OSError) as err:
            return [" ".join(str(err).split())]
        return []
    if path.suffix == ".types":
        return gnina.verify_types(path, data_root=args.data_root, molcaches=args.molcache,
                                  has_group=args.grouped)
    try:  # molcache2 (any name: libmolgrid's sets use .molcache2)
        cache = gnina.MolCache2(path)
    except (gnina.GninaDataError, OSError) as err:
        return [str(err)]
    try:
        return cache.verify()
    finally:
        cache.close()


def cmd_verify(args) -> int:
    """Check each PATH; 0 when all are intact, 1 otherwise."""
    damaged = 0
    for name in args.paths:
        path = Path(os.path.expanduser(name))
        problems = _check_path(path, args)
        for line in problems:
            print(line)
        damaged += len(problems)
        if not problems:
            print(f"{path}: intact")
    if damaged:
        print(f"{damaged} damaged or missing structure(s)", file=sys.stderr)
    return 1 if damaged else 0
