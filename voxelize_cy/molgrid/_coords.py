"""libmolgrid's ``CoordinateSet``, ``Example`` and their vectors.

A ``CoordinateSet`` wraps a :class:`voxelize_cy.gnina.TypedAtoms` and shows
its arrays as grids (views: writing ``c.coords[0][1]`` changes the set), as
libmolgrid does.  An ``Example`` holds coordinate sets and labels;
``ExampleVec`` (what ``next_batch`` returns) extracts labels into grids,
arrays or tensors.
"""

from __future__ import annotations

from typing import List, Optional

import numpy as np

from voxelize_cy.gnina import DEFAULT_LIGAND_TYPER, TypedAtoms, atoms_of_obmol, merge
from voxelize_cy.molgrid._grids import GRID_CLASSES, OutputArray, _cpu_numpy, _is_tensor
from voxelize_cy.molgrid._grids import as_array, float3

__all__ = ["CoordinateSet", "CoordinateSetVec", "Example", "ExampleVec", "input_array"]

_Grid1f, _Grid2f = GRID_CLASSES["Grid1f"], GRID_CLASSES["Grid2f"]


def input_array(value, name: str, ndim: Optional[int] = None) -> np.ndarray:
    """A grid, array, list or tensor as a float32 numpy array (a copy)."""
    if _is_tensor(value):
        array = _cpu_numpy(value)
    elif hasattr(value, "_a"):
        array = value._a
    else:
        array = np.asarray(value)
    array = np.array(array, np.float32)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {array.shape}")
    return array


def _typer_of(typer):
    return getattr(typer, "_typer", typer)


