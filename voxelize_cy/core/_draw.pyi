"""Signatures of the compiled module voxelize_cy.core._draw (written by tests/test_stubs.py)."""

from typing import Any

from numpy.typing import NDArray

SIMD_PATHS: tuple
def simd_path(name = ...) -> Any: ...
def simd_paths() -> Any: ...
def first_quadrant_atan2(y, x) -> Any: ...
