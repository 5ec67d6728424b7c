"""Signatures of the compiled module voxelize_cy.core._prepared (written by tests/test_stubs.py)."""

from typing import Any

from numpy.typing import NDArray

from voxelize_cy.core._sources import AtomSource, TableSource

class PreparedAtoms(AtomSource):
    def __init__(self, *args, **kwargs) -> None: ...
    def __len__(self, *args: Any, **kwargs: Any) -> Any: ...
    def to_pandas(self) -> Any: ...
    cell_A: Any
    cells: Any
    bounds_A: Any
    nbytes: Any
    x: Any
    y: Any
    z: Any
    occupancy: Any
    row: Any
    code: Any
    cell_start: Any
    kinds: Any
    element_type: Any
    not_str_values: Any
    def n_source_rows(self) -> int: ...

DEFAULT_CELL_A: float
MAX_CELLS_PER_ATOM: int
def _restore(x, y, z, occupancy, row, code, cell_start, kinds, origin, cell, dims, n_source_rows, element_type = ..., not_str_values = ...) -> Any: ...
def prepare(source: TableSource, cell_A: float) -> Any: ...