class CoordinateSet:
    """Typed atomic coordinates (libmolgrid's ``CoordinateSet``).

    ``CoordinateSet()``; ``CoordinateSet(mol, typer=defaultGninaLigandTyper)``
    for an OpenBabel or pybel molecule; ``CoordinateSet(coords, types,
    radii, max_type)`` with index types; ``CoordinateSet(coords, type_vectors,
    radii)`` with vector types; ``CoordinateSet(rec, lig,
    unique_index_types=True)`` for two sets merged.
    """

    def __init__(self, *args, unique_index_types: bool = True):
        if not args:
            self._atoms = TypedAtoms.empty(0)
        elif len(args) <= 2 and hasattr(args[0], "_atoms"):
            self._atoms = merge([args[0]._atoms, args[1]._atoms], unique_index_types,
                                offset_empty_sets=False)
        elif len(args) <= 2 and (hasattr(args[0], "OBMol") or hasattr(args[0], "NumAtoms")):
            typer = _typer_of(args[1]) if len(args) > 1 else DEFAULT_LIGAND_TYPER
            self._atoms = atoms_of_obmol(args[0], typer)
        elif len(args) in (3, 4):
            self._atoms = self._from_arrays(*args)
        else:
            raise TypeError("CoordinateSet takes (), (mol[, typer]), (coords, types, radii, "
                            "max_type), (coords, type_vectors, radii) or (rec, lig)")

    @staticmethod
    def _from_arrays(coords, types, radii, max_type=None) -> TypedAtoms:
        xyz = input_array(coords, "coords", 2)
        t = input_array(types, "types")
        r = input_array(radii, "radii", 1)
        n = xyz.shape[0]
        if xyz.shape[1] != 3:
            raise ValueError(f"coords must be (N, 3), got {xyz.shape}")
        if t.ndim == 2:
            if t.shape[0] != n:
                raise ValueError(f"type vectors have {t.shape[0]} rows for {n} atoms")
            return TypedAtoms(xyz, None, r, t.shape[1], None, t)
        if t.shape != (n,):
            raise ValueError(f"types have shape {t.shape} for {n} atoms")
        if max_type is None:
            raise TypeError("index types need max_type (the number of types)")
        return TypedAtoms(xyz, t, r, int(max_type))

    @classmethod
    def _wrap(cls, atoms: TypedAtoms) -> "CoordinateSet":
        c = cls.__new__(cls)
        c._atoms = atoms
        return c

    # arrays, as grids
    @property
    def coords(self):
        """``(N, 3)`` coordinates (a ``Grid2f`` view)."""
        return _Grid2f._view(self._atoms.coords)

    @coords.setter
    def coords(self, value) -> None:
        self._atoms.coords = input_array(value, "coords", 2)

    @property
    def type_index(self):
        """``(N,)`` type indices (a ``Grid1f`` view; empty without index types)."""
        t = self._atoms.type_index
        return _Grid1f._view(t if t is not None else np.zeros(0, np.float32))

    @type_index.setter
    def type_index(self, value) -> None:
        self._atoms.type_index = input_array(value, "type_index", 1)

    @property
    def type_vector(self):
        """``(N, T)`` type vectors (a ``Grid2f`` view; empty without them)."""
        v = self._atoms.type_vector
        return _Grid2f._view(v if v is not None else np.zeros((0, 0), np.float32))

    @type_vector.setter
    def type_vector(self, value) -> None:
        self._atoms.type_vector = input_array(value, "type_vector", 2)

    @property
    def radii(self):
        """Radii per atom (or per type), a ``Grid1f`` view."""
        return _Grid1f._view(self._atoms.radii)

    @radii.setter
    def radii(self, value) -> None:
        self._atoms.radii = input_array(value, "radii", 1)

    @property
    def max_type(self) -> int:
        """The number of types."""
        return self._atoms.num_types

    @max_type.setter
    def max_type(self, value: int) -> None:
        self._atoms.num_types = int(value)

    @property
    def src(self) -> Optional[str]:
        """The file the atoms came from, as the ``.types`` line names it."""
        return self._atoms.src

    def size(self) -> int:
        """Number of atoms."""
        return len(self._atoms)

    def num_types(self) -> int:
        """Number of types."""
        return self._atoms.num_types

    def center(self) -> float3:
        """Mean of the coordinates."""
        return float3(*self._atoms.center().tolist())

    def clone(self) -> "CoordinateSet":
        """An independent copy."""
        return CoordinateSet._wrap(self._atoms.copy())

    def has_indexed_types(self) -> bool:
        """Whether atoms have type indices."""
        return self._atoms.has_index_types

    def has_vector_types(self) -> bool:
        """Whether atoms have type vectors."""
        return self._atoms.has_vector_types

    def make_vector_types(self, include_dummy_type: bool = False, type_radii=()) -> None:
        """One-hot type vectors from the indices, in place (see libmolgrid)."""
        self._atoms.make_vector_types(include_dummy_type, list(type_radii))

    def sum_types(self, out) -> None:
        """Each type's count (or weight) over the atoms, into a 1-D grid."""
        target = OutputArray(out, 1, name="sum")
        sums = self._atoms.sum_types()
        target.array[...] = 0
        n = min(target.array.size, sums.size)
        target.array[:n] = sums[:n]
        target.done()

    def copyTo(self, coords, types, radii) -> int:
        """Copy coordinates, types (index or vector) and radii into grids;
        returns the number of atoms copied."""
        n = min(self.size(), as_array(coords).shape[0])
        as_array(coords)[:n] = self._atoms.coords[:n]
        t = as_array(types)
        source = self._atoms.type_vector if t.ndim == 2 else self._atoms.type_index
        if source is not None:
            t[:n] = source[:n]
        as_array(radii)[:n] = self._atoms.radii[:n]
        return n

    def togpu(self, copy: bool = True) -> None:
        """There is no GPU."""
        from voxelize_cy.molgrid._grids import no_gpu

        raise no_gpu("CoordinateSet.togpu()")

    def tocpu(self, copy: bool = True) -> None:
        """Nothing to do: the coordinates are on the CPU."""

    def __eq__(self, other) -> bool:
        return isinstance(other, CoordinateSet) and other._atoms is self._atoms

    def __repr__(self) -> str:
        return f"CoordinateSet({self.size()} atoms, {self.max_type} types, src={self.src!r})"


class CoordinateSetVec(list):
    """A list of CoordinateSets (libmolgrid's ``CoordinateSetVec``)."""

    def append(self, value) -> None:
        if not isinstance(value, CoordinateSet):
            raise TypeError(f"a CoordinateSetVec holds CoordinateSets, not "
                            f"{type(value).__name__}")
        super().append(value)


