"""What makes a structure cache trustworthy: its format version, each
structure's checksum, the checks a lookup makes, and the errors that name the
file at fault and what to do about it.

Every cache file voxelize_cy writes (a single-file ``.feather`` cache, a
sharded cache's shards and index) records ``voxelize_cy.format`` in its Arrow
schema metadata, and a CRC-32 of each structure's contents.  A lookup checks
what costs next to nothing (the columns and their types, the row count the
index promises, Arrow's full validation of the buffers, so that damaged
offsets raise instead of reading out of bounds); ``verify=True`` also
recomputes the checksum.
"""

from __future__ import annotations

import errno as _errno
import os
import zlib
from typing import Optional, Union

import numpy as np

__all__ = ["FORMAT_VERSION", "DataFileError", "CacheError", "structure_checksum",
           "check_structure", "format_version", "write_error"]

#: The format of the cache files this voxelize_cy writes and reads.
FORMAT_VERSION = 2
#: Schema metadata keys.
FORMAT_KEY = b"voxelize_cy.format"
CHECKSUM_KEY = b"voxelize_cy.checksum"

_STRING_COLUMNS = ("monomer", "element")
_FLOAT_COLUMNS = ("x", "y", "z", "occupancy")

PathLike = Union[str, "os.PathLike[str]"]


class DataFileError(ValueError):
    """A data file that cannot be used as what it claims to be: the one base of
    the errors that name the file at fault and what to do about it
    (``CacheError``, ``voxelize_cy.gnina.GninaDataError``).

    Parameters
    ----------
    path : str or path-like
        The file at fault.
    message : str
        What is wrong with it.
    remedy : str, optional
        What to do about it.
    **context
        Where in the file, or what it concerns (kept as attributes).

    Attributes
    ----------
    path, message, remedy
        As given, and each key of ``context``.
    """

    def __init__(self, path: PathLike, message: str, *, remedy: Optional[str] = None,
                 **context):
        self.path = os.fspath(path)
        self.message = message
        self.remedy = remedy
        self._context = context
        for key, value in context.items():
            setattr(self, key, value)
        super().__init__(self.describe())

    def describe(self) -> str:
        """The error's text."""
        return f"{self.path}: {self.message}" + (f" ({self.remedy})" if self.remedy else "")

    def __reduce__(self):  # picklable across DataLoader workers and process pools
        return (_rebuild, (type(self), self.path, self.message, self.remedy, self._context))


def _rebuild(cls, path, message, remedy, context):
    return cls(path, message, remedy=remedy, **context)


class CacheError(DataFileError):
    """A structure cache file that cannot be trusted or read: a
    :class:`DataFileError` (``path``, ``message``, ``remedy``) that may also name
    the ``structure`` concerned (its id)."""

    def __init__(self, path: PathLike, message: str, *, remedy: Optional[str] = None,
                 structure: Optional[str] = None):
        super().__init__(path, message, remedy=remedy, structure=structure)

    def describe(self) -> str:
        """``path: structure 'id': message (remedy)``."""
        about = f"structure {self._context['structure']!r}: " \
            if self._context.get("structure") else ""
        return f"{self.path}: {about}{self.message}" + (f" ({self.remedy})"
                                                          if self.remedy else "")


def format_version(schema) -> Optional[int]:
    """The ``voxelize_cy.format`` an Arrow schema records (None: none, as
    files written before format 2)."""
    value = (schema.metadata or {}).get(FORMAT_KEY)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return -1


def check_format(schema, path: PathLike, remedy: str) -> None:
    """CacheError unless the schema records this voxelize_cy's format."""
    found = format_version(schema)
    if found != FORMAT_VERSION:
        seen = ("no format version (written before format 2)" if found is None
                else f"format version {found}" if found >= 0 else "an unreadable format version")
        raise CacheError(path, f"has {seen}; this voxelize_cy reads format {FORMAT_VERSION}",
                         remedy=remedy)


