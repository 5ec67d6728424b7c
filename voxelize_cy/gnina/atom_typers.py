"""Atom typers: what channel (or channel weights) and radius an atom gets.

gnina types atoms in two places, and a typer answers both:

- a stored type: ``.gninatypes`` files and molcache2 caches hold each atom's
  smina type (0-27); :meth:`IndexTyper.from_stored` maps those to the
  typer's types and radii (vectorised);
- an OpenBabel atom (molecule files listed in a ``.types`` file, through the
  optional ``openbabel`` extra): :meth:`IndexTyper.type_atom` /
  :meth:`VectorTyper.type_atom_vector`.

The typers are libmolgrid's: :class:`GninaTyper` (smina's 28 types, XS or
covalent radii), :class:`ElementTyper` (atomic numbers, covalent radii),
:class:`NullTyper`, callback typers, :class:`MappedTyper` over a
:class:`FileAtomMapper` or a :class:`SubsetAtomMapper`, the vector typer
:class:`GninaVectorTyper`, and :data:`DEFAULT_RECEPTOR_TYPER` /
:data:`DEFAULT_LIGAND_TYPER` (gnina's 14 + 14 channels).

One difference is deliberate and optional: libmolgrid hands an element typer
a stored *smina type* as if it were an *atomic number* (a NitrogenXSDonor,
type 7, becomes nitrogen, a carbon of type 2 becomes helium).
``ElementTyper(stored="element")`` (the default here) converts the smina type
to its element; ``stored="as-libmolgrid"`` reproduces libmolgrid, which is
what ``voxelize_cy.molgrid`` uses.
"""

from __future__ import annotations

import io
import os
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from voxelize_cy.chemistry import (
    COVALENT_RADIUS_A,
    DEFAULT_COVALENT_RADIUS_A,
    ELEMENT_NAMES,
    SYMBOLS,
)
from voxelize_cy.chemistry.channel_sets import CHANNEL_SETS
from voxelize_cy.chemistry.gnina_types import (
    SMINA_AD_NAMES,
    SMINA_AUTODOCK,
    SMINA_COVALENT_RADIUS_A,
    SMINA_ELEMENT,
    SMINA_FLAGS,
    SMINA_RADIUS_A,
    SMINA_TYPES,
)

__all__ = [
    "AtomTyper", "IndexTyper", "VectorTyper", "GninaTyper", "ElementTyper", "NullTyper",
    "CallbackIndexTyper", "CallbackVectorTyper", "GninaVectorTyper", "FileAtomMapper",
    "SubsetAtomMapper", "MappedTyper", "DEFAULT_RECEPTOR_TYPER", "DEFAULT_LIGAND_TYPER",
    "covalent_radius_A", "GNINA_VECTOR_NAMES",
]

_GENERIC_METAL = SMINA_TYPES.index("GenericMetal")
_TYPE_OF_AD_NAME = {name: t for t, name in reversed(list(enumerate(SMINA_AD_NAMES)))}


def covalent_radius_A(z) -> np.ndarray:
    """Covalent radius of atomic numbers ``z`` (OpenBabel's table, 1.6 Å past it)."""
    z = np.asarray(z, dtype=np.int64)
    table = np.asarray(COVALENT_RADIUS_A)
    inside = (z >= 0) & (z < table.size)
    return np.where(inside, table[np.clip(z, 0, table.size - 1)], DEFAULT_COVALENT_RADIUS_A)


def _element_name(z: int) -> str:
    return ELEMENT_NAMES[z] if 0 < z < len(ELEMENT_NAMES) else str(z)


# -- OpenBabel ---------------------------------------------------------------

def openbabel_module():
    """OpenBabel's SWIG module (``from openbabel import openbabel``), or an
    ImportError that names the extra."""
    try:
        from openbabel import openbabel
    except ImportError:
        raise ImportError("typing OpenBabel atoms and reading molecule files (PDB, SDF, "
                          "mol2, ...) needs OpenBabel: pip install 'voxelize_cy[openbabel]' "
                          "(the openbabel-wheel package)") from None
    return openbabel


def unwrap_atom(atom):
    """An ``OBAtom`` from an OBAtom or a pybel atom."""
    return getattr(atom, "OBAtom", atom)


