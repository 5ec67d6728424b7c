"""molcache2: many ``.gninatypes`` structures in one memory-mapped file.

The layout libmolgrid reads (``CoordCache``)::

    int32  -1                      the version
    uint64 index offset
    records, each: uint32 natoms, then natoms gninatypes atom records
    index, from its offset to the end of the file, per structure:
        uint8 name length, the name's bytes, uint64 record offset

The names are the file names as ``.types`` lines write them.  libmolgrid maps
the file and trusts every number in it; :class:`MolCache2` checks the header,
every index entry and every record's bounds when it opens a file, so a
truncated or damaged cache is an error naming the file and the structure,
never a crash or a wrong structure.

Files written by :func:`write_molcache2` also carry a CRC-32 of each record,
in a block between the last record and the index where libmolgrid never
looks (it reads records only through their offsets), so libmolgrid reads
them exactly as it reads its own; ``MolCache2(path, verify=True)`` checks a
record's CRC on every lookup and :meth:`MolCache2.verify` checks them all.
"""

from __future__ import annotations

import mmap
import os
import struct
import zlib
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Set, Tuple, Union

import numpy as np

from voxelize_cy.gnina.errors import GninaDataError
from voxelize_cy.gnina.gninatypes import ATOM_RECORD, atoms_from_bytes, atoms_to_bytes

__all__ = ["MolCache2", "write_molcache2", "MOLCACHE_VERSION"]

#: The version number a molcache2 file starts with.
MOLCACHE_VERSION = -1
_HEADER = struct.Struct("<iQ")
_COUNT = struct.Struct("<I")
_OFFSET = struct.Struct("<Q")
_SUM_START, _SUM_END = b"VCYSUM01", b"VCYSUMND"
_SUM_ENTRY = np.dtype([("offset", "<u8"), ("crc", "<u4"), ("pad", "<u4")])
_TRAILER = struct.Struct("<8sQ")
_REMEDY = "rebuild it (voxelize-cy molcache) or restore it from a good copy"

PathLike = Union[str, os.PathLike]


