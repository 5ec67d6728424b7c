"""Examples from ``.types`` files: extraction, sampling and batches.

:class:`GninaExamples` is the pipeline of libmolgrid's ``ExampleProvider``
with voxelize_cy's names: it reads ``.types`` files, draws examples in the
order libmolgrid's settings give (:mod:`voxelize_cy.gnina.sampling`) and
extracts each one's labels and typed coordinate sets through one
:class:`~voxelize_cy.gnina.store.CoordinateStore` per line position (receptor
typer first, then ligand typers; the last is reused for further files).
Random access by example number (:meth:`GninaExamples.example`) serves map-style
datasets; :meth:`GninaExamples.next_batch` and iteration serve training
loops, with libmolgrid's three iteration schemes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Sequence, Union

import numpy as np

from voxelize_cy.gnina.atom_typers import (
    DEFAULT_LIGAND_TYPER,
    DEFAULT_RECEPTOR_TYPER,
    AtomTyper,
)
from voxelize_cy.gnina.coordinates import TypedAtoms, merge
from voxelize_cy.gnina.errors import GninaDataError
from voxelize_cy.gnina.sampling import (
    Draw,
    GroupedSampler,
    SamplerSettings,
    fill,
    make_sampler,
    next_draw,
)
from voxelize_cy.gnina.store import NONE_NAME, CoordinateStore
from voxelize_cy.gnina.types_file import ExampleTable, read_types

__all__ = ["GninaExample", "ExampleExtractor", "GninaExamples", "ITERATION_SCHEMES"]

#: How iteration over a :class:`GninaExamples` ends: never, after a large
#: epoch (every example seen at least once) or after a small one (at most once).
ITERATION_SCHEMES = ("continuous", "large_epoch", "small_epoch")

PathLike = Union[str, os.PathLike]


@dataclass
class GninaExample:
    """One example: its labels and coordinate sets.

    Attributes
    ----------
    labels : numpy.ndarray of float32
    sets : list of TypedAtoms
        Receptor first, then the ligand(s); with ``duplicate_first`` the
        receptor is repeated before each further ligand.
    group : int
        Group id (-1 without groups).
    seqcont : bool
        For grouped examples: not the first frame of its group.
    row : int
        The example's number in its ``ExampleTable``.
    """

    labels: np.ndarray
    sets: List[TypedAtoms]
    group: int = -1
    seqcont: bool = False
    row: int = -1

    def merged(self, start: int = 0, unique_types: bool = True,
               offset_empty_sets: bool = True) -> TypedAtoms:
        """The sets from ``start`` on as one (see :func:`~voxelize_cy.gnina.merge`)."""
        return merge(self.sets[start:], unique_types, offset_empty_sets)

    def center(self) -> np.ndarray:
        """Where gnina centres the example's grid: the centre of its last set
        ((0, 0, 0) when that set is empty, as libmolgrid)."""
        return self.sets[-1].center() if self.sets else np.zeros(3, np.float32)

    def num_types(self, unique_types: bool = True) -> int:
        """Channels of the example's grid (each set's types after the previous
        sets' with ``unique_types``)."""
        counts = [s.num_types for s in self.sets]
        if not counts:
            return 0
        return sum(counts) if unique_types else max(counts)


