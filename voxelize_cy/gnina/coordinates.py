"""Typed atoms: one coordinate set of an example (a receptor, a ligand).

``TypedAtoms`` holds what libmolgrid's ``CoordinateSet`` holds, as numpy
arrays: coordinates, a type index per atom and/or a type vector per atom,
radii (one per atom, or one per type once vector types are made with type
radii), the number of types, and the file the atoms came from.  ``merge``
joins an example's sets into one, each set's types offset past the previous
sets' (``unique_types``), as libmolgrid's ``Example.merge_coordinates`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Sequence

import numpy as np

__all__ = ["TypedAtoms", "merge"]


@dataclass
class TypedAtoms:
    """Atoms with types and radii.

    Attributes
    ----------
    coords : numpy.ndarray of float32, shape (N, 3)
        Å.
    type_index : numpy.ndarray of float32, shape (N,), or None
        Each atom's type (libmolgrid stores them as floats).
    type_vector : numpy.ndarray of float32, shape (N, T), or None
        Each atom's weight in each type.
    radii : numpy.ndarray of float32
        ``(N,)`` per atom, or ``(T,)`` per type (``radii_per_type``).
    num_types : int
        T, the number of types (channels) of the typer.
    src : str or None
        The file name as the ``.types`` line wrote it.
    radii_per_type : bool
        ``radii`` holds a radius per type (vector types with type radii).
    """

    coords: np.ndarray
    type_index: Optional[np.ndarray]
    radii: np.ndarray
    num_types: int
    src: Optional[str] = None
    type_vector: Optional[np.ndarray] = None
    radii_per_type: bool = field(default=False)

    @classmethod
    def empty(cls, num_types: int, src: Optional[str] = None,
              vector: bool = False) -> "TypedAtoms":
        """No atoms (a ``none`` entry of a ``.types`` line)."""
        return cls(np.zeros((0, 3), np.float32), np.zeros(0, np.float32),
                   np.zeros(0, np.float32), int(num_types), src,
                   np.zeros((0, int(num_types)), np.float32) if vector else None)

    def __len__(self) -> int:
        return int(self.coords.shape[0])

    @property
    def has_index_types(self) -> bool:
        """True when every atom has a type index."""
        return self.type_index is not None and self.type_index.shape[0] == len(self)

    @property
    def has_vector_types(self) -> bool:
        """True when every atom has a type vector."""
        return self.type_vector is not None and self.type_vector.shape[0] == len(self)

    def index_types(self) -> np.ndarray:
        """``type_index``; ValueError when the atoms have none."""
        if self.type_index is None:
            raise ValueError(f"the atoms{_of(self.src)} have no type indices (vector types)")
        return self.type_index

    def vector_types(self) -> np.ndarray:
        """``type_vector``; ValueError when the atoms have none."""
        if self.type_vector is None:
            raise ValueError(f"the atoms{_of(self.src)} have no type vectors "
                             f"(make_vector_types)")
        return self.type_vector

    def copy(self) -> "TypedAtoms":
        """An independent copy (no array shared)."""
        return TypedAtoms(self.coords.copy(),
                          None if self.type_index is None else self.type_index.copy(),
                          self.radii.copy(), self.num_types, self.src,
                          None if self.type_vector is None else self.type_vector.copy(),
                          self.radii_per_type)

    def center(self) -> np.ndarray:
        """Mean of the coordinates, in float32 arithmetic as libmolgrid sums
        them ((0, 0, 0) for no atoms)."""
        if not len(self):
            return np.zeros(3, np.float32)
        return (self.coords.sum(axis=0, dtype=np.float32) / np.float32(len(self))
                ).astype(np.float32)

    def make_vector_types(self, include_dummy: bool = False,
                          type_radii: Sequence[float] = ()) -> None:
        """One-hot type vectors from the type indices, in place; with
        ``type_radii`` (one per type), radii become per type; with
        ``include_dummy``, one more type at the end (radius 0)."""
        if self.type_index is None:
            raise ValueError("make_vector_types needs index types")
        ntypes = self.num_types + (1 if include_dummy else 0)
        vectors = np.zeros((len(self), ntypes), np.float32)
        t = self.type_index.astype(np.int64)
        inside = (t >= 0) & (t < self.num_types)
        vectors[np.flatnonzero(inside), t[inside]] = 1.0
        self.type_vector = vectors
        if len(type_radii):
            radii = np.zeros(ntypes, np.float32)
            given = np.asarray(type_radii, np.float32)[:ntypes]
            radii[:given.size] = given
            self.radii = radii
            self.radii_per_type = True
        self.num_types = ntypes

    def sum_types(self) -> np.ndarray:
        """Total weight (count) of each type over the atoms, ``(num_types,)``."""
        if self.has_vector_types and self.type_vector is not None:
            return self.type_vector.sum(axis=0, dtype=np.float32)
        sums = np.zeros(self.num_types, np.float32)
        if self.type_index is not None and len(self):
            t = self.type_index.astype(np.int64)
            t = t[(t >= 0) & (t < self.num_types)]
            np.add.at(sums, t, 1.0)
        return sums


def merge(sets: Sequence[TypedAtoms], unique_types: bool = True,
          offset_empty_sets: bool = True) -> TypedAtoms:
    """The sets joined into one: coordinates and radii concatenated, each set's
    types offset by the types of the sets before it (``unique_types``).

    Vector types when every set has them (then with ``unique_types`` False,
    equal type counts), index types otherwise (every set needs them).
    Per-type radii are concatenated like the types.  libmolgrid's index merge
    does not offset past a set with no atoms (a ``none`` receptor leaves the
    ligand in the receptor's channels): ``offset_empty_sets=False`` does the
    same.
    """
    if not sets:
        return TypedAtoms.empty(0)
    if len(sets) == 1:
        return sets[0].copy()
    total = (sum(s.num_types for s in sets) if unique_types
             else max(s.num_types for s in sets))
    coords = np.concatenate([s.coords for s in sets]).astype(np.float32, copy=False)
    if all(s.has_vector_types for s in sets):
        return _merge_vector(sets, coords, total, unique_types)
    if all(s.has_index_types for s in sets):
        return _merge_index(sets, coords, total, unique_types, offset_empty_sets)
    raise ValueError("coordinate sets do not have compatible types for a merge (index "
                     "types in some, vector types in others)")


def _merge_index(sets, coords, total, unique_types, offset_empty_sets) -> TypedAtoms:
    widths = [s.num_types if unique_types and (offset_empty_sets or len(s)) else 0
              for s in sets]
    offsets = np.cumsum([0] + widths[:-1])
    types = np.concatenate([s.type_index + np.float32(o) for s, o in zip(sets, offsets)])
    radii = _atom_radii(sets)
    return TypedAtoms(coords, types.astype(np.float32), radii, int(total))


def _atom_radii(sets) -> np.ndarray:
    if any(s.radii_per_type for s in sets):
        raise ValueError("coordinate sets with per-type radii merge only with vector types")
    return np.concatenate([s.radii for s in sets]).astype(np.float32)


def _merge_vector(sets, coords, total, unique_types) -> TypedAtoms:
    vectors = np.zeros((coords.shape[0], total), np.float32)
    row = column = 0
    # a set with no atoms and no radii (a null typer's) fits either kind
    per_type = [s.radii_per_type for s in sets if len(s) or s.radii.size]
    if any(per_type) and not all(per_type):
        raise ValueError("coordinate sets mix per-atom and per-type radii")
    if not unique_types and any(per_type):
        raise ValueError(f"radius and coordinates/types are of different sizes: "
                         f"{coords.shape[0]} atoms, {total} types and per-type radii of "
                         f"{[s.radii.size for s in sets]} types")
    for s in sets:
        n, width = len(s), s.type_vector.shape[1]
        vectors[row:row + n, column:column + width] = s.type_vector
        row += n
        if unique_types:
            column += s.num_types
    by_type = bool(per_type) and all(per_type)
    radii = np.concatenate([s.radii for s in sets]).astype(np.float32)
    if not by_type:
        radii = _atom_radii([s for s in sets if len(s) or s.radii.size] or sets[:1])
    return TypedAtoms(coords, None, radii, int(total), None, vectors, by_type)


def label_array(values: List[float]) -> np.ndarray:
    """Labels as float32 (libmolgrid keeps them as floats)."""
    return np.asarray(values, dtype=np.float32)


def _of(src: Optional[str]) -> str:
    return f" of {src}" if src else ""