class Example:
    """One example: coordinate sets and labels (libmolgrid's ``Example``)."""

    def __init__(self):
        self.coord_sets = CoordinateSetVec()
        self.labels: List[float] = []
        self.group = -1
        self.seqcont = False

    @classmethod
    def _of(cls, example) -> "Example":
        ex = cls()
        ex.coord_sets.extend(CoordinateSet._wrap(s) for s in example.sets)
        ex.labels = example.labels.tolist()
        ex.group = example.group
        ex.seqcont = example.seqcont
        return ex

    def _sets(self, start: int = 0) -> List[TypedAtoms]:
        return [c._atoms for c in self.coord_sets[start:]]

    def num_coordinates(self) -> int:
        """Atoms in all sets."""
        return sum(c.size() for c in self.coord_sets)

    def num_types(self, unique_index_type: bool = True) -> int:
        """Channels: each set's types after the previous sets' (or the most)."""
        counts = [c.max_type for c in self.coord_sets]
        if not counts:
            return 0
        return sum(counts) if unique_index_type else max(counts)

    def merge_coordinates(self, *args, start: int = 0, unique_index_types: bool = True):
        """The sets from ``start`` on as one CoordinateSet (a copy); or, given
        ``(coords, types, radii[, start, unique_index_types])`` grids, copied into
        them."""
        if args and not isinstance(args[0], (int, np.integer)):
            coords, types, radii = args[:3]
            rest = list(args[3:])
            start = rest[0] if rest else start
            unique = rest[1] if len(rest) > 1 else unique_index_types
            merged = self.merge_coordinates(start, unique)
            merged.copyTo(coords, types, radii)
            return None
        if args:
            start = int(args[0])
            unique_index_types = bool(args[1]) if len(args) > 1 else unique_index_types
        sets = self._sets(start)
        if not sets:
            return CoordinateSet()
        return CoordinateSet._wrap(merge(sets, unique_index_types, offset_empty_sets=False))

    def has_vector_types(self, start: int = 0) -> bool:
        """Every set from ``start`` on has vector types."""
        return all(c.has_vector_types() for c in self.coord_sets[start:])

    def has_index_types(self, start: int = 0) -> bool:
        """Every set from ``start`` on has index types."""
        return all(c.has_indexed_types() for c in self.coord_sets[start:])

    def sum_types(self, out, unique_types: bool = True) -> None:
        """Each channel's count (or weight) over all sets, into a 1-D grid."""
        target = OutputArray(out, 1, name="sum")
        target.array[...] = 0
        offset = 0
        for c in self.coord_sets:
            sums = c._atoms.sum_types()
            n = min(sums.size, target.array.size - offset)
            target.array[offset:offset + n] += sums[:n]
            if unique_types:
                offset += c.max_type
        target.done()

    def togpu(self) -> None:
        """There is no GPU."""
        for c in self.coord_sets:
            c.togpu()

    def tocpu(self) -> None:
        """Nothing to do."""

    def __repr__(self) -> str:
        return f"Example(labels={self.labels}, sets={list(self.coord_sets)})"


class ExampleVec(list):
    """A batch of examples (what ``ExampleProvider.next_batch`` returns)."""

    def extract_labels(self, out) -> None:
        """All labels into an ``(N, L)`` grid, array or tensor."""
        target = OutputArray(out, 2, name="labels")
        if target.array.shape[0] != len(self):
            raise IndexError(f"the labels grid has {target.array.shape[0]} rows for "
                             f"{len(self)} examples")
        if not len(self):
            return
        width = len(self[0].labels)
        if target.array.shape[1] != width:
            raise IndexError(f"the labels grid has {target.array.shape[1]} columns; the "
                             f"examples have {width} labels")
        for i, ex in enumerate(self):
            if len(ex.labels) != width:
                raise ValueError(f"example {i} has {len(ex.labels)} labels, the first has "
                                 f"{width}")
            target.array[i] = ex.labels
        target.done()

    def extract_label(self, position: int, out) -> None:
        """Label ``position`` of every example into an ``(N,)`` grid, array or tensor."""
        target = OutputArray(out, 1, name="label")
        if target.array.shape[0] != len(self):
            raise IndexError(f"the label grid has {target.array.shape[0]} entries for "
                             f"{len(self)} examples")
        for i, ex in enumerate(self):
            if not 0 <= position < len(ex.labels):
                raise IndexError(f"label position {position} is invalid: example {i} has "
                                 f"{len(ex.labels)} labels")
            target.array[i] = ex.labels[position]
        target.done()

    def sum_types(self, out, unique_types: bool = True) -> None:
        """Each example's channel sums into row i of an ``(N, T)`` grid."""
        target = OutputArray(out, 2, name="sum")
        if target.array.shape[0] != len(self):
            raise ValueError(f"size of example vector does not match sum grid: {len(self)} "
                             f"vs {target.array.shape[0]}")
        for i, ex in enumerate(self):
            ex.sum_types(target.array[i], unique_types)
        target.done()