class MolCache2:
    """A molcache2 file, memory-mapped and checked.

    Parameters
    ----------
    path : path
    verify : bool
        Check each record's CRC-32 on lookup (files written by
        :func:`write_molcache2` carry them; others have none to check).

    Raises
    ------
    GninaDataError
        A missing or unreadable file, a bad header, an index entry cut short,
        a record offset or size past the records.
    """

    def __init__(self, path: PathLike, verify: bool = False):
        self.path = os.fspath(path)
        self.verify_lookups = bool(verify)
        self._map, self._size = _open_map(self.path)
        try:
            self._index_start = self._read_header()
            self._offsets = self._read_index()
            self._natoms = self._check_records()
            self._crc = self._read_checksums()
        except BaseException:
            self.close()
            raise

    # -- opening ---------------------------------------------------------
    def _fail(self, message: str) -> GninaDataError:
        return GninaDataError(self.path, message, remedy=_REMEDY)

    def _read_header(self) -> int:
        if self._size < _HEADER.size:
            raise self._fail(f"is {self._size} bytes long, shorter than a molcache2 header "
                             f"({_HEADER.size} bytes)")
        version, index_start = _HEADER.unpack_from(self._map, 0)
        if version != MOLCACHE_VERSION:
            raise self._fail(f"starts with {version}, not {MOLCACHE_VERSION}: it is not a "
                             f"molcache2 file (a bad header)")
        if not _HEADER.size <= index_start <= self._size:
            raise self._fail(f"says its index starts at byte {index_start}, past its end "
                             f"({self._size} bytes): the file is truncated or damaged")
        return index_start

    def _read_index(self) -> Dict[str, int]:
        data, pos, end = self._map, self._index_start, self._size
        offsets: Dict[str, int] = {}
        entry = 0
        while pos < end:
            length = data[pos]
            stop = pos + 1 + length + _OFFSET.size
            if stop > end:
                raise self._fail(f"index entry {entry} (at byte {pos}) is cut short by the "
                                 f"end of the file: the file is truncated")
            name = bytes(data[pos + 1:pos + 1 + length]).decode("utf-8", "surrogateescape")
            offsets[name] = _OFFSET.unpack_from(data, pos + 1 + length)[0]
            pos = stop
            entry += 1
        return offsets

    def _check_records(self) -> Dict[str, int]:
        names = list(self._offsets)
        offsets = np.fromiter(self._offsets.values(), np.uint64, len(names))
        limit = self._index_start
        bad = np.flatnonzero((offsets < _HEADER.size) | (offsets + 4 > limit))
        if bad.size:
            k = int(bad[0])
            raise self._fail(f"structure {names[k]!r} is at byte {int(offsets[k])}, outside "
                             f"the records (bytes {_HEADER.size}-{limit}): an offset past "
                             f"its end")
        raw = np.frombuffer(self._map, np.uint8, count=limit)
        where = offsets.astype(np.int64)[:, None] + np.arange(4)
        natoms = raw[where].copy().view("<u4").ravel().astype(np.int64)
        del raw  # no view of the map may outlive this (close() needs none)
        ends = offsets.astype(np.int64) + 4 + natoms * ATOM_RECORD.itemsize
        bad = np.flatnonzero(ends > limit)
        if bad.size:
            k = int(bad[0])
            raise self._fail(f"structure {names[k]!r} (at byte {int(offsets[k])}) says it "
                             f"has {int(natoms[k])} atoms, which run past the records "
                             f"(to byte {int(ends[k])}, the index starts at {limit})")
        return dict(zip(names, natoms.tolist()))

    def _read_checksums(self) -> Optional[Dict[int, int]]:
        end = self._index_start
        if end < _HEADER.size + 2 * _TRAILER.size:
            return None
        tag, start = _TRAILER.unpack_from(self._map, end - _TRAILER.size)
        if tag != _SUM_END or not _HEADER.size <= start <= end - _TRAILER.size:
            return None
        if bytes(self._map[start:start + 8]) != _SUM_START:
            return None
        count = _OFFSET.unpack_from(self._map, start + 8)[0]
        body = start + 16
        if body + count * _SUM_ENTRY.itemsize != end - _TRAILER.size:
            raise self._fail("has a checksum block of the wrong size: the file is damaged")
        table = np.frombuffer(self._map, _SUM_ENTRY, count=count, offset=body)
        crc = dict(zip(table["offset"].tolist(), table["crc"].tolist()))
        del table
        return crc

    # -- lookups ---------------------------------------------------------
    def __contains__(self, name: object) -> bool:
        return name in self._offsets

    def __len__(self) -> int:
        return len(self._offsets)

    def __iter__(self) -> Iterator[str]:
        return iter(self._offsets)

    @property
    def has_checksums(self) -> bool:
        """True when the file carries a CRC-32 per record (written by us)."""
        return self._crc is not None

    def _record(self, name: str) -> Tuple[int, int]:
        return self._offsets[name], self._natoms[name]

    def record_bytes(self, name: str) -> bytes:
        """A structure's whole record (its atom count and atoms), as stored."""
        offset, count = self._record(name)
        return bytes(self._map[offset:offset + 4 + count * ATOM_RECORD.itemsize])

    def atoms(self, name: str, listed_by: Optional[str] = None,
              verify: Optional[bool] = None) -> Tuple[np.ndarray, np.ndarray]:
        """Coordinates ``(N, 3)`` float32 and smina types ``(N,)`` of a structure.

        Raises
        ------
        KeyError
            No structure of that name.
        GninaDataError
            A damaged record (a type outside 0-27, a coordinate that is not
            finite, or with verification a CRC that does not match).
        """
        offset, count = self._record(name)
        stop = offset + 4 + count * ATOM_RECORD.itemsize
        where = f"{self.path} (structure {name!r} at byte {offset})"
        if self.verify_lookups if verify is None else verify:
            self._check_crc(name, offset, stop, listed_by)
        return atoms_from_bytes(self._map[offset + 4:stop], where, listed_by)

    def _check_crc(self, name: str, offset: int, stop: int,
                   listed_by: Optional[str]) -> None:
        if self._crc is None:
            return
        expected = self._crc.get(offset)
        actual = zlib.crc32(self._map[offset:stop])
        if expected is None or expected != actual:
            raise GninaDataError(
                self.path, f"structure {name!r} (at byte {offset}) does not match its "
                f"checksum: the file is damaged", listed_by=listed_by, remedy=_REMEDY)

    def verify(self) -> List[str]:
        """Check every record (bounds, types, coordinates and, where the file
        has them, CRCs); returns one line per damaged structure (empty when
        all are good)."""
        damaged = []
        for name in self._offsets:
            try:
                self.atoms(name, verify=True)
            except GninaDataError as err:
                damaged.append(str(err))
        return damaged

    def close(self) -> None:
        """Unmap the file (lookups fail afterwards)."""
        mapped = getattr(self, "_map", None)
        if mapped is not None and not isinstance(mapped, bytes):
            mapped.close()
        self._map = b""

    def __reduce__(self):  # workers reopen the file instead of copying the map
        return (MolCache2, (self.path, self.verify_lookups))

    def __repr__(self) -> str:
        return f"MolCache2({self.path!r}: {len(self)} structures)"