class ExampleExtractor:
    """Typed coordinate sets of an example's files.

    Parameters
    ----------
    typers : sequence of AtomTyper, optional
        One per line position (the last reused); default gnina's receptor
        typer then its ligand typer.
    data_root : str
    molcaches : sequence of str, optional
        A molcache2 per position (``""`` for none); those past the last
        typer are searched by the last typer's store.
    cache_structs, add_hydrogens : bool
        As :class:`~voxelize_cy.gnina.store.CoordinateStore`.
    duplicate_first : bool
        Pair the receptor with each ligand: ``rec lig1 rec lig2 ...``.
    make_vector_types : bool
        One-hot type vectors (and per-type radii) for every set.
    verify : bool
        Check molcache2 checksums on every lookup.
    """

    def __init__(self, typers: Optional[Sequence[AtomTyper]] = None, data_root: str = "",
                 molcaches: Sequence[str] = (), cache_structs: bool = True,
                 add_hydrogens: bool = True, duplicate_first: bool = False,
                 make_vector_types: bool = False, verify: bool = False):
        typers = list(typers) if typers else [DEFAULT_RECEPTOR_TYPER, DEFAULT_LIGAND_TYPER]
        molcaches = [m for m in molcaches]
        # molcaches past the last typer go to the last typer's store (as libmolgrid)
        per_store = [molcaches[i:i + 1] for i in range(len(typers))]
        per_store[-1] = per_store[-1] + molcaches[len(typers):]
        self.stores = [CoordinateStore(t, data_root, caches, cache_structs, add_hydrogens,
                                       verify) for t, caches in zip(typers, per_store)]
        self.duplicate_first = bool(duplicate_first)
        self.make_vector_types = bool(make_vector_types)

    def store_for(self, position: int) -> CoordinateStore:
        """The store of a line position (the last one past the end)."""
        return self.stores[min(position, len(self.stores) - 1)]

    def extract(self, table: ExampleTable, draw: Draw, copy: bool = True) -> GninaExample:
        """The example a draw names (its sets copies of the cached ones, or
        with ``copy=False`` the cached ones, for readers that do not change them)."""
        row = draw.row
        names = table.files(row)
        where = table.where(row)
        if draw.padding:
            names = tuple(NONE_NAME for _ in names)
        if self.duplicate_first and len(names) >= 3:
            receptor = self.store_for(0).get(names[0], where, copy)
            sets = self._pairs(receptor, [self.store_for(i).get(name, where, copy)
                                          for i, name in enumerate(names) if i > 0])
        else:
            sets = [self.store_for(i).get(name, where, copy) for i, name in enumerate(names)]
        if self.make_vector_types:
            sets = [a if copy else a.copy() for a in sets]  # vectors are added in place
            for atoms, store in zip(sets, self.position_stores(len(names))):
                if atoms.type_vector is None:
                    atoms.make_vector_types(False, store.typer.type_radii())
        labels = table.labels[row].copy()
        if draw.padding:
            labels[:] = np.nan
        return GninaExample(labels, sets, draw.group if draw.group >= 0
                            else int(table.groups[row]), draw.seqcont, row)

    @staticmethod
    def _pairs(receptor: TypedAtoms, ligands: List[TypedAtoms]) -> List[TypedAtoms]:
        sets: List[TypedAtoms] = []
        for k, ligand in enumerate(ligands):
            sets.append(receptor if k == 0 else receptor.copy())
            sets.append(ligand)
        return sets

    def position_stores(self, num_files: int) -> List[CoordinateStore]:
        """The store behind each coordinate set of an example of ``num_files``
        files (with ``duplicate_first``, the receptor's before each ligand)."""
        if self.duplicate_first and num_files >= 3:
            out = []
            for i in range(1, num_files):
                out += [self.store_for(0), self.store_for(i)]
            return out
        return [self.store_for(i) for i in range(num_files)]

    def num_types(self) -> int:
        """Channels of an example with one file per typer (libmolgrid's count)."""
        total = sum(s.num_types() for s in self.stores)
        if self.duplicate_first and len(self.stores) > 2:
            total += self.stores[0].num_types() * (len(self.stores) - 2)
        return total

    def type_names(self) -> List[str]:
        """``"<position>_<name>"`` for every type of every typer."""
        return [f"{i}_{name}" for i, s in enumerate(self.stores) for name in s.type_names()]

    def memory_size(self) -> int:
        """Structures held in the stores' memory caches."""
        return sum(len(s.memory) for s in self.stores)


@dataclass
class _Settings:
    """Everything :class:`GninaExamples` takes, checked once."""

    sampler: SamplerSettings = field(default_factory=SamplerSettings)
    default_batch_size: int = 1
    iteration: str = "continuous"


