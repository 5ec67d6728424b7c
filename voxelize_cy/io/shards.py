"""A sharded structure cache: many structures per Arrow IPC file, and an index.

Hundreds of thousands of small files are slow to list, copy and open on the
network filesystems and object stores where training data lives.  A sharded
cache keeps about ``shard_size`` structures per file (``shard-00000.arrow``, one
record batch per structure, uncompressed so that a memory map serves it
without a copy) and an index (``index.arrow``: structure id, shard, batch, row
count, first row in its shard, the source file's size and modification time,
and the CRC-32 of the structure's contents).  Each shard also records, in its
schema metadata, the index entries of its own structures, so that
``repair_shards`` (``voxelize-cy verify DIR --repair``) can rebuild a lost or
damaged index from the shards.

``StructureCache(DIR)`` opens the index only; a lookup maps that structure's
batch from its shard (shards are memory-mapped when first used) and returns the
table ``atoms_from_file`` gives for the source file.  ``convert_to_shards`` adds
what is new or changed (by size and modification time) and leaves the rest; it
writes whole shards and replaces the index atomically after each one, so an
interrupted run leaves the cache as it was or with whole shards added.  The
parsing runs on any ``concurrent.futures.Executor``: a process pool by default,
or a Dask or Ray cluster's.

Needs pyarrow (the ``cache`` extra).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Union

import numpy as np
import pandas as pd

from voxelize_cy.io.cache import _pyarrow, cache_name, table_to_frame, write_atomically
from voxelize_cy.io.convert import ConvertResult, _worker_context, check_options
from voxelize_cy.io.files import atoms_from_file
from voxelize_cy.io.integrity import (
    FORMAT_KEY,
    FORMAT_VERSION,
    CacheError,
    check_format,
    check_structure,
    read_error,
    structure_checksum,
)

__all__ = ["StructureCache", "convert_to_shards", "RayExecutor", "INDEX_NAME",
           "repair_shards", "verify_shards", "RepairReport"]

INDEX_NAME = "index.arrow"
_INDEX_COLUMNS = ("id", "shard", "batch", "first_row", "rows", "source_size",
                  "source_mtime_ns", "checksum")
#: A shard's own entries: (id, rows, source size, source mtime, checksum) per batch.
_STRUCTURES_KEY = b"voxelize_cy.structures"
_SHARD_NAME = re.compile(r"shard-(\d{5,})\.arrow$")


def _remedy(out_dir) -> str:
    return (f"run `voxelize-cy verify {out_dir} --repair`, then convert the structures "
            f"it lists again")


def structure_id(path: Union[str, os.PathLike]) -> str:
    """The id of a structure file in a sharded cache: ``1abc.cif.gz`` -> ``1abc``."""
    return cache_name(path)[: -len(".feather")]


def _schema(pa):
    return pa.schema([("monomer", pa.string()), ("element", pa.string())]
                     + [(c, pa.float64()) for c in ("x", "y", "z", "occupancy")])


def _parse(source: str, options: dict):
    """One structure file as Arrow IPC stream bytes (runs in a worker), with its
    id, size and modification time; or the reason it cannot be read."""
    pa = _pyarrow()
    try:
        stat = os.stat(source)
        atoms = atoms_from_file(source, **options)
        batch = pa.record_batch([
            pa.array(atoms["monomer"].to_numpy(dtype=object), type=pa.string()),
            pa.array(atoms["element"].to_numpy(dtype=object), type=pa.string()),
            *[pa.array(atoms[c].to_numpy(dtype="float64")) for c in ("x", "y", "z",
                                                                     "occupancy")],
        ], schema=_schema(pa))
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema) as writer:
            writer.write_batch(batch)
        return source, sink.getvalue().to_pybytes(), stat.st_size, stat.st_mtime_ns, ""
    except Exception as err:  # reported per file; the other files go on
        return source, None, 0, 0, " ".join(str(err).split()) or type(err).__name__


def _read_index(path: Path) -> Dict[str, np.ndarray]:
    """The index's columns; errors name the file and the remedy."""
    pa = _pyarrow()
    remedy = (f"`voxelize-cy verify {path.parent} --repair` rebuilds it from the shards, "
              f"or `voxelize-cy convert ... --force` converts everything again")
    try:
        with pa.memory_map(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as err:
        raise read_error(path, err, "sharded-cache index", remedy) from None
    check_format(table.schema, path, remedy)
    missing = [c for c in _INDEX_COLUMNS if c not in table.column_names]
    if missing:
        raise CacheError(path, f"is not a sharded-cache index: no column(s) {missing}",
                         remedy=remedy)
    try:
        table.validate(full=True)
    except pa.ArrowException as err:
        raise CacheError(path, f"is damaged ({err})", remedy=remedy) from None
    return {name: table.column(name).to_numpy(zero_copy_only=False)
            for name in _INDEX_COLUMNS}


def _write_index(out_dir: Path, index: Dict[str, list]) -> None:
    pa = _pyarrow()
    table = pa.table({
        "id": pa.array(index["id"], type=pa.string()),
        "shard": pa.array(index["shard"], type=pa.int32()),
        "batch": pa.array(index["batch"], type=pa.int32()),
        "first_row": pa.array(index["first_row"], type=pa.int64()),
        "rows": pa.array(index["rows"], type=pa.int64()),
        "source_size": pa.array(index["source_size"], type=pa.int64()),
        "source_mtime_ns": pa.array(index["source_mtime_ns"], type=pa.int64()),
        "checksum": pa.array(index["checksum"], type=pa.int64()),
    }).replace_schema_metadata({FORMAT_KEY: str(FORMAT_VERSION)})

    def write(temporary):
        with pa.OSFile(temporary, "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
            w.write_table(table)

    write_atomically(out_dir / INDEX_NAME, write)


def _shard_path(out_dir: Path, shard: int) -> Path:
    return out_dir / f"shard-{shard:05d}.arrow"


def _shard_numbers(out_dir: Path) -> List[int]:
    """The numbers of the shard files in a folder, in order."""
    found = []
    for entry in os.listdir(out_dir):
        match = _SHARD_NAME.match(entry)
        if match:
            found.append(int(match.group(1)))
    return sorted(found)


def _shard_schema(pa, entries: List[list]):
    """A shard's schema: the cache's columns, the format, and its entries."""
    return _schema(pa).with_metadata({FORMAT_KEY: str(FORMAT_VERSION),
                                      _STRUCTURES_KEY: json.dumps(entries)})


def _shard_entries(schema, path: Path) -> List[list]:
    """The (id, rows, source size, source mtime, checksum) a shard records."""
    check_format(schema, path, _remedy(path.parent))
    try:
        entries = json.loads((schema.metadata or {})[_STRUCTURES_KEY])
        if not all(isinstance(e, list) and len(e) == 5 for e in entries):
            raise ValueError("malformed")
    except (KeyError, ValueError) as err:
        raise CacheError(path, f"does not record its structures ({err})",
                         remedy=_remedy(path.parent)) from None
    return entries


def convert_to_shards(
    sources: Iterable[Union[str, os.PathLike]],
    out_dir: Union[str, os.PathLike],
    *,
    shard_size: int = 1000,
    executor=None,
    jobs: Optional[int] = None,
    force: bool = False,
    on_result: Optional[Callable[[ConvertResult], None]] = None,
    **options,
) -> List[ConvertResult]:
    """Convert structure files into a sharded cache in ``out_dir``.

    Parameters
    ----------
    sources : paths of mmCIF/PDB files (gzipped or not)
    out_dir : the cache's folder (made if missing)
    shard_size : int
        Structures per shard file (the last shard of a run may hold fewer).
    executor : concurrent.futures.Executor, optional
        Where the files are parsed: e.g. ``distributed.Client(address).get_executor()``
        (Dask) or a Ray executor.  Default: a process pool of ``jobs`` workers
        (every core), started with ``forkserver`` or ``spawn``; ``jobs=1`` parses
        in this process.  Shards and index are written by this process; the
        result does not depend on the executor.
    force : bool
        Convert every source again, changed or not (and over an index that
        cannot be read: it is rebuilt from the shards first).
    on_result : callable, optional
        Called with each ``ConvertResult`` as it arrives.
    **options
        ``model``, ``chain``, ``hydrogens``, ``waters`` for ``atoms_from_file``.

    Returns
    -------
    list of ConvertResult, in the order of ``sources``: 'written', 'skipped'
    (in the cache with the same size and modification time) or 'failed' (with
    the reason; the other files are still converted).
    """
    pa = _pyarrow()
    check_options(options, "convert_to_shards")
    if isinstance(shard_size, bool) or not isinstance(shard_size, int) or shard_size < 1:
        raise ValueError(f"shard_size must be an int >= 1, got {shard_size!r}")
    if jobs is None:
        jobs = os.cpu_count() or 1
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    writer = _ShardWriter(pa, out_dir, _open_index(out_dir, force), on_result)
    todo = writer.sources_to_convert(sources, force)
    # Sources go out in runs of shard_size, so that a shard holds the structures
    # of one run (in the order of sources) whichever executor parsed them.
    pool = None
    if executor is None and jobs > 1 and len(todo) > 1:
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=min(jobs, len(todo)),
                                   mp_context=_worker_context())
    try:
        for start in range(0, len(todo), shard_size):
            run = todo[start:start + shard_size]
            for i, outcome in _parse_run(run, executor if executor is not None else pool,
                                         options):
                writer.take(i, outcome)
            writer.flush()
    finally:
        if pool is not None:
            pool.shutdown()
    if not (out_dir / INDEX_NAME).exists():
        _write_index(out_dir, writer.index)
    return [writer.results[i] for i in sorted(writer.results)]


def _open_index(out_dir: Path, force: bool) -> Dict[str, list]:
    """The cache's index as lists per column (empty for a new cache); with
    ``force``, an unreadable index is first rebuilt from the shards."""
    index_path = out_dir / INDEX_NAME
    if index_path.exists() or _shard_numbers(out_dir):
        try:
            old = _read_index(index_path)
        except (CacheError, FileNotFoundError):
            if not force:
                raise
            repair_shards(out_dir)  # over a damaged index: what the shards hold
            old = _read_index(index_path)
    else:
        old = {c: np.array([]) for c in _INDEX_COLUMNS}
    return {c: list(old[c].tolist()) for c in _INDEX_COLUMNS}


def _parse_run(run: List[tuple], where, options: dict) -> List[tuple]:
    """``(i, outcome of _parse)`` for each ``(i, source)`` of ``run``, parsed on
    the executor ``where`` (in this process when None), in the order of ``run``."""
    if where is None:
        return [(i, _parse(source, options)) for i, source in run]
    futures = [(i, where.submit(_parse, source, options)) for i, source in run]
    return [(i, future.result()) for i, future in futures]


class _ShardWriter:
    """The side of ``convert_to_shards`` that writes: it takes parsed
    structures, writes them a shard at a time and keeps the index current."""

    def __init__(self, pa, out_dir: Path, index: Dict[str, list],
                 on_result: Optional[Callable[[ConvertResult], None]]):
        self.pa = pa
        self.out_dir = out_dir
        self.index = index
        self.position = {name: k for k, name in enumerate(index["id"])}
        self.on_result = on_result
        self.results: Dict[int, ConvertResult] = {}
        # (i, source, ipc bytes, size, mtime) of the open shard
        self.pending: List[tuple] = []
        # after every shard file there, in the index or not: none is overwritten
        self.next_shard = max(_shard_numbers(out_dir) + [int(s) for s in index["shard"]],
                              default=-1) + 1

    def _report(self, i: int, result: ConvertResult) -> None:
        self.results[i] = result
        if self.on_result is not None:
            self.on_result(result)

    def sources_to_convert(self, sources, force: bool) -> List[tuple]:
        """``(i, source)`` of the sources to parse; the others (unchanged since
        the cache took them, missing, or of a repeated id) are reported."""
        todo = []
        seen: Dict[str, str] = {}
        for i, source in enumerate(map(str, sources)):
            name = structure_id(source)
            if name in seen:
                self._report(i, ConvertResult(source, name, "failed",
                                              f"same id as {seen[name]}"))
                continue
            seen[name] = source
            try:
                stat = os.stat(source)
            except OSError as err:
                self._report(i, ConvertResult(source, name, "failed",
                                              err.strerror or str(err)))
                continue
            k = self.position.get(name)
            if (not force and k is not None and self.index["source_size"][k] == stat.st_size
                    and self.index["source_mtime_ns"][k] == stat.st_mtime_ns):
                self._report(i, ConvertResult(source, name, "skipped",
                                              n_atoms=self.index["rows"][k]))
                continue
            todo.append((i, source))
        return todo

    def take(self, i: int, outcome: tuple) -> None:
        """Source ``i``'s outcome of ``_parse``: into the open shard, or failed."""
        source, payload, size, mtime, reason = outcome
        name = structure_id(source)
        if payload is None:
            self._report(i, ConvertResult(source, name, "failed", reason))
            return
        self.pending.append((i, source, payload, size, mtime))
        rows = self.pa.ipc.open_stream(payload).read_next_batch().num_rows
        self._report(i, ConvertResult(source, name, "written", n_atoms=rows))

    def flush(self) -> None:
        """Write the open shard (atomically), then the index that points to it."""
        if not self.pending:
            return
        self.pending.sort()  # the same shard whatever the order results arrived in
        pa = self.pa
        batches = [pa.ipc.open_stream(payload).read_next_batch()
                   for _, _, payload, _, _ in self.pending]
        checksums = [structure_checksum(batch) for batch in batches]
        entries = [[structure_id(source), batch.num_rows, size, mtime, crc]
                   for (_, source, _, size, mtime), batch, crc in
                   zip(self.pending, batches, checksums)]

        def write(temporary):
            with pa.OSFile(temporary, "wb") as sink, \
                    pa.ipc.new_file(sink, _shard_schema(pa, entries)) as writer:
                for batch in batches:
                    writer.write_batch(batch)

        write_atomically(_shard_path(self.out_dir, self.next_shard), write)
        first_row = 0
        for b, entry in enumerate(entries):
            name, rows, size, mtime, crc = entry
            self._set_entry(name, (name, self.next_shard, b, first_row, rows, size, mtime,
                                   crc))
            first_row += rows
        _write_index(self.out_dir, self.index)
        self.next_shard += 1
        self.pending = []

    def _set_entry(self, name: str, values: tuple) -> None:
        """The index's entry for ``name``: added, or (a changed structure)
        pointed to its new rows."""
        k = self.position.get(name)
        if k is None:
            self.position[name] = len(self.index["id"])
            for column, value in zip(_INDEX_COLUMNS, values):
                self.index[column].append(value)
        else:
            for column, value in zip(_INDEX_COLUMNS, values):
                self.index[column][k] = value


class RayExecutor:
    """A ``concurrent.futures``-style executor on a Ray cluster (Ray has none of
    its own): ``submit`` runs the call as a Ray task and returns its future.

    Parameters
    ----------
    **init
        Passed to ``ray.init`` when Ray is not initialised yet (e.g.
        ``address="ray://head:10001"``, or ``num_cpus=`` for a local Ray).
    """

    def __init__(self, **init):
        try:
            import ray
        except ImportError:
            raise ImportError("RayExecutor needs ray: pip install 'voxelize_cy[ray]'") from None
        if not ray.is_initialized():
            ray.init(**init)
        self._ray = ray

    def submit(self, fn, *args, **kwargs):
        """Run ``fn(*args, **kwargs)`` as a Ray task; a ``concurrent.futures.Future``."""
        return self._ray.remote(fn).remote(*args, **kwargs).future()


@dataclass(frozen=True)
class _Entry:
    shard: int
    batch: int
    rows: int
    checksum: int


class StructureCache:
    """A sharded structure cache, opened for reading.

    Parameters
    ----------
    path : str or os.PathLike
        The cache's folder, as ``convert_to_shards`` (or ``voxelize-cy convert
        --shard-size``) wrote it.
    verify : bool
        Recompute each structure's checksum on every lookup (a pass over its
        bytes; see the manual's "Structure files, caches" page for the cost).
        Without it a lookup checks what costs next to nothing: the shard's
        format and its record of the structure, the columns, the row count,
        Arrow's validation of the buffers.

    Opening reads the index only; ``cache["1abc"]`` maps that structure's rows
    from its shard (memory-mapped on first use) and returns the table
    ``atoms_from_file`` gives for its source file.  Safe to open in each
    DataLoader worker (pickling a cache pickles its folder, not its maps).
    Errors (``CacheError``, a ValueError) name the structure, its shard and
    what to do.
    """

    def __init__(self, path: Union[str, os.PathLike], *, verify: bool = False):
        self.path = Path(path)
        self.verify = bool(verify)
        index_path = self.path / INDEX_NAME
        if not index_path.exists():
            if self.path.is_dir() and _shard_numbers(self.path):
                raise CacheError(index_path, "is missing; the folder holds shards",
                                 remedy=f"`voxelize-cy verify {self.path} --repair` "
                                        f"rebuilds it from them")
            raise FileNotFoundError(f"{self.path} is not a sharded structure cache "
                                    f"(no {INDEX_NAME})")
        index = _read_index(index_path)
        self._ids = [str(name) for name in index["id"]]
        self._where = {name: _Entry(int(s), int(b), int(r), int(c)) for name, s, b, r, c in
                       zip(self._ids, index["shard"], index["batch"], index["rows"],
                           index["checksum"])}
        self._readers: Dict[int, object] = {}
        self._recorded: Dict[int, List[list]] = {}

    def __getstate__(self):
        return {"path": self.path, "verify": self.verify}

    def __setstate__(self, state):
        self.__init__(state["path"], verify=state.get("verify", False))

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> List[str]:
        """The structure ids, in the order they were added."""
        return list(self._ids)

    def __contains__(self, name) -> bool:
        return name in self._where

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def _reader(self, shard: int, name: str):
        reader = self._readers.get(shard)
        if reader is None:
            pa = _pyarrow()
            path = _shard_path(self.path, shard)
            try:
                reader = pa.ipc.open_file(pa.memory_map(str(path)))
            except (PermissionError, FileNotFoundError) as err:
                raise read_error(path, err, "shard", _remedy(self.path)) from None
            except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as err:
                raise CacheError(path, f"is not a readable shard "
                                       f"({' '.join(str(err).split())})",
                                 remedy=_remedy(self.path), structure=name) from None
            self._recorded[shard] = _shard_entries(reader.schema, path)
            self._readers[shard] = reader
        return reader

    def batch(self, name: str):
        """The structure's rows as an Arrow record batch (no copy), checked
        (see ``verify``)."""
        try:
            entry = self._where[name]
        except KeyError:
            raise KeyError(f"no structure {name!r} in the cache at {self.path}") from None
        reader = self._reader(entry.shard, name)
        path = _shard_path(self.path, entry.shard)
        recorded = self._recorded[entry.shard]
        remedy = _remedy(self.path)
        if not (entry.batch < len(recorded) and recorded[entry.batch][0] == name
                and entry.batch < reader.num_record_batches):
            raise CacheError(path, f"does not hold it as batch {entry.batch}, where the index "
                                   f"says it is", remedy=remedy, structure=name)
        pa = _pyarrow()
        try:
            batch = reader.get_batch(entry.batch)
        except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as err:
            raise CacheError(path, f"cannot be read ({' '.join(str(err).split())})",
                             remedy=remedy, structure=name) from None
        check_structure(batch, path, name, rows=entry.rows, checksum=entry.checksum,
                        verify=self.verify, remedy=remedy)
        return batch

    def __getitem__(self, name: str) -> pd.DataFrame:
        """The atom table of structure ``name`` (columns ``monomer, element, x, y,
        z, occupancy``, as ``atoms_from_file`` gives for its source file)."""
        return table_to_frame(self.batch(name))

    def __repr__(self) -> str:
        return f"StructureCache({str(self.path)!r}: {len(self)} structures)"


@dataclass
class RepairReport:
    """What ``repair_shards`` found: the structures the rebuilt index holds,
    the damaged ones it left out (``(id or shard, reason)``: convert them
    again), and the shards it could not read at all."""

    kept: int = 0
    lost: List[tuple] = field(default_factory=list)
    unreadable_shards: List[str] = field(default_factory=list)


def _scan_shard(path: Path, pa):
    """(entries, reason): a shard's recorded entries, each with None (intact)
    or why its batch is damaged; reason when the shard cannot be read."""
    try:
        with pa.memory_map(str(path)) as source:
            reader = pa.ipc.open_file(source)
            entries = _shard_entries(reader.schema, path)
            found = []
            for b, (name, rows, size, mtime, crc) in enumerate(entries):
                problem = None
                try:
                    if b >= reader.num_record_batches:
                        raise CacheError(path, f"has no batch {b}", structure=name)
                    check_structure(reader.get_batch(b), path, name, rows=rows, checksum=crc,
                                    verify=True)
                except (CacheError, pa.ArrowException, OSError) as err:
                    problem = str(err)
                found.append(([name, rows, size, mtime, crc], problem))
            return found, None
    except (CacheError, pa.ArrowException, OSError) as err:
        return [], " ".join(str(err).split())


def repair_shards(path: Union[str, os.PathLike]) -> RepairReport:
    """Rebuild a sharded cache's index from its shards (each records its own
    structures): every intact structure is kept, a structure in several shards
    from the last one written; damaged structures are left out and reported,
    to be converted again (``convert_to_shards`` adds them back), and a shard
    that cannot be read at all is renamed ``shard-NNNNN.arrow.damaged``.

    Parameters
    ----------
    path : str or os.PathLike
        The cache's folder.

    Returns
    -------
    RepairReport
    """
    pa = _pyarrow()
    out_dir = Path(path)
    report = RepairReport()
    try:  # the old index, when it can be read, names what unreadable shards held
        old = _read_index(out_dir / INDEX_NAME)
        old_ids: Dict[int, List[str]] = {}
        for name, shard in zip(old["id"], old["shard"]):
            old_ids.setdefault(int(shard), []).append(str(name))
    except (CacheError, OSError):
        old_ids = {}
    best: Dict[str, tuple] = {}
    for shard in _shard_numbers(out_dir):
        shard_path = _shard_path(out_dir, shard)
        found, reason = _scan_shard(shard_path, pa)
        if reason is not None:  # set aside (kept for inspection, never read again)
            aside = shard_path.with_name(shard_path.name + ".damaged")
            os.replace(shard_path, aside)
            report.unreadable_shards.append(str(aside))
            lost = old_ids.get(shard) or [shard_path.name]
            report.lost.extend((name, reason) for name in lost)
            continue
        first_row = 0
        for b, (entry, problem) in enumerate(found):
            name, rows, size, mtime, crc = entry
            if problem is None:
                best[name] = (name, shard, b, first_row, rows, size, mtime, crc)
            elif name not in best:
                report.lost.append((name, problem))
            first_row += rows
    kept_names = set(best)
    report.lost = [(n, r) for n, r in report.lost if n not in kept_names]
    index: Dict[str, list] = {c: [] for c in _INDEX_COLUMNS}
    for values in sorted(best.values(), key=lambda v: (v[1], v[2])):
        for column, value in zip(_INDEX_COLUMNS, values):
            index[column].append(value)
    _write_index(out_dir, index)
    report.kept = len(best)
    return report


def verify_shards(path: Union[str, os.PathLike]) -> List[str]:
    """Check every structure of a sharded cache against its checksum: one
    line per damaged structure (naming it and its shard), or per unreadable
    shard or index; none for an intact cache."""
    out_dir = Path(path)
    problems: List[str] = []
    try:
        cache = StructureCache(out_dir, verify=True)
    except (CacheError, OSError) as err:
        return [" ".join(str(err).split())]
    for name in cache.ids:
        try:
            cache.batch(name)
        except (CacheError, OSError) as err:
            problems.append(" ".join(str(err).split()))
    return problems
