"""libmolgrid's ``ExampleProvider``, ``ExampleDataset``, ``CoordCache`` and settings.

All three run :mod:`voxelize_cy.gnina` underneath: ``ExampleProvider`` is a
:class:`~voxelize_cy.gnina.GninaExamples` whose shuffles and random transforms
draw from the module's one generator (:func:`set_random_seed`), its examples
returned as libmolgrid's ``Example`` objects.
"""

from __future__ import annotations

import enum
import os
from typing import Any, List, Optional, Sequence, cast

import numpy as np

from voxelize_cy import gnina
from voxelize_cy.molgrid._coords import CoordinateSet, Example, ExampleVec
from voxelize_cy.molgrid._transform import random_engine
from voxelize_cy.molgrid._typers import defaultGninaReceptorTyper, typer_of

__all__ = ["IterationScheme", "ExampleProviderSettings", "ExampleProvider", "ExampleDataset",
           "CoordCache", "UnknownSettingError"]


class IterationScheme(enum.IntEnum):
    """When iterating over an ``ExampleProvider`` stops."""

    Continuous = 0
    LargeEpoch = 1
    SmallEpoch = 2

    def __str__(self) -> str:  # as libmolgrid's enum prints
        return self.name


_SCHEME_NAMES = {IterationScheme.Continuous: "continuous",
                 IterationScheme.LargeEpoch: "large_epoch",
                 IterationScheme.SmallEpoch: "small_epoch"}

#: The settings, their defaults and what they mean (libmolgrid's).
SETTINGS = {
    "shuffle": (False, "randomize order of examples"),
    "balanced": (False, "provide equal number of positive and negative examples as "
                        "determined by label"),
    "stratify_receptor": (False, "sample uniformly across receptors (first molecule)"),
    "labelpos": (0, "position of binary label"),
    "stratify_pos": (1, "position of label for numerical stratification"),
    "stratify_abs": (True, "stratify based on absolute value"),
    "stratify_min": (0.0, "minimum range for value stratification"),
    "stratify_max": (0.0, "maximum range for value stratification"),
    "stratify_step": (0.0, "step size for value stratification"),
    "group_batch_size": (1, "slice time series (groups) by batches of this size"),
    "max_group_size": (0, "maximum group size; the first column is the group"),
    "default_batch_size": (1, "default batch size"),
    "cache_structs": (True, "retain coordinates in memory for faster training"),
    "add_hydrogens": (True, "protonate read in molecule using openbabel"),
    "duplicate_first": (False, "clone the first coordinate set to be paired with each of "
                               "the remaining (receptor-ligand pairs)"),
    "num_copies": (1, "number of times to repeatedly produce an example"),
    "make_vector_types": (False, "convert index types into one-hot encoded vector types"),
    "iteration_scheme": (IterationScheme.Continuous, "how to iterate over examples"),
    "data_root": ("", "prefix for data files"),
    "recmolcache": ("", "precalculated molcache2 file for receptor (first molecule)"),
    "ligmolcache": ("", "precalculated molcache2 file for ligand"),
}
_SAMPLING = ("shuffle", "balanced", "stratify_receptor", "labelpos", "stratify_pos",
             "stratify_abs", "stratify_min", "stratify_max", "stratify_step",
             "group_batch_size", "max_group_size", "num_copies")


class UnknownSettingError(TypeError, ValueError):
    """A keyword that is not a setting (a TypeError, and libmolgrid's ValueError)."""


