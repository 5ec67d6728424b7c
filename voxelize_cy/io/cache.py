"""A binary structure cache: atom tables as Arrow IPC (Feather v2) files.

Parsing text has a floor (gemmi needs several milliseconds for a mid-sized
mmCIF); reading the same table back from an Arrow file takes well under one.
``voxelize-cy convert`` writes one ``<name>.feather`` per structure file, and
``atoms_from_file`` reads them back: the same columns and values as for the
structure file itself (``monomer, element, x, y, z, occupancy``).

pyarrow is an optional extra: ``pip install "voxelize_cy[cache]"``.
"""

from __future__ import annotations

import functools
import os
import tempfile
import threading
from pathlib import Path
from typing import Callable, Optional, Union

import numpy as np
import pandas as pd

__all__ = ["CACHE_SUFFIXES", "cache_name", "read_cache", "write_cache"]

#: File names read as structure caches.
CACHE_SUFFIXES = (".feather", ".arrow")
#: What a cache file holds, in this order.
CACHE_COLUMNS = ("monomer", "element", "x", "y", "z", "occupancy")
COMPRESSIONS = ("uncompressed", "lz4", "zstd")
_STRUCTURE_SUFFIXES = (".cif", ".mmcif", ".pdb", ".ent", ".pdb1")


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.feather  # noqa: F401
    except ImportError:
        raise ImportError(
            "structure caches (.feather/.arrow) need pyarrow: "
            "pip install 'voxelize_cy[cache]'"
        ) from None
    return pyarrow


def cache_name(path: Union[str, os.PathLike]) -> str:
    """The cache file name of a structure file: ``1abc.cif.gz`` -> ``1abc.feather``."""
    name = Path(path).name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    for suffix in _STRUCTURE_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name + ".feather"


def write_cache(atoms: pd.DataFrame, path: Union[str, os.PathLike], *,
                compression: str = "uncompressed", metadata: Optional[dict] = None) -> Path:
    """Write an atom table as a structure cache file, atomically.

    The table goes to a temporary file in the same folder, renamed into place
    when complete, so a reader never sees half a file.

    Parameters
    ----------
    atoms : pandas.DataFrame
        Columns ``monomer, element, x, y, z, occupancy`` (as ``atoms_from_file``
        returns them).
    path : str or path-like
        The ``.feather`` / ``.arrow`` file to write.
    compression : {'uncompressed', 'lz4', 'zstd'}
        Uncompressed reads fastest; lz4 and zstd make files 2-4x smaller.
    metadata : dict of str to str, optional
        Stored in the file's schema (e.g. where the table came from).

    Returns
    -------
    pathlib.Path
    """
    pa = _pyarrow()
    if compression not in COMPRESSIONS:
        raise ValueError(f"compression must be one of {COMPRESSIONS}, got {compression!r}")
    missing = [c for c in CACHE_COLUMNS if c not in atoms.columns]
    if missing:
        raise ValueError(f"atoms is missing column(s) {missing}; a cache holds "
                         f"{list(CACHE_COLUMNS)}")
    table = pa.table({
        "monomer": pa.array(atoms["monomer"].to_numpy(dtype=object), type=pa.string()),
        "element": pa.array(atoms["element"].to_numpy(dtype=object), type=pa.string()),
        **{c: pa.array(atoms[c].to_numpy(dtype="float64")) for c in ("x", "y", "z",
                                                                      "occupancy")},
    })
    from voxelize_cy.io.integrity import CHECKSUM_KEY, FORMAT_KEY, FORMAT_VERSION, \
        structure_checksum

    recorded = {str(k): str(v) for k, v in (metadata or {}).items()}
    recorded[FORMAT_KEY.decode()] = str(FORMAT_VERSION)
    recorded[CHECKSUM_KEY.decode()] = str(structure_checksum(table))
    table = table.replace_schema_metadata(recorded)
    path = Path(path)
    write_atomically(path, lambda temporary: pa.feather.write_feather(
        table, temporary, compression=compression))
    return path


