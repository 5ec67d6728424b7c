"""molcache2 caches built from ``.types`` files.

gnina's public training sets ship their structures as molcache2 caches (one
for the receptors, one for the ligands) next to the ``.types`` files;
:func:`molcache_from_types` builds them from the files a ``.types`` file
lists: ``.gninatypes`` files are copied record for record, molecule files are
typed with smina's types (OpenBabel when installed, as gnina does; see
:mod:`voxelize_cy.gnina.molecules`).  ``voxelize-cy molcache`` is its command.
"""

from __future__ import annotations

import os
from typing import Callable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from voxelize_cy.gnina.atom_typers import GninaTyper
from voxelize_cy.gnina.errors import GninaDataError
from voxelize_cy.gnina.gninatypes import read_gninatypes
from voxelize_cy.gnina.molcache import write_molcache2
from voxelize_cy.gnina.molecules import read_molecule
from voxelize_cy.gnina.store import NONE_NAME
from voxelize_cy.gnina.types_file import read_types

__all__ = ["molcache_from_types", "POSITIONS"]

#: Which files of each line go into a cache: the first (receptors), the
#: others (ligands), or all.
POSITIONS = ("receptor", "ligand", "all")

PathLike = Union[str, os.PathLike]


def _names(types: Sequence[PathLike], position: str, has_group: bool
           ) -> List[Tuple[str, str]]:
    """(name, where) of every distinct file of the chosen position, in order."""
    if position not in POSITIONS:
        raise ValueError(f"position must be one of {POSITIONS}, got {position!r}")
    table = read_types(types, has_group=has_group)
    seen, names = set(), []
    columns = {"receptor": slice(0, 1), "ligand": slice(1, None), "all": slice(None)}[position]
    for row in range(len(table)):
        for k in table.file_index[row, columns]:
            if k >= 0 and k not in seen and not table.names[k].endswith(NONE_NAME):
                seen.add(k)
                names.append((table.names[k], table.where(row)))
    return names


def _structures(names, data_root: str, add_hydrogens: bool,
                progress: Optional[Callable[[int, int], None]]) -> Iterator[tuple]:
    typer = GninaTyper()
    for done, (name, where) in enumerate(names, 1):
        path = os.path.join(data_root, name) if data_root else name
        if name.endswith(".gninatypes"):
            coords, types = read_gninatypes(path, where)
        else:
            atoms = read_molecule(path, typer, add_hydrogens=add_hydrogens, src=name,
                                  listed_by=where)
            coords, types = atoms.coords, atoms.index_types().astype(np.int32)
        yield name, coords, types
        if progress is not None:
            progress(done, len(names))


def molcache_from_types(out: PathLike, types: Union[PathLike, Sequence[PathLike]], *,
                        data_root: str = "", position: str = "receptor",
                        add_hydrogens: bool = True, has_group: bool = False,
                        progress: Optional[Callable[[int, int], None]] = None) -> int:
    """Write a molcache2 of the files some ``.types`` files list.

    Parameters
    ----------
    out : path
        The molcache2 to write (atomically).
    types : path or sequence of paths
    data_root : str
        Folder the names are relative to.
    position : {'receptor', 'ligand', 'all'}
        The first file of each line, the others, or every file.
    add_hydrogens : bool
        For molecule files: let OpenBabel add hydrogens first.
    has_group : bool
        The lines start with a group id.
    progress : callable, optional
        ``progress(done, total)`` after each structure.

    Returns
    -------
    int
        Structures written.

    Raises
    ------
    GninaDataError
        A listed file that is missing or damaged (naming it and its line).
    """
    if isinstance(types, (str, os.PathLike)):
        types = [types]
    names = _names(types, position, has_group)
    if not names:
        raise GninaDataError(", ".join(str(os.fspath(t)) for t in types),
                             f"lists no {position} file to cache")
    return write_molcache2(out, _structures(names, os.fspath(data_root or ""),
                                            add_hydrogens, progress))
