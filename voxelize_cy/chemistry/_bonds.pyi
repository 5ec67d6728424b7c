"""Signatures of the compiled module voxelize_cy.chemistry._bonds (written by tests/test_stubs.py)."""

from typing import Any

from numpy.typing import NDArray

def bonded_pairs(xyz, radius_A, tolerance_A: float = ..., min_distance_A: float = ...) -> Any: ...