def _open_map(path: str):
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                return b"", 0
            return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ), size
    except FileNotFoundError:
        raise GninaDataError(path, "no such molcache2 file") from None
    except IsADirectoryError:
        raise GninaDataError(path, "is a folder, not a molcache2 file") from None
    except PermissionError:
        raise GninaDataError(path, "permission denied (cannot read the molcache2 file)") \
            from None


def write_molcache2(path: PathLike,
                    structures: Iterable[Tuple[str, np.ndarray, np.ndarray]]) -> int:
    """Write structures as one molcache2 file, atomically.

    The file goes to a temporary file beside ``path`` and is renamed into
    place when complete.  libmolgrid reads it as it reads its own; a CRC-32
    of each record goes where libmolgrid does not look.

    Parameters
    ----------
    path : path
    structures : iterable of (name, coords, types)
        ``name`` as ``.types`` lines write it (at most 255 bytes of UTF-8),
        ``coords`` ``(N, 3)`` Å, ``types`` ``(N,)`` smina types (0-27).

    Returns
    -------
    int
        How many structures were written.

    Raises
    ------
    ValueError
        A name too long, empty or given twice, or atoms that are not valid.
    OSError
        The file cannot be written (naming it and the errno).
    """
    from voxelize_cy.io import write_atomically  # the package's one atomic write

    path = os.fspath(path)
    written = {"count": 0}

    def write(temporary: str) -> None:
        written["count"] = _write_to(temporary, structures)

    try:
        write_atomically(Path(path), write)
    except OSError as err:
        raise OSError(err.errno, f"cannot write {path}: {err.strerror}", path) from None
    return written["count"]


def _write_to(temporary: str, structures) -> int:
    index: List[Tuple[bytes, int]] = []
    crcs: List[Tuple[int, int]] = []
    seen: Set[str] = set()
    with open(temporary, "wb") as out:
        out.write(_HEADER.pack(MOLCACHE_VERSION, 0))
        for name, coords, types in structures:
            encoded = _check_name(name, seen)
            record = _COUNT.pack(len(types)) + atoms_to_bytes(coords, types)
            offset = out.tell()
            out.write(record)
            index.append((encoded, offset))
            crcs.append((offset, zlib.crc32(record)))
        table = np.zeros(len(crcs), _SUM_ENTRY)
        if crcs:
            table["offset"], table["crc"] = zip(*crcs)
        block_start = out.tell()
        out.write(_SUM_START + _OFFSET.pack(len(crcs)) + table.tobytes())
        out.write(_TRAILER.pack(_SUM_END, block_start))
        index_start = out.tell()
        for encoded, offset in index:
            out.write(bytes([len(encoded)]) + encoded + _OFFSET.pack(offset))
        out.seek(0)
        out.write(_HEADER.pack(MOLCACHE_VERSION, index_start))
        out.flush()
        os.fsync(out.fileno())
    return len(index)


def _check_name(name: str, seen: set) -> bytes:
    if not isinstance(name, str) or not name:
        raise ValueError(f"a molcache2 name must be a non-empty str, got {name!r}")
    encoded = name.encode("utf-8", "surrogateescape")
    if len(encoded) > 255:
        raise ValueError(f"molcache2 names are at most 255 bytes; {name[:40]!r}... has "
                         f"{len(encoded)}")
    if name in seen:
        raise ValueError(f"{name!r} is given twice; a molcache2 name names one structure")
    seen.add(name)
    return encoded
