"""Signatures of the compiled module voxelize_cy.core._codes (written by tests/test_stubs.py)."""

import enum
from typing import Any

from numpy.typing import NDArray

class Aggregation(enum.IntEnum):
    AGG_SUM = 0; AGG_MAX = 1; AGG_SUM_WIDE = 2


class Fill(enum.IntEnum):
    FILL_FRACTION_ATOM = 0; FILL_OVERLAP_A3 = 1; FILL_FRACTION_VOXEL = 2
    FILL_GAUSSIAN = 3; FILL_BINARY = 4


class ImageStatus(enum.IntEnum):
    IMAGE_OK = 0; IMAGE_NO_CHANNEL = 1; IMAGE_NO_RADIUS = 2; IMAGE_NO_MEMORY = 3
    IMAGE_BAD_CHANNEL = 4; IMAGE_BAD_ROWS = 5; IMAGE_BAD_CODE = 6; IMAGE_NOT_STR = 7
    IMAGE_BAD_RADIUS = 8; IMAGE_RADIUS_ABOVE_MAX = 9


class Screen(enum.IntEnum):
    SCREEN_NONE = 0; SCREEN_ORIGINAL = 1; SCREEN_FINITE = 2


class SelectStatus(enum.IntEnum):
    SELECT_OK = 0; SELECT_NO_MEMORY = -1; SELECT_BAD_ROWS = -2