class ExampleProviderSettings:
    """How examples are provided: every setting is an attribute (see ``SETTINGS``)."""

    def __init__(self, **kwargs):
        for name, (default, _) in SETTINGS.items():
            setattr(self, name, default)
        self.update(kwargs)

    def update(self, values: dict) -> None:
        """Set settings by name; an unknown name is refused."""
        unknown = sorted(set(values) - set(SETTINGS))
        if unknown:
            raise UnknownSettingError(f"Unknown keyword argument(s) {unknown}; the settings "
                                      f"are {sorted(SETTINGS)}")
        for name, value in values.items():
            default = SETTINGS[name][0]
            if name == "iteration_scheme":
                value = IterationScheme(value)
            elif isinstance(default, bool):
                value = bool(value)
            elif isinstance(default, int):
                value = int(value)
            elif isinstance(default, float):
                value = float(value)
            else:
                value = os.fspath(value)
            setattr(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only for names never set: every setting is set in __init__ (from
        # SETTINGS, the one list of them), which type checkers cannot see.
        raise AttributeError(f"ExampleProviderSettings has no setting {name!r}; the "
                             f"settings are {sorted(SETTINGS)}")

    def copy(self) -> "ExampleProviderSettings":
        """An independent copy."""
        return ExampleProviderSettings(**{name: getattr(self, name) for name in SETTINGS})

    def __repr__(self) -> str:
        changed = {n: getattr(self, n) for n, (d, _) in SETTINGS.items() if getattr(self, n) != d}
        return f"ExampleProviderSettings({changed})"


class _GlobalRng:
    """The module's generator, looked up at each draw (so that a later
    ``set_random_seed`` reseeds providers made before it)."""

    def __getattr__(self, name):
        return getattr(random_engine(), name)


def _split(args, kwargs):
    """(settings, typers) of libmolgrid's ``ExampleProvider(*args, **kwargs)``."""
    args = list(args)
    settings = ExampleProviderSettings()
    if args and isinstance(args[0], ExampleProviderSettings):
        settings = args.pop(0).copy()
    settings.update(kwargs)
    return settings, [typer_of(t) for t in args]


def _examples(settings: ExampleProviderSettings, typers) -> gnina.GninaExamples:
    sampling = {name: getattr(settings, name) for name in _SAMPLING}
    molcaches = [settings.recmolcache, settings.ligmolcache]
    return gnina.GninaExamples(
        typers=typers or None, data_root=settings.data_root, molcaches=molcaches,
        cache_structs=settings.cache_structs, add_hydrogens=settings.add_hydrogens,
        duplicate_first=settings.duplicate_first,
        make_vector_types=settings.make_vector_types,
        default_batch_size=max(1, settings.default_batch_size),
        iteration=_SCHEME_NAMES[settings.iteration_scheme],
        rng=cast(np.random.Generator, _GlobalRng()), **sampling)


def _populate(examples: gnina.GninaExamples, files, num_labels: int) -> None:
    if not isinstance(files, (str, os.PathLike)):
        files = list(files)
        if not all(isinstance(f, (str, os.PathLike)) for f in files):
            raise ValueError("populate needs a file name or a list of file names")
    examples.populate(files, None if num_labels is None or num_labels < 0 else num_labels)


class _OverExamples:
    """What ExampleProvider and ExampleDataset answer alike from their
    ``GninaExamples`` (``_examples``) and settings (``_settings``)."""

    _settings: ExampleProviderSettings
    _examples: gnina.GninaExamples

    def settings(self) -> ExampleProviderSettings:
        """The settings it was made with (a copy)."""
        return self._settings.copy()

    def num_labels(self) -> int:
        """Labels per example."""
        return self._examples.num_labels

    def num_types(self) -> int:
        """Channels of a grid of an example."""
        return self._examples.num_types()

    def get_type_names(self) -> List[str]:
        """The channels' names (``0_...`` for the first typer, and so on)."""
        return self._examples.type_names()


class ExampleProvider(_OverExamples):
    """Examples from ``.types`` files, one batch at a time (libmolgrid's).

    ``ExampleProvider([settings,] [typer, ...], **settings)``: typers for the
    line positions in order (the last reused); without any, gnina's receptor
    then ligand typers.  Keywords set :class:`ExampleProviderSettings`.
    """

    def __init__(self, *args, **kwargs):
        self._settings, typers = _split(args, kwargs)
        self._examples = _examples(self._settings, typers)

    def populate(self, file_names, num_labels: int = -1) -> None:
        """Read a ``.types`` file (or a list of them)."""
        _populate(self._examples, file_names, num_labels)

    def next(self) -> Example:
        """The next example."""
        return Example._of(self._examples.next())

    def next_batch(self, batch_size: int = 0) -> ExampleVec:
        """The next ``batch_size`` examples (the default batch size for 0)."""
        return ExampleVec(Example._of(e) for e in self._examples.next_batch(batch_size))

    def __iter__(self):
        return self

    def __next__(self) -> ExampleVec:
        if self._examples.at_new_epoch():
            raise StopIteration
        return self.next_batch()

    def skip(self, n: int) -> None:
        """Skip ``n`` examples."""
        self._examples.skip(n)

    def reset(self) -> None:
        """Back to the beginning."""
        self._examples.reset()

    type_size = _OverExamples.num_types

    def size(self) -> int:
        """Examples (groups, for grouped providers)."""
        return self._examples.size()

    def small_epoch_size(self) -> int:
        """Examples in a small epoch (each seen at most once)."""
        return self._examples.small_epoch_size()

    def large_epoch_size(self) -> int:
        """Examples in a large epoch (each seen at least once)."""
        return self._examples.large_epoch_size()

    def get_small_epoch_num(self) -> int:
        """Small epoch of the next example."""
        return self._examples.small_epoch_num()

    def get_large_epoch_num(self) -> int:
        """Large epoch of the next example."""
        return self._examples.large_epoch_num()

    # memory caches
    def mem_caches_size(self) -> int:
        """Structures held in memory."""
        return self._examples.extractor.memory_size()

    def save_mem_caches(self, file_name: str) -> None:
        """Write the memory caches to a file (``numpy.savez``)."""
        save_stores(file_name, self._examples.extractor.stores)

    def load_mem_caches(self, file_name: str) -> None:
        """Add the memory caches saved in a file."""
        load_stores(file_name, self._examples.extractor.stores)


def save_stores(file_name: str, stores) -> None:
    """The stores' memory caches into one ``.npz`` (no pickles)."""
    arrays = {}
    for i, store in enumerate(stores):
        for key, value in store.state().items():
            arrays[f"{i}/{key}"] = value.astype(str) if value.dtype == object else value
    with open(file_name, "wb") as handle:
        np.savez(handle, **arrays)


def load_stores(file_name: str, stores) -> None:
    """Add the memory caches :func:`save_stores` wrote."""
    try:
        with np.load(file_name, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise gnina.GninaDataError(file_name, "no such memory-cache file") from None
    except (OSError, ValueError) as err:
        raise gnina.GninaDataError(file_name, f"is not a memory-cache file ({err})") from None
    for i, store in enumerate(stores):
        state = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith(f"{i}/")}
        if state:
            store.load_state(state, file_name)


class ExampleDataset(_OverExamples):
    """Examples from ``.types`` files by index (libmolgrid's): ``len``,
    ``dataset[i]`` (negative from the end) and iteration in file order.
    Settings that configure sampling are ignored."""

    def __init__(self, *args, **kwargs):
        self._settings, typers = _split(args, kwargs)
        self._examples = _examples(self._settings, typers)

    def populate(self, file_names, num_labels: int = -1) -> None:
        """Read a ``.types`` file (or a list of them)."""
        _populate(self._examples, file_names, num_labels)

    def __len__(self) -> int:
        return len(self._examples)

    def size(self) -> int:
        """Number of examples."""
        return len(self._examples)

    def __getitem__(self, index: int) -> Example:
        return Example._of(self._examples.example(int(index)))



class CoordCache:
    """Typed coordinate sets by file name (libmolgrid's ``CoordCache``)."""

    def __init__(self, typer=defaultGninaReceptorTyper,
                 settings: Optional[ExampleProviderSettings] = None, molcache: str = ""):
        settings = settings or ExampleProviderSettings()
        self._store = gnina.CoordinateStore(typer_of(typer), settings.data_root,
                                            [molcache] if molcache else [],
                                            settings.cache_structs, settings.add_hydrogens)

    def make_coords(self, file_name: str) -> CoordinateSet:
        """The typed atoms of a file."""
        return CoordinateSet._wrap(self._store.get(os.fspath(file_name)))

    def set_coords(self, file_name: str, coords: CoordinateSet) -> None:
        """Fill ``coords`` with the typed atoms of a file."""
        coords._atoms = self._store.get(os.fspath(file_name))

    def num_types(self) -> int:
        """The typer's number of types."""
        return self._store.num_types()

    def get_type_names(self) -> List[str]:
        """The typer's type names."""
        return self._store.type_names()
