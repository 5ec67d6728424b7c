"""Signatures of the compiled module voxelize_cy.core._kinds (written by tests/test_stubs.py)."""

from typing import Any

from numpy.typing import NDArray

from voxelize_cy.core._strings import ElementColumn

class KindSpace:
    def __init__(self, column: ElementColumn) -> None: ...
    column: Any
    strings: Any


class ElementResolver:
    def __init__(self, channels: list, radii: Any, one_radius: bool, max_radius_A: float) -> None: ...
    channels: Any
    radii: Any
    max_radius_A: Any
    n_channels: Any
    def lookup(self, element: str) -> tuple: ...


class KindTables:
    def __init__(self, resolver: ElementResolver, channel_cache: Any) -> None: ...
    def as_arrays(self) -> Any: ...
    resolver: Any
    n_resolved: Any
    def update(self, strings: list) -> int: ...

_MISSING: Any
