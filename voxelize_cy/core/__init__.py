"""The compiled core: the exact overlap in C and the Cython kernels around it.

Holds the handwritten C (``src/``: the overlap and density routines, the
row scan, the codes every layer shares in ``src/codes.h``), built once as a
static library that each extension links; the geometry shared by the
kernels (``_geometry.pxd``); the readers of atom tables of every form
(``_strings``, ``_arrow_tables``, ``_numbers``, ``_sources``); channel lookup
(``_kinds``); row selection (``_select``); the drawing loops (``_draw``);
prepared tables (``_prepared``); exact gradients (``_gradients``); frames
(``_frames``); and the entry kernels (``_kernels``, images and batches under
``prange``).

The modules are private.  This ``__init__`` is the interface the other
subpackages use (the Python API over it is ``voxelize_cy.images``); the
``.pxd`` files are the interfaces between the modules, as numpy's
``random`` ``.pxd`` files are.

May import: nothing from voxelize_cy outside this folder (numpy, the C
library and OpenMP only).
"""

from voxelize_cy.core._arrow_tables import (
    export_table,
    frame_columns,
    polars_int_lists,
    polars_list_views,
    take_rows,
)
from voxelize_cy.core._codes import Aggregation, Fill, ImageStatus, Screen, SelectStatus
from voxelize_cy.core._frames import frame_numbers, frames_numbers, quaternion_transform_f32
from voxelize_cy.core._kernels import (
    DEBUG,
    LINETRACE,
    OPENMP,
    draw_batch,
    draw_image,
    find_atoms_in_box,
    gradients,
    max_threads,
    sphere_box_overlap_A3,
)
from voxelize_cy.core._kinds import ElementResolver
from voxelize_cy.core._numbers import (
    all_finite,
    check_rows,
    float64_column,
    largest,
    parse_floats,
    zero_fill,
)
from voxelize_cy.core._prepared import PreparedAtoms, prepare
from voxelize_cy.core._sources import (
    AtomSource,
    TableSource,
    bitmask_lists,
    channel_lists,
    pandas_columns,
    typed_rows,
)
from voxelize_cy.core._strings import ElementColumn, element_column, polars_element_column

__all__ = [
    "Aggregation", "AtomSource", "DEBUG", "ElementColumn", "ElementResolver", "Fill",
    "ImageStatus", "LINETRACE", "OPENMP", "PreparedAtoms", "Screen", "SelectStatus",
    "TableSource", "all_finite", "bitmask_lists", "channel_lists", "check_rows",
    "draw_batch", "draw_image", "element_column", "export_table", "find_atoms_in_box",
    "float64_column", "frame_columns", "frame_numbers", "frames_numbers", "gradients",
    "largest", "max_threads", "pandas_columns", "parse_floats", "polars_element_column",
    "polars_int_lists", "polars_list_views", "prepare", "quaternion_transform_f32",
    "sphere_box_overlap_A3", "take_rows", "typed_rows", "zero_fill",
]
