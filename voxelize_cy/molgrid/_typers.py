"""libmolgrid's atom typers and mappers, under their names.

Each class wraps a typer of :mod:`voxelize_cy.gnina` (its ``_typer``) and
answers libmolgrid's methods: ``num_types``, ``get_type_names``,
``get_type_radii``, ``get_atom_type_index(atom)`` / ``get_atom_type_vector(atom)``
for OpenBabel atoms (the ``openbabel`` extra).  The element typers read a
stored smina type as libmolgrid does (as if it were an atomic number).
"""

from __future__ import annotations

from typing import List, Sequence, Union

from voxelize_cy import gnina

__all__ = [
    "AtomTyper", "GninaIndexTyper", "ElementIndexTyper", "NullIndexTyper",
    "PythonCallbackIndexTyper", "GninaVectorTyper", "PythonCallbackVectorTyper",
    "FileAtomMapper", "SubsetAtomMapper", "SubsettedElementTyper", "SubsettedGninaTyper",
    "FileMappedGninaTyper", "FileMappedElementTyper", "defaultGninaReceptorTyper",
    "defaultGninaLigandTyper", "typer_of",
]


class AtomTyper:
    """Base class for all atom typers."""

    _typer: gnina.AtomTyper

    def num_types(self) -> int:
        """How many types."""
        return self._typer.num_types()

    def get_type_names(self) -> List[str]:
        """The types' names."""
        return self._typer.type_names()

    def get_type_radii(self) -> List[float]:
        """A radius per type."""
        return self._typer.type_radii()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.num_types()} types)"


class _IndexTyper(AtomTyper):
    def get_atom_type_index(self, atom):
        """``(type, radius)`` of an OpenBabel atom."""
        return self._typer.type_atom(atom)


class _VectorTyper(AtomTyper):
    def get_atom_type_vector(self, atom):
        """``(type vector, radius)`` of an OpenBabel atom."""
        return self._typer.type_atom_vector(atom)


class GninaIndexTyper(_IndexTyper):
    """smina's 28 atom types; covalent radii with ``use_covalent=True``."""

    def __init__(self, use_covalent: bool = False):
        self._typer = gnina.GninaTyper(use_covalent)


class ElementIndexTyper(_IndexTyper):
    """Atomic numbers below ``maxe`` as types (0 for heavier), covalent radii."""

    def __init__(self, maxe: int = 84):
        self._typer = gnina.ElementTyper(maxe, stored="as-libmolgrid")


class NullIndexTyper(_IndexTyper):
    """No types: every atom is left out."""

    def __init__(self):
        self._typer = gnina.NullTyper()


class PythonCallbackIndexTyper(_IndexTyper):
    """Types from ``func(atom) -> (type, radius)``."""

    def __init__(self, func, num_types: int, names: Sequence[str] = ()):
        self._typer = gnina.CallbackIndexTyper(func, num_types, names)


class GninaVectorTyper(_VectorTyper):
    """smina's types as element, AutoDock and XS properties, charge, aromaticity."""

    def __init__(self):
        self._typer = gnina.GninaVectorTyper()


class PythonCallbackVectorTyper(_VectorTyper):
    """Type vectors from ``func(atom) -> (vector, radius)``."""

    def __init__(self, func, num_types: int, names: Sequence[str] = ()):
        self._typer = gnina.CallbackVectorTyper(func, num_types, names)


class FileAtomMapper:
    """Types grouped by a map file (one new type per non-blank line)."""

    _mapper: Union[gnina.FileAtomMapper, gnina.SubsetAtomMapper]

    def __init__(self, fname: str, type_names: Sequence[str]):
        self._mapper = gnina.FileAtomMapper(fname, type_names)

    def num_types(self) -> int:
        """How many new types."""
        return self._mapper.num_types()

    def get_new_type(self, old: int) -> int:
        """The new type of an old one (-1: unmapped)."""
        return int(self._mapper.map([old])[0])

    def get_type_names(self) -> List[str]:
        """The new types' names."""
        return self._mapper.type_names()


class SubsetAtomMapper(FileAtomMapper):
    """Types picked from the old ones, the rest to a catch-all (or -1)."""

    def __init__(self, map, catchall: bool = True, old_names: Sequence[str] = ()):
        self._mapper = gnina.SubsetAtomMapper(map, catchall, old_names)


class _Mapped(_IndexTyper):
    def _set(self, mapper_of, base) -> None:
        self._typer = gnina.MappedTyper(mapper_of(base.type_names()), base)


class SubsettedElementTyper(_Mapped):
    """Element types reduced to a subset (``map``: numbers or lists of them)."""

    def __init__(self, map, catchall: bool = True, maxe: int = 84):
        self._set(lambda names: gnina.SubsetAtomMapper(map, catchall, names),
                  gnina.ElementTyper(maxe, stored="as-libmolgrid"))


class SubsettedGninaTyper(_Mapped):
    """smina types reduced to a subset."""

    def __init__(self, map, catchall: bool = True, use_covalent_radius: bool = False):
        self._set(lambda names: gnina.SubsetAtomMapper(map, catchall, names),
                  gnina.GninaTyper(use_covalent_radius))


class FileMappedGninaTyper(_Mapped):
    """smina types grouped by a map file."""

    def __init__(self, fname: str, use_covalent_radius: bool = False):
        self._set(lambda names: gnina.FileAtomMapper(fname, names),
                  gnina.GninaTyper(use_covalent_radius))


class FileMappedElementTyper(_Mapped):
    """Element types grouped by a map file."""

    def __init__(self, fname: str, maxe: int = 84):
        self._set(lambda names: gnina.FileAtomMapper(fname, names),
                  gnina.ElementTyper(maxe, stored="as-libmolgrid"))


def _wrapped(typer: gnina.MappedTyper) -> FileMappedGninaTyper:
    wrapper = FileMappedGninaTyper.__new__(FileMappedGninaTyper)
    wrapper._typer = typer
    return wrapper


#: gnina's 14 receptor channels.
defaultGninaReceptorTyper = _wrapped(gnina.DEFAULT_RECEPTOR_TYPER)
#: gnina's 14 ligand channels.
defaultGninaLigandTyper = _wrapped(gnina.DEFAULT_LIGAND_TYPER)


def typer_of(value) -> gnina.AtomTyper:
    """The :mod:`voxelize_cy.gnina` typer behind a typer of this module (or
    one of that module's own)."""
    if isinstance(value, AtomTyper):
        return value._typer
    if isinstance(value, gnina.AtomTyper):
        return value
    raise TypeError(f"expected an atom typer, got {type(value).__name__}")