def write_atomically(path: Path, write: Callable[[str], None]) -> None:
    """Call ``write(temporary)`` on a temporary file beside ``path``, then rename
    it into place: a reader sees the old file or the whole new one, never half.
    A failure (disk full, file size limit, permission) leaves no temporary file
    and raises an OSError of its errno that names ``path``."""
    from voxelize_cy.io.integrity import write_error

    path = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial",
                                             dir=path.parent)
    except OSError as err:
        raise write_error(path, err) from err
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, 0o666 & ~_umask())  # as open() would make it, not 0600
        os.replace(temporary, path)
    except BaseException as err:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(err, OSError) and err.errno is not None:
            raise write_error(path, err) from err
        raise


_UMASK_LOCK = threading.Lock()


def _umask() -> int:
    """The process's umask (read by setting it and back, under a lock)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


@functools.lru_cache(maxsize=None)
def _string_dtype():
    """The dtype pandas gives a column of Python strings (what atoms_from_file
    returns for mmCIF files): Arrow-backed ``str`` in pandas 3 with pyarrow,
    ``object`` otherwise."""
    return pd.DataFrame({"s": np.array(["C"], dtype=object)})["s"].dtype


#: What to do about a damaged single-file cache.
CONVERT_AGAIN = "convert its structure file again: voxelize-cy convert FILE --force"


def read_cache(path: Union[str, os.PathLike], *, verify: bool = False) -> pd.DataFrame:
    """Read a structure cache file back into the atom table it holds.

    Parameters
    ----------
    path : str or path-like
    verify : bool
        Also recompute the table's checksum and compare it with the one
        recorded at writing (a pass over the table's bytes: about as long as
        the read itself); without it, only the format, the columns and Arrow's
        validation of the buffers are checked.

    Raises
    ------
    ImportError
        Without pyarrow (naming the extra to install).
    CacheError (a ValueError)
        A file that is not a structure cache of this format, or damaged; it
        names the file and what to do.
    FileNotFoundError, PermissionError
        Naming the file.
    """
    from voxelize_cy.io.integrity import CHECKSUM_KEY, check_format, check_structure, \
        read_error

    pa = _pyarrow()
    try:
        with pa.ipc.open_file(str(path)) as reader:
            table = reader.read_all()
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as err:
        raise read_error(path, err, "structure cache", CONVERT_AGAIN) from None
    missing = [c for c in CACHE_COLUMNS if c not in table.column_names]
    if missing:
        from voxelize_cy.io.integrity import CacheError

        raise CacheError(path, f"is not a structure cache: no column(s) {missing}")
    check_format(table.schema, path, CONVERT_AGAIN)
    recorded = (table.schema.metadata or {}).get(CHECKSUM_KEY)
    check_structure(table, path, None, checksum=None if recorded is None else int(recorded),
                    verify=verify, remedy=CONVERT_AGAIN)
    return table_to_frame(table)


def table_to_frame(table) -> pd.DataFrame:
    """A cache's Arrow table (or record batch) as the atom table
    ``atoms_from_file`` gives: built column by column (pyarrow's ``to_pandas``
    takes twice as long here), strings in the dtype pandas gives Python strings."""
    string_dtype = _string_dtype()
    data = {}
    for name in ("monomer", "element"):
        column = table.column(name)
        data[name] = (column.to_numpy(zero_copy_only=False) if string_dtype == object
                      else pd.array(column, dtype=string_dtype))
    for name in ("x", "y", "z", "occupancy"):
        data[name] = table.column(name).to_numpy()
    try:  # pandas' own constructor without its checks: half the time of the public one
        return pd.DataFrame._from_arrays(list(data.values()), columns=_COLUMN_INDEX,
                                         index=pd.RangeIndex(len(data["x"])),
                                         verify_integrity=False)
    except (AttributeError, TypeError):  # a pandas without it: the public way
        return pd.DataFrame(data, copy=False)


_COLUMN_INDEX = pd.Index(list(CACHE_COLUMNS))
