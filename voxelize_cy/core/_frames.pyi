"""Signatures of the compiled module voxelize_cy.core._frames (written by tests/test_stubs.py)."""

from typing import Any

from numpy.typing import NDArray

def frame_numbers(frame, what: str = ...) -> Any: ...
def frames_numbers(frames) -> Any: ...