def structure_checksum(batch) -> int:
    """CRC-32 of a structure's contents: its row count, and for each column
    its values (the strings' lengths and bytes, the floats' bytes) and nulls;
    independent of how the buffers are laid out or padded."""
    crc = zlib.crc32(np.int64(batch.num_rows).tobytes())
    for name in _STRING_COLUMNS:
        column = _chunk(batch.column(name))
        crc = _crc_nulls(column, crc)
        offsets = np.frombuffer(column.buffers()[1], np.int32)[
            column.offset:column.offset + len(column) + 1]
        if offsets.size:
            crc = zlib.crc32(np.diff(offsets).tobytes(), crc)
            data = column.buffers()[2]
            if data is not None:
                crc = zlib.crc32(memoryview(data)[int(offsets[0]):int(offsets[-1])], crc)
    for name in _FLOAT_COLUMNS:
        column = _chunk(batch.column(name))
        crc = _crc_nulls(column, crc)
        values = np.frombuffer(column.buffers()[1], np.float64)[
            column.offset:column.offset + len(column)]
        crc = zlib.crc32(values.tobytes(), crc)
    return crc


def _chunk(column):
    """One contiguous array of a column (a table's column may be chunked)."""
    chunks = getattr(column, "chunks", None)
    if chunks is None:
        return column
    if len(chunks) == 1:
        return chunks[0]
    import pyarrow as pa

    return pa.concat_arrays(chunks)


def _crc_nulls(column, crc: int) -> int:
    crc = zlib.crc32(np.int64(column.null_count).tobytes(), crc)
    if column.null_count:
        crc = zlib.crc32(np.asarray(column.is_null()).tobytes(), crc)
    return crc


def check_structure(batch, path: PathLike, structure: Optional[str], *,
                    rows: Optional[int] = None, checksum: Optional[int] = None,
                    verify: bool = False, remedy: str = "") -> None:
    """Raise CacheError unless ``batch`` can be a structure's table: the cache's
    columns and types, ``rows`` rows, buffers that pass Arrow's full
    validation; with ``verify``, ``checksum`` (which must be recorded)."""
    import pyarrow as pa

    def fail(message: str) -> CacheError:
        return CacheError(path, message, remedy=remedy or None, structure=structure)

    types = {name: pa.string() for name in _STRING_COLUMNS}
    types.update({name: pa.float64() for name in _FLOAT_COLUMNS})
    for name, kind in types.items():
        index = batch.schema.get_field_index(name)
        if index < 0:
            raise fail(f"has no column {name!r}")
        if batch.schema.field(index).type != kind:
            raise fail(f"column {name!r} is {batch.schema.field(index).type}, not {kind}")
    if rows is not None and batch.num_rows != rows:
        raise fail(f"holds {batch.num_rows} atoms where the index records {rows}")
    try:
        batch.validate(full=True)
    except (pa.ArrowInvalid, pa.ArrowException) as err:
        raise fail(f"is damaged ({' '.join(str(err).split())})") from None
    if verify:
        if checksum is None:
            raise fail("has no checksum to verify (written before format 2)")
        found = structure_checksum(batch)
        if found != checksum:
            raise fail(f"checksum mismatch: recorded {checksum:#010x}, the data gives "
                       f"{found:#010x}: its bytes changed since it was written")


def write_error(path: PathLike, err: OSError) -> OSError:
    """An OSError of the same kind and errno that names ``path`` (disk full,
    file size limit, permission denied, ...)."""
    code = err.errno if err.errno is not None else _errno.EIO
    reason = err.strerror or os.strerror(code)
    return type(err)(code, f"cannot write {os.fspath(path)}: {reason} "
                           f"({_errno.errorcode.get(code, code)})", os.fspath(path))


def read_error(path: PathLike, err: Exception, what: str, remedy: str) -> Exception:
    """The error to raise for a cache file that cannot be opened: a
    PermissionError or FileNotFoundError naming it, else CacheError."""
    if isinstance(err, PermissionError):
        return PermissionError(err.errno, f"cannot read {os.fspath(path)}: permission "
                                          f"denied (check the file's permissions)",
                               os.fspath(path))
    if isinstance(err, FileNotFoundError):
        return FileNotFoundError(err.errno, f"{os.fspath(path)} is missing ({remedy})",
                                 os.fspath(path))
    return CacheError(path, f"is not a readable {what} ({' '.join(str(err).split())})",
                      remedy=remedy)
