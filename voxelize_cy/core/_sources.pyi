"""Signatures of the compiled module voxelize_cy.core._sources (written by tests/test_stubs.py)."""

from typing import Any

from numpy.typing import NDArray

from voxelize_cy.core._strings import ElementColumn

class AtomSource:
    def __init__(self, *args, **kwargs) -> None: ...
    n_rows: Any
    has_elements: Any
    def n_source_rows(self) -> int: ...


class TableSource(AtomSource):
    def __init__(self, x, y, z, occupancy, elements: ElementColumn | None = ..., radius = ..., channel_start = ..., channels = ...) -> None: ...
    x: Any
    y: Any
    z: Any
    occupancy: Any
    elements_column: Any
    radius: Any
    channel_start: Any
    channels: Any
    elements: Any

def _contiguous(array, dtype, name, n) -> Any: ...
def float64_column(column, name: str) -> Any: ...
def pandas_columns(df, names: tuple) -> Any: ...
def channel_lists(channel, n_channels: int) -> Any: ...
def bitmask_lists(mask, n_channels: int) -> Any: ...
def typed_rows(coords: list, types: list, radii: list, offsets: NDArray, n_channels: int) -> Any: ...
