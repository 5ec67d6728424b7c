"""Checking gnina data sets: every file a ``.types`` set lists exists and parses.

``voxelize-cy verify`` runs :func:`verify_types` on ``.types`` files and
``MolCache2(path).verify()`` on molcache2 files; each returns one line per
damaged or missing structure, naming the file (and the ``.types`` line).
"""

from __future__ import annotations

import os
from typing import List, Sequence, Set, Tuple, Union

from voxelize_cy.gnina.errors import GninaDataError
from voxelize_cy.gnina.examples import ExampleExtractor
from voxelize_cy.gnina.types_file import read_types

__all__ = ["verify_types"]

PathLike = Union[str, "os.PathLike[str]"]


def verify_types(types: Union[PathLike, Sequence[PathLike]], *, data_root: str = "",
                 molcaches: Sequence[str] = (), has_group: bool = False,
                 add_hydrogens: bool = True) -> List[str]:
    """Read every structure a ``.types`` set lists, as training would (from the
    molcache2 caches when they hold it, else from ``data_root``), with the
    default receptor and ligand typers and the caches' checksums checked.

    Parameters
    ----------
    types : path or sequence of paths
    data_root : str
        The folder the file names are relative to.
    molcaches : sequence of str
        The receptor cache, then the ligand cache (as libmolgrid's
        ``recmolcache`` and ``ligmolcache``).
    has_group : bool
        The lines start with a group id.
    add_hydrogens : bool
        As for reading molecule files in training.

    Returns
    -------
    list of str
        One line per ``.types`` file that cannot be read, and per listed
        structure that is missing or damaged (naming it and its line); empty
        when every structure reads.
    """
    try:
        table = read_types(types, has_group=has_group)
    except (GninaDataError, OSError) as err:
        return [str(err)]
    try:
        extractor = ExampleExtractor(data_root=data_root, molcaches=molcaches,
                                     cache_structs=False, add_hydrogens=add_hydrogens,
                                     verify=True)
    except (GninaDataError, OSError) as err:
        return [str(err)]
    problems: List[str] = []
    checked: Set[Tuple[int, str]] = set()
    for i in range(len(table)):
        for position, k in enumerate(table.file_index[i]):
            if k < 0:
                continue
            name = table.names[k]
            store = extractor.store_for(position)
            key = (min(position, len(extractor.stores) - 1), name)  # one store a position
            if key in checked:
                continue
            checked.add(key)
            try:
                store.get(name, listed_by=table.where(i), copy=False)
            except (GninaDataError, OSError, ValueError) as err:
                problems.append(str(err))
    return problems