def smina_type_of_atom(atom) -> int:
    """smina's type of an OpenBabel atom, by gnina's rules (AutoDock name from
    the element, aromaticity and OpenBabel's acceptor perception, then
    hydrophobicity and donors from the bonded neighbours)."""
    ob = openbabel_module()
    atom = unwrap_atom(atom)
    h_bonded = hetero_bonded = False
    for neighbour in ob.OBAtomAtomIter(atom):
        z = neighbour.GetAtomicNum()
        if z == 1:
            h_bonded = True
        elif z != 6:
            hetero_bonded = True
    z = atom.GetAtomicNum()
    name = SYMBOLS[z] if 0 <= z < len(SYMBOLS) else ""
    if z == 1:
        name = "HD" if atom.IsPolarHydrogen() else "H"
    elif z == 6 and atom.IsAromatic():
        name = "A"
    elif z == 7 and atom.IsHbondAcceptor():
        name = "NA"
    elif z == 8:
        name = "OA"
    elif z == 16 and atom.IsHbondAcceptor():
        name = "SA"
    elif z == 34:
        name = "S"  # gnina treats selenium as sulfur
    return _adjust(_TYPE_OF_AD_NAME.get(name, _GENERIC_METAL), h_bonded, hetero_bonded)


def _adjust(t: int, h_bonded: bool, hetero_bonded: bool) -> int:
    """gnina's adjustment of a base smina type by the atom's neighbours."""
    name = SMINA_TYPES[t]
    if name.startswith("AliphaticCarbon"):
        return SMINA_TYPES.index("AliphaticCarbonXSNonHydrophobe" if hetero_bonded
                                 else "AliphaticCarbonXSHydrophobe")
    if name.startswith("AromaticCarbon"):
        return SMINA_TYPES.index("AromaticCarbonXSNonHydrophobe" if hetero_bonded
                                 else "AromaticCarbonXSHydrophobe")
    if name in ("Nitrogen", "NitrogenXSDonor"):
        return SMINA_TYPES.index("NitrogenXSDonor" if h_bonded else "Nitrogen")
    if name in ("NitrogenXSDonorAcceptor", "NitrogenXSAcceptor"):
        return SMINA_TYPES.index("NitrogenXSDonorAcceptor" if h_bonded
                                 else "NitrogenXSAcceptor")
    if name in ("Oxygen", "OxygenXSDonor"):
        return SMINA_TYPES.index("OxygenXSDonor" if h_bonded else "Oxygen")
    if name in ("OxygenXSDonorAcceptor", "OxygenXSAcceptor"):
        return SMINA_TYPES.index("OxygenXSDonorAcceptor" if h_bonded else "OxygenXSAcceptor")
    return t


# -- typers ------------------------------------------------------------------

class AtomTyper:
    """Base of the typers: a number of types, their names and radii."""

    is_vector = False

    def num_types(self) -> int:
        """How many types (channels) this typer gives."""
        raise NotImplementedError

    def type_names(self) -> List[str]:
        """The name of each type."""
        raise NotImplementedError

    def type_radii(self) -> List[float]:
        """A radius per type (Å), for type-indexed radii."""
        raise NotImplementedError


