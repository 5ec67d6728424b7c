"""Structures in: mmCIF and PDB files, the binary cache, the sharded cache.

Holds ``files`` (``atoms_from_file``, ``write_b_factors``: gemmi reads and
writes structure files), ``cache`` (one Arrow IPC file per structure),
``convert`` (structure files into the cache on all cores), ``shards``
(``StructureCache`` and ``convert_to_shards``: many structures per file and an
index, converted on a process pool, Dask or Ray; ``repair_shards`` and
``verify_shards``), ``integrity`` (the format version, checksums, the checks
of a lookup and ``CacheError``, which names the file and the remedy) and
``example`` (the built-in peptide).

May import: ``voxelize_cy.core``.
"""

from voxelize_cy.io.cache import (
    CACHE_SUFFIXES,
    cache_name,
    read_cache,
    write_atomically,
    write_cache,
)
from voxelize_cy.io.convert import ConvertResult, convert_structures
from voxelize_cy.io.example import EXAMPLE_SEQUENCE, example_atoms
from voxelize_cy.io.files import atoms_from_file, write_b_factors
from voxelize_cy.io.integrity import (
    FORMAT_VERSION,
    CacheError,
    DataFileError,
    structure_checksum,
)
from voxelize_cy.io.shards import (
    INDEX_NAME,
    RayExecutor,
    RepairReport,
    StructureCache,
    convert_to_shards,
    repair_shards,
    verify_shards,
)

__all__ = [
    "CACHE_SUFFIXES",
    "CacheError",
    "ConvertResult",
    "DataFileError",
    "FORMAT_VERSION",
    "INDEX_NAME",
    "RepairReport",
    "EXAMPLE_SEQUENCE",
    "RayExecutor",
    "StructureCache",
    "atoms_from_file",
    "cache_name",
    "convert_structures",
    "convert_to_shards",
    "example_atoms",
    "read_cache",
    "repair_shards",
    "structure_checksum",
    "verify_shards",
    "write_atomically",
    "write_b_factors",
    "write_cache",
]
