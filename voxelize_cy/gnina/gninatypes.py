"""gnina's ``.gninatypes`` files: typed atoms, 16 bytes each.

A file is a run of little-endian records ``float32 x, y, z; int32 type``
with no header, the type being one of smina's 28 atom types (0-27, see
:data:`voxelize_cy.gnina.SMINA_TYPES`).  molcache2 caches hold the same
records.  The readers check what libmolgrid does not: a size that is not a
whole number of records (a truncated file: libmolgrid drops the partial
record), a type outside 0-27 and a coordinate that is not finite are errors
that name the file and the atom.
"""

from __future__ import annotations

import os
from typing import Optional, Tuple, Union

import numpy as np

from voxelize_cy.gnina.errors import GninaDataError

__all__ = ["ATOM_RECORD", "NUM_SMINA_TYPES", "read_gninatypes", "write_gninatypes",
           "atoms_from_bytes", "atoms_to_bytes"]

#: One atom of a ``.gninatypes`` file or a molcache2 record.
ATOM_RECORD = np.dtype([("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("type", "<i4")])
#: smina's atom types are 0 .. NUM_SMINA_TYPES - 1.
NUM_SMINA_TYPES = 28

PathLike = Union[str, os.PathLike]


def atoms_from_bytes(data, where: str, listed_by: Optional[str] = None
                     ) -> Tuple[np.ndarray, np.ndarray]:
    """Coordinates ``(N, 3)`` float32 and smina types ``(N,)`` int32 of a run of
    atom records (``bytes``, ``memoryview`` or a uint8 array), copied.

    Raises
    ------
    GninaDataError
        A partial record, a type outside 0-27, a coordinate that is not
        finite; ``where`` names the file (and record) in the message.
    """
    size = len(data)
    if size % ATOM_RECORD.itemsize:
        raise GninaDataError(
            where, f"{size} bytes is not a whole number of {ATOM_RECORD.itemsize}-byte atom "
            f"records (x, y, z as float32, type as int32): the file is truncated or is "
            f"not gninatypes data", listed_by=listed_by,
            remedy="write it again (voxelize_cy.gnina.write_gninatypes) or restore it")
    records = np.frombuffer(data, dtype=ATOM_RECORD)
    types = records["type"].astype(np.int32)
    coords = np.empty((records.shape[0], 3), np.float32)
    coords[:, 0] = records["x"]
    coords[:, 1] = records["y"]
    coords[:, 2] = records["z"]
    bad = np.flatnonzero((types < 0) | (types >= NUM_SMINA_TYPES))
    if bad.size:
        atom = int(bad[0])
        raise GninaDataError(
            where, f"atom {atom} has type {int(types[atom])}; smina's atom types are 0-"
            f"{NUM_SMINA_TYPES - 1} (the file is damaged or is not gninatypes data)",
            listed_by=listed_by)
    finite = np.isfinite(coords).all(axis=1)
    if not finite.all():
        atom = int(np.flatnonzero(~finite)[0])
        raise GninaDataError(
            where, f"atom {atom} has coordinates {coords[atom].tolist()}; every coordinate "
            f"must be finite (the file is damaged)", listed_by=listed_by)
    return coords, types


def atoms_to_bytes(coords, types) -> bytes:
    """The atom records of ``coords`` ``(N, 3)`` and smina ``types`` ``(N,)``."""
    coords = np.asarray(coords, dtype=np.float64)
    types = np.asarray(types)
    if coords.ndim != 2 or coords.shape[1] != 3:
        raise ValueError(f"coords must be (N, 3), got shape {coords.shape}")
    if types.shape != (coords.shape[0],):
        raise ValueError(f"types must be ({coords.shape[0]},), got shape {types.shape}")
    if types.size and (types.dtype.kind not in "iu" or types.min() < 0
                       or types.max() >= NUM_SMINA_TYPES):
        raise ValueError(f"types must be smina types, integers 0-{NUM_SMINA_TYPES - 1}")
    if not np.isfinite(coords).all():
        raise ValueError("coords must be finite")
    records = np.empty(coords.shape[0], ATOM_RECORD)
    records["x"], records["y"], records["z"] = coords[:, 0], coords[:, 1], coords[:, 2]
    records["type"] = types
    return records.tobytes()


def read_gninatypes(path: PathLike, listed_by: Optional[str] = None
                    ) -> Tuple[np.ndarray, np.ndarray]:
    """Read a ``.gninatypes`` file.

    Parameters
    ----------
    path : path
    listed_by : str, optional
        Where the file was named (``"small.types, line 3"``), for messages.

    Returns
    -------
    coords : numpy.ndarray of float32, shape (N, 3)
        Å.
    types : numpy.ndarray of int32, shape (N,)
        smina atom types.

    Raises
    ------
    GninaDataError
        A missing, unreadable, truncated or damaged file.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise GninaDataError(path, "no such file", listed_by=listed_by) from None
    except IsADirectoryError:
        raise GninaDataError(path, "is a folder, not a .gninatypes file",
                             listed_by=listed_by) from None
    except PermissionError:
        raise GninaDataError(path, "permission denied", listed_by=listed_by) from None
    return atoms_from_bytes(data, path, listed_by)


def write_gninatypes(path: PathLike, coords, types) -> None:
    """Write atoms as a ``.gninatypes`` file (what :func:`read_gninatypes` and
    libmolgrid read back).

    Parameters
    ----------
    path : path
    coords : array of shape (N, 3)
        Å (stored as float32).
    types : integer array of shape (N,)
        smina atom types, 0-27.
    """
    data = atoms_to_bytes(coords, types)
    with open(path, "wb") as handle:
        handle.write(data)