class IndexTyper(AtomTyper):
    """A typer that gives each atom one type index (-1: the atom is dropped)."""

    def from_stored(self, stored: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Types ``(N,)`` int64 and radii ``(N,)`` float64 of atoms stored with
        smina types (``.gninatypes``, molcache2)."""
        raise NotImplementedError

    def type_atom(self, atom) -> Tuple[int, float]:
        """``(type, radius)`` of an OpenBabel atom."""
        raise NotImplementedError


class VectorTyper(AtomTyper):
    """A typer that gives each atom a vector of type weights."""

    is_vector = True

    def type_atom_vector(self, atom) -> Tuple[List[float], float]:
        """``(weights, radius)`` of an OpenBabel atom (radius 0: dropped)."""
        raise NotImplementedError


class GninaTyper(IndexTyper):
    """smina's 28 atom types (libmolgrid's ``GninaIndexTyper``).

    Parameters
    ----------
    use_covalent_radius : bool
        Covalent radii instead of the XS radii.
    """

    def __init__(self, use_covalent_radius: bool = False):
        self.use_covalent_radius = bool(use_covalent_radius)
        self._radius = SMINA_COVALENT_RADIUS_A if use_covalent_radius else SMINA_RADIUS_A

    def num_types(self) -> int:
        return len(SMINA_TYPES)

    def type_names(self) -> List[str]:
        return list(SMINA_TYPES)

    def type_radii(self) -> List[float]:
        return self._radius.tolist()

    def from_stored(self, stored):
        t = np.where(np.asarray(stored) < len(SMINA_TYPES), stored, _GENERIC_METAL)
        t = t.astype(np.int64)
        return t, self._radius[t]

    def type_atom(self, atom):
        t = smina_type_of_atom(atom)
        return t, float(self._radius[t])


class ElementTyper(IndexTyper):
    """Atomic numbers as types, covalent radii (libmolgrid's ``ElementIndexTyper``).

    Parameters
    ----------
    max_element : int
        Types 0 .. max_element - 1; heavier elements get type 0 (``GenericAtom``).
    stored : {'element', 'as-libmolgrid'}
        How to read a stored smina type: as its element, or, as libmolgrid
        does, as if the number were an atomic number.
    """

    def __init__(self, max_element: int = 84, stored: str = "element"):
        if stored not in ("element", "as-libmolgrid"):
            raise ValueError(f"stored must be 'element' or 'as-libmolgrid', got {stored!r}")
        self.max_element = int(max_element)
        self.stored = stored

    def num_types(self) -> int:
        return self.max_element

    def type_names(self) -> List[str]:
        return ["GenericAtom"] + [_element_name(z) for z in range(1, self.max_element)]

    def type_radii(self) -> List[float]:
        return covalent_radius_A(np.arange(self.max_element)).tolist()

    def _of_elements(self, z):
        z = np.asarray(z, dtype=np.int64)
        return np.where(z >= self.max_element, 0, z), covalent_radius_A(z)

    def from_stored(self, stored):
        stored = np.asarray(stored, dtype=np.int64)
        if self.stored == "element":
            z = SMINA_ELEMENT[np.clip(stored, 0, len(SMINA_TYPES) - 1)]
            return self._of_elements(z)
        return self._of_elements(stored)

    def type_atom(self, atom):
        z = unwrap_atom(atom).GetAtomicNum()
        t, r = self._of_elements([z])
        return int(t[0]), float(r[0])


class NullTyper(IndexTyper):
    """No types: every atom is dropped (libmolgrid's ``NullIndexTyper``)."""

    def num_types(self) -> int:
        return 0

    def type_names(self) -> List[str]:
        return []

    def type_radii(self) -> List[float]:
        return []

    def from_stored(self, stored):
        n = len(stored)
        return np.full(n, -1, np.int64), np.zeros(n)

    def type_atom(self, atom):
        return -1, 0.0


def _numbered_names(ntypes: int, names: Sequence[str]) -> List[str]:
    names = list(names)
    return [names[i] if i < len(names) else str(i) for i in range(int(ntypes))]


class _Callback:
    """What both callback typers hold: the function, and numbered type names
    whose radius (for type-indexed radii) is DEFAULT_RADIUS_A."""

    DEFAULT_RADIUS_A = 1.6

    def __init__(self, func: Callable, ntypes: int, names: Sequence[str] = ()):
        if not callable(func):
            raise TypeError(f"func must be callable, got {type(func).__name__}")
        self.func = func
        self._names = _numbered_names(ntypes, names)

    def num_types(self) -> int:
        return len(self._names)

    def type_names(self) -> List[str]:
        return list(self._names)

    def type_radii(self) -> List[float]:
        return [self.DEFAULT_RADIUS_A] * len(self._names)


class CallbackIndexTyper(_Callback, IndexTyper):
    """Types from a Python function of an OpenBabel atom.

    Parameters
    ----------
    func : callable
        ``func(atom) -> (type, radius)``; a type >= ``ntypes`` becomes -1.
    ntypes : int
    names : sequence of str, optional
        Type names (numbers for the missing ones).
    """

    def from_stored(self, stored):
        t = np.asarray(stored, dtype=np.int64)
        return np.where(t >= len(self._names), -1, t), np.full(t.shape, self.DEFAULT_RADIUS_A)

    def type_atom(self, atom):
        t, r = self.func(atom)
        t = int(t)
        return (-1 if t >= len(self._names) else t), float(r)


class CallbackVectorTyper(_Callback, VectorTyper):
    """Type vectors from a Python function of an OpenBabel atom.

    Parameters
    ----------
    func : callable
        ``func(atom) -> (weights, radius)``.
    ntypes : int
    names : sequence of str, optional
    """

    def type_atom_vector(self, atom):
        weights, radius = self.func(atom)
        return [float(w) for w in weights], float(radius)


#: The 26 channels of :class:`GninaVectorTyper`, named as libmolgrid names them
#: (its names list swaps the last two: the value under "Aromatic" is the
#: partial charge and the value under "OB_partialcharge" is aromaticity).
GNINA_VECTOR_NAMES = (
    "Hydrogen", "Carbon", "Nitrogen", "Oxygen", "Sulfur", "Phosphorus", "Fluorine",
    "Chlorine", "Bromine", "Iodine", "Magnesium", "Manganese", "Zinc", "Calcium", "Iron",
    "Boron", "GenericAtom", "AD_depth", "AD_solvation", "AD_volume", "XS_hydrophobe",
    "XS_donor", "XS_acceptor", "AD_heteroatom", "Aromatic", "OB_partialcharge",
)
_VECTOR_ELEMENT = {1: 0, 6: 1, 7: 2, 8: 3, 16: 4, 15: 5, 9: 6, 17: 7, 35: 8, 53: 9,
                   12: 10, 25: 11, 30: 12, 20: 13, 26: 14, 5: 15}


class GninaVectorTyper(VectorTyper):
    """smina's types decomposed into element, AutoDock and XS properties, and
    OpenBabel's partial charge and aromaticity (libmolgrid's ``GninaVectorTyper``)."""

    def __init__(self, index_typer: Optional[GninaTyper] = None):
        self.index_typer = index_typer or GninaTyper()

    def num_types(self) -> int:
        return len(GNINA_VECTOR_NAMES)

    def type_names(self) -> List[str]:
        return list(GNINA_VECTOR_NAMES)

    def type_radii(self) -> List[float]:
        return [CallbackIndexTyper.DEFAULT_RADIUS_A] * len(GNINA_VECTOR_NAMES)

    def type_atom_vector(self, atom):
        t, radius = self.index_typer.type_atom(atom)
        weights = [0.0] * len(GNINA_VECTOR_NAMES)
        z = int(SMINA_ELEMENT[t])
        weights[_VECTOR_ELEMENT.get(z, 16) if t != _GENERIC_METAL else 16] = 1.0
        weights[17:20] = SMINA_AUTODOCK[t].tolist()
        hydrophobe, donor, acceptor, hetero = SMINA_FLAGS[t].tolist()
        weights[20:24] = [float(hydrophobe), float(donor), float(acceptor), float(hetero)]
        ob_atom = unwrap_atom(atom)
        weights[24] = float(ob_atom.GetPartialCharge())
        weights[25] = float(bool(ob_atom.IsAromatic()))
        return weights, radius


# -- mappers -----------------------------------------------------------------

class _TypeMapper:
    """What the mappers share: the new types, by name (``self.names``)."""

    names: List[str]

    def num_types(self) -> int:
        """How many new types (a catch-all included)."""
        return len(self.names)

    def type_names(self) -> List[str]:
        """The new types' names."""
        return list(self.names)


class FileAtomMapper(_TypeMapper):
    """Types grouped by a map file: each non-blank line is one new type, the
    old type names on it (whitespace-separated) map to it, the others to -1.

    Parameters
    ----------
    source : path or file-like or str
        The map file (a path, an open file); or its text, with ``text=True``.
    old_names : sequence of str
        The names of the old types (``typer.type_names()``).
    text : bool
        ``source`` is the map's text itself.
    """

    def __init__(self, source, old_names: Sequence[str], text: bool = False):
        self.old_names = list(old_names)
        where = "<text>" if text else getattr(source, "name", os.fspath(source)
                                                if isinstance(source, (str, os.PathLike))
                                                else repr(source))
        if text:
            content = str(source)
        elif hasattr(source, "read"):
            content = source.read()
        else:
            try:
                with open(source, "r", encoding="utf-8") as handle:
                    content = handle.read()
            except OSError as err:
                raise ValueError(f"cannot read the type map {where}: {err.strerror}") from None
        index = {name: i for i, name in enumerate(self.old_names)}
        self.old_to_new = np.full(len(self.old_names), -1, np.int64)
        self.names: List[str] = []
        for line in io.StringIO(content):
            members = line.split()
            if not members:
                continue
            new = len(self.names)
            self.names.append("_".join(members))
            for name in members:
                if name not in index:
                    raise ValueError(f"the type map {where} names {name!r}, which is not "
                                     f"one of the types {self.old_names}")
                self.old_to_new[index[name]] = new

    def map(self, old) -> np.ndarray:
        """New type of each old type (-1 for unmapped and negative ones)."""
        old = np.asarray(old, dtype=np.int64)
        inside = (old >= 0) & (old < self.old_to_new.size)
        return np.where(inside, self.old_to_new[np.clip(old, 0, self.old_to_new.size - 1)
                                                if self.old_to_new.size else 0], -1)


class SubsetAtomMapper(_TypeMapper):
    """Types picked from the old ones: new type i is ``subset[i]`` (an old
    type, or a list of old types merged); everything else maps to a last
    catch-all type ``GenericAtom``, or to -1 without one.

    Parameters
    ----------
    subset : sequence of int or of sequences of int
    catchall : bool
    old_names : sequence of str, optional
        For the new types' names (numbers where missing).
    """

    def __init__(self, subset, catchall: bool = True, old_names: Sequence[str] = ()):
        old_names = list(old_names)
        self.groups: List[List[int]] = [
            [int(np.asarray(v).item())] if np.isscalar(v) else [int(u) for u in v]
            for v in subset]
        self.old_to_new = {}
        self.names: List[str] = []
        for new, group in enumerate(self.groups):
            for old in group:
                self.old_to_new[old] = new
            self.names.append("_".join(old_names[o] if 0 <= o < len(old_names) else str(o)
                                       for o in group))
        self.catchall = bool(catchall)
        self.default = len(self.groups) if catchall else -1
        if catchall:
            self.names.append("GenericAtom")

    def map(self, old) -> np.ndarray:
        """New type of each old type."""
        old = np.asarray(old, dtype=np.int64)
        size = max(self.old_to_new, default=-1) + 1
        table = np.full(size + 1, self.default, np.int64)  # the last: anything else
        for key, new in self.old_to_new.items():
            if key >= 0:
                table[key] = new
        return table[np.where((old >= 0) & (old < size), old, size)]


class MappedTyper(IndexTyper):
    """An index typer whose types go through a mapper (libmolgrid's
    ``FileMappedGninaTyper``, ``SubsettedElementTyper`` and the like).

    Each new type's radius (:meth:`type_radii`) is the mean radius of the old
    types mapped to it; an atom keeps its own radius.
    """

    def __init__(self, mapper: Union[FileAtomMapper, SubsetAtomMapper], typer: IndexTyper):
        self.mapper = mapper
        self.typer = typer

    def num_types(self) -> int:
        return self.mapper.num_types()

    def type_names(self) -> List[str]:
        return self.mapper.type_names()

    def type_radii(self) -> List[float]:
        old = np.asarray(self.typer.type_radii())
        new = self.mapper.map(np.arange(old.size))
        radii = []
        for t in range(self.num_types()):
            members = old[new == t]
            radii.append(float(members.mean()) if members.size else 0.0)
        return radii

    def from_stored(self, stored):
        t, r = self.typer.from_stored(stored)
        return self.mapper.map(t), r

    def type_atom(self, atom):
        t, r = self.typer.type_atom(atom)
        return int(self.mapper.map([t])[0]), r


def gnina_map_typer(channel_set_name: str) -> MappedTyper:
    """gnina's default receptor or ligand typer, from the channel set's names."""
    names = CHANNEL_SETS[channel_set_name].channel_names
    text = "\n".join(name.replace("_", " ") for name in names) + "\n"
    typer = GninaTyper()
    return MappedTyper(FileAtomMapper(text, typer.type_names(), text=True), typer)


#: gnina's 14 receptor channels (libmolgrid's ``defaultGninaReceptorTyper``).
DEFAULT_RECEPTOR_TYPER = gnina_map_typer("gnina-receptor")
#: gnina's 14 ligand channels (libmolgrid's ``defaultGninaLigandTyper``).
DEFAULT_LIGAND_TYPER = gnina_map_typer("gnina-ligand")
