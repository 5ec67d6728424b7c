"""Where an example's coordinate sets come from: ``CoordinateStore``.

A store types the atoms of the files one position of a ``.types`` line names
(the receptors, say) with one typer, and looks them up as libmolgrid's
``CoordCache`` does: in the molcache2 cache first, then in its memory cache
(``cache_structs``), then in the file under ``data_root`` (``.gninatypes``,
``none`` for no atoms, or a molecule file).  Every lookup returns a fresh copy,
so changing one example's coordinates never changes another's.

``state()`` / ``load_state()`` move the memory cache between processes and
runs (libmolgrid's ``save_mem_caches`` / ``load_mem_caches``).
"""

from __future__ import annotations

import os
from typing import Dict, List, Optional, Sequence, Union, cast

import numpy as np

from voxelize_cy.gnina.atom_typers import AtomTyper, IndexTyper
from voxelize_cy.gnina.coordinates import TypedAtoms
from voxelize_cy.gnina.errors import GninaDataError
from voxelize_cy.gnina.gninatypes import read_gninatypes
from voxelize_cy.gnina.molcache import MolCache2
from voxelize_cy.gnina.molecules import read_molecule

__all__ = ["CoordinateStore", "NONE_NAME"]

#: The file name that stands for an empty coordinate set.
NONE_NAME = "none"


def stored_atoms(coords: np.ndarray, stored_types: np.ndarray, typer: AtomTyper,
                 src: str, where: str) -> TypedAtoms:
    """Atoms stored with smina types (``.gninatypes``, molcache2), typed."""
    if typer.is_vector:
        raise GninaDataError(where, "holds smina types, which a vector typer cannot map; "
                             "use an index typer for .gninatypes and molcache2 data")
    t, radius = cast(IndexTyper, typer).from_stored(stored_types)
    keep = t >= 0
    return TypedAtoms(coords[keep], t[keep].astype(np.float32),
                      radius[keep].astype(np.float32), typer.num_types(), src)


class CoordinateStore:
    """Typed coordinate sets by file name, cached.

    Parameters
    ----------
    typer : AtomTyper
    data_root : str
        Folder the file names are relative to.
    molcaches : sequence of str or MolCache2
        molcache2 caches looked in first, in order; a name in none of them is
        read from its file under ``data_root``.
    cache_structs : bool
        Keep what was read from files in memory.
    add_hydrogens : bool
        Let OpenBabel add hydrogens to molecule files before typing.
    verify : bool
        Check molcache2 records' checksums on every lookup.
    """

    def __init__(self, typer: AtomTyper, data_root: str = "",
                 molcaches: Sequence[Union[str, MolCache2]] = (), cache_structs: bool = True,
                 add_hydrogens: bool = True, verify: bool = False):
        self.typer = typer
        self.data_root = os.fspath(data_root or "")
        self.molcaches: List[MolCache2] = [
            m if isinstance(m, MolCache2) else MolCache2(m, verify=verify)
            for m in molcaches if isinstance(m, MolCache2) or os.fspath(m)]
        self.cache_structs = bool(cache_structs)
        self.add_hydrogens = bool(add_hydrogens)
        self.memory: Dict[str, TypedAtoms] = {}

    def path_of(self, name: str) -> str:
        """The file a name refers to (under ``data_root``)."""
        return os.path.join(self.data_root, name) if self.data_root else name

    def get(self, name: str, listed_by: Optional[str] = None, copy: bool = True) -> TypedAtoms:
        """The typed atoms of ``name`` (a copy; with ``copy=False`` the cached
        arrays themselves, for readers that do not change them).

        Raises
        ------
        GninaDataError
            The file is missing or cannot be read, naming it and ``listed_by``.
        """
        for molcache in self.molcaches:
            if name in molcache:
                coords, stored = molcache.atoms(name, listed_by)
                return stored_atoms(coords, stored, self.typer, name,
                                    f"{molcache.path} ({name!r})")
        cached = self.memory.get(name)
        if cached is not None:
            return cached.copy() if copy else cached
        atoms = self._read(name, listed_by)
        if self.cache_structs:
            self.memory[name] = atoms
            return atoms.copy() if copy else atoms
        return atoms

    def _read(self, name: str, listed_by: Optional[str]) -> TypedAtoms:
        path = self.path_of(name)
        if name.endswith(".gninatypes"):
            coords, stored = read_gninatypes(path, listed_by)
            return stored_atoms(coords, stored, self.typer, name, path)
        if name.endswith(NONE_NAME):  # libmolgrid's reserved word (any name ending so)
            return TypedAtoms.empty(self.typer.num_types(), None, self.typer.is_vector)
        return read_molecule(path, self.typer, add_hydrogens=self.add_hydrogens,
                             src=name, listed_by=listed_by)

    def num_types(self) -> int:
        """The typer's number of types."""
        return self.typer.num_types()

    def type_names(self) -> List[str]:
        """The typer's type names."""
        return self.typer.type_names()

    # -- the memory cache, saved and loaded --------------------------------
    def state(self) -> dict:
        """The memory cache as plain arrays (for ``numpy.savez``)."""
        names = list(self.memory)
        sets = [self.memory[n] for n in names]
        return {
            "names": np.array(names, dtype=object),
            "src": np.array([s.src or "" for s in sets], dtype=object),
            "counts": np.array([len(s) for s in sets], np.int64),
            "num_types": np.array([s.num_types for s in sets], np.int64),
            "coords": _concat([s.coords for s in sets], (0, 3)),
            "types": _concat([s.type_index if s.type_index is not None
                              else np.full(len(s), -1, np.float32) for s in sets], (0,)),
            "radii": _concat([s.radii for s in sets], (0,)),
        }

    def load_state(self, state: dict, where: str) -> None:
        """Add a memory cache saved by :meth:`state` (index types only)."""
        try:
            counts = np.asarray(state["counts"], np.int64)
            ends = np.cumsum(counts)
            names, srcs = list(state["names"]), list(state["src"])
            coords, types, radii = state["coords"], state["types"], state["radii"]
            ntypes = np.asarray(state["num_types"], np.int64)
            if (len(names) != counts.size or len(srcs) != counts.size or ntypes.size
                    != counts.size or coords.shape != (int(counts.sum()), 3)
                    or types.shape[0] != coords.shape[0] or radii.shape[0] != coords.shape[0]):
                raise KeyError("sizes")
        except (KeyError, ValueError, TypeError, AttributeError):
            raise GninaDataError(where, "is not a memory cache of this kind of store (its "
                                 "arrays are missing or of the wrong sizes)") from None
        start = 0
        for name, src, end, n in zip(names, srcs, ends.tolist(), ntypes.tolist()):
            self.memory[str(name)] = TypedAtoms(
                np.array(coords[start:end], np.float32), np.array(types[start:end], np.float32),
                np.array(radii[start:end], np.float32), int(n), str(src) or None)
            start = end


def _concat(arrays, empty_shape) -> np.ndarray:
    if not arrays:
        return np.zeros(empty_shape, np.float32)
    return np.concatenate(arrays).astype(np.float32)