def _check_iteration(value: str) -> str:
    key = str(getattr(value, "name", value)).lower().replace("epoch", "_epoch").strip("_")
    key = key.replace("__", "_")
    if key not in ITERATION_SCHEMES:
        raise ValueError(f"iteration must be one of {ITERATION_SCHEMES}, got {value!r}")
    return key


class GninaExamples:
    """gnina's examples, drawn as libmolgrid's ``ExampleProvider`` draws them.

    Parameters
    ----------
    types : path or sequence of paths, optional
        ``.types`` files to read now (or call :meth:`populate`).
    typers : sequence of AtomTyper, optional
        One per line position (default: gnina's receptor and ligand typers).
    data_root : str
        Folder the ``.types`` files' names are relative to.
    molcaches : sequence of str
        A molcache2 per line position (receptors, ligands), looked in first.
    shuffle, balanced, stratify_receptor, labelpos, stratify_pos, stratify_abs,
    stratify_min, stratify_max, stratify_step, group_batch_size, max_group_size,
    num_copies
        libmolgrid's sampling settings (see :class:`SamplerSettings`).
    cache_structs, add_hydrogens, duplicate_first, make_vector_types
        libmolgrid's extraction settings (see :class:`ExampleExtractor`).
    default_batch_size : int
        Batch size of :meth:`next_batch` without one, and of iteration.
    iteration : {'continuous', 'large_epoch', 'small_epoch'}
        When iteration stops.
    seed : int, optional
        Seed of the shuffles (a fresh random one without it).
    num_labels : int, optional
        Labels per line (by default from the first line).
    verify : bool
        Check molcache2 checksums on every lookup.
    """

    def __init__(self, types: Union[None, PathLike, Sequence[PathLike]] = None, *,
                 typers: Optional[Sequence[AtomTyper]] = None, data_root: str = "",
                 molcaches: Sequence[str] = (), cache_structs: bool = True,
                 add_hydrogens: bool = True, duplicate_first: bool = False,
                 make_vector_types: bool = False, default_batch_size: int = 1,
                 iteration: str = "continuous", seed: Optional[int] = None,
                 num_labels: Optional[int] = None, verify: bool = False,
                 rng: Optional[np.random.Generator] = None, **sampling):
        unknown = sorted(set(sampling) - set(SamplerSettings.__dataclass_fields__))
        if unknown:
            raise TypeError(f"GninaExamples got unknown keyword argument(s) {unknown}")
        self.settings = _Settings(SamplerSettings(**sampling), int(default_batch_size),
                                  _check_iteration(iteration))
        if self.settings.default_batch_size < 1:
            raise ValueError("default_batch_size must be >= 1")
        self.rng = rng if rng is not None else np.random.default_rng(seed)
        self.extractor = ExampleExtractor(typers, data_root, molcaches, cache_structs,
                                          add_hydrogens, duplicate_first, make_vector_types,
                                          verify)
        self.table: Optional[ExampleTable] = None
        self.sampler = None
        self.num_labels_given = num_labels
        self._last_epoch = 0
        if types is not None:
            self.populate(types, num_labels)

    # -- reading -------------------------------------------------------------
    def populate(self, types: Union[PathLike, Sequence[PathLike]],
                 num_labels: Optional[int] = None) -> None:
        """Read ``.types`` files (all examples at once) and set up sampling."""
        sampler = make_sampler(self.settings.sampler, self.rng)
        grouped = isinstance(sampler, GroupedSampler)
        if num_labels is None:
            num_labels = self.num_labels_given
        self.table = read_types(types, num_labels=num_labels, has_group=grouped)
        try:
            fill(sampler, self.table)
        except ValueError as err:
            raise GninaDataError(", ".join(self.table.sources), str(err)) from None
        self.sampler = sampler
        self._last_epoch = 0

    def _need(self):
        if self.sampler is None:
            raise RuntimeError("no examples yet: call populate() with a .types file first")
        return self.sampler

    def populated_table(self) -> ExampleTable:
        """The examples' table (RuntimeError before ``populate``)."""
        if self.table is None:
            raise RuntimeError("no examples yet: call populate() with a .types file first")
        return self.table

    # -- drawing -------------------------------------------------------------
    def example(self, index: int) -> GninaExample:
        """Example ``index`` of the table (file order; negative from the end)."""
        self._need()
        n = len(self.populated_table())
        if not -n <= index < n:
            raise IndexError(f"example {index} is out of range: there are {n}")
        row = index % n
        return self.extractor.extract(self.populated_table(), Draw(row, int(self.populated_table().groups[row])))

    def next(self) -> GninaExample:
        """The next example in sampling order."""
        return self.extractor.extract(self.populated_table(), next_draw(self._need(), self.populated_table()))

    def next_batch(self, batch_size: int = 0) -> List[GninaExample]:
        """The next ``batch_size`` examples (the default batch size for 0)."""
        sampler = self._need()
        batch_size = int(batch_size) or self.settings.default_batch_size
        sampler.check_batch_size(batch_size)
        return [self.next() for _ in range(batch_size)]

    def skip(self, n: int) -> None:
        """Draw ``n`` examples without extracting them."""
        sampler = self._need()
        for _ in range(int(n)):
            next_draw(sampler, self.populated_table())

    def epoch_draws(self, epoch: int, seed: int = 0, scheme: str = "large_epoch") -> List[Draw]:
        """The draws of one epoch as a fresh sampler of these settings makes
        them, its shuffles seeded by ``(seed, epoch)`` alone: the same list in
        every process (datasets split it among workers and ranks).  A large
        epoch holds ``large_epoch_size()`` draws, a small one
        ``small_epoch_size()``."""
        self._need()
        scheme = _check_iteration(scheme)
        if scheme == "continuous":
            raise ValueError("an epoch needs scheme 'large_epoch' or 'small_epoch'")
        sampler = make_sampler(self.settings.sampler,
                               np.random.default_rng([int(seed), int(epoch)]))
        fill(sampler, self.populated_table())
        size = (sampler.large_epoch_size() if scheme == "large_epoch"
                else sampler.small_epoch_size())
        return [next_draw(sampler, self.populated_table()) for _ in range(size)]

    def extract(self, draw: Draw, copy: bool = True) -> GninaExample:
        """The example a draw names (see :meth:`ExampleExtractor.extract`)."""
        self._need()
        return self.extractor.extract(self.populated_table(), draw, copy)

    def at_new_epoch(self) -> bool:
        """True once when the scheme's epoch has just ended (libmolgrid's test
        before each batch of an iteration)."""
        scheme = self.settings.iteration
        if scheme == "continuous":
            return False
        sampler = self._need()
        epoch = (sampler.large_epoch_num() if scheme == "large_epoch"
                 else sampler.small_epoch_num())
        if epoch != self._last_epoch:
            self._last_epoch = epoch
            return True
        return False

    def __iter__(self) -> Iterator[List[GninaExample]]:
        while not self.at_new_epoch():
            yield self.next_batch()

    def reset(self) -> None:
        """Back to the first example (libmolgrid's ``reset``)."""
        self._need().reset()

    # -- sizes -----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.table) if self.table is not None else 0

    def size(self) -> int:
        """Examples the sampler holds (groups for grouped sampling)."""
        return self._need().size()

    def small_epoch_size(self) -> int:
        """Examples in a small epoch."""
        return self._need().small_epoch_size()

    def large_epoch_size(self) -> int:
        """Examples in a large epoch."""
        return self._need().large_epoch_size()

    def small_epoch_num(self) -> int:
        """Small epoch of the next example."""
        return self._need().small_epoch_num()

    def large_epoch_num(self) -> int:
        """Large epoch of the next example."""
        return self._need().large_epoch_num()

    @property
    def num_labels(self) -> int:
        """Labels per example."""
        return self.table.num_labels if self.table is not None else 0

    def num_types(self) -> int:
        """Channels of a grid of one example."""
        return self.extractor.num_types()

    def type_names(self) -> List[str]:
        """The channels' names."""
        return self.extractor.type_names()
