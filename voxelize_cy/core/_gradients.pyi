"""Signatures of the compiled module voxelize_cy.core._gradients (written by tests/test_stubs.py)."""

from typing import Any

from numpy.typing import NDArray
