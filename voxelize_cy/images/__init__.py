"""The Python API over the compiled core: from atom tables to images.

Holds the original module's data model (``model``: ``Grid``, ``ImageParams``,
``Atom`` and its helper functions), the checks every entry point makes
(``_checks``, ``_resolved``), the reading of pandas, polars and dict tables
into the kernels' sources (``_tables``), the entry points that draw
(``draw``: ``image_from_atoms``, ``images_from_atoms``), exact gradients
(``gradients``), prepared tables (``prepared``), rigid frames (``frames``),
image parameters written as text (``text_params``, shared by the command
line and PyMOL), and images of atoms typed beforehand, each with its own
channels, radius and weight (``typed``: gnina's data).

Other subpackages use what this ``__init__`` exports (and the public modules
``draw``, ``model``, ``frames``, ``gradients``, ``prepared``, ``typed``,
``text_params``), never a private module.

May import: ``voxelize_cy.core``, ``voxelize_cy.chemistry``.
"""

from voxelize_cy.images._call import (
    AGGREGATIONS,
    FILLS,
    STATUS_ERRORS,
    KernelModes,
    RowReport,
    kernel_modes,
    run_kernel,
)
from voxelize_cy.images._checks import ChannelPatternError, check_image_size, density_options
from voxelize_cy.images.frames import random_frame, rotate_points_f32
from voxelize_cy.images.typed import (
    TypedSource,
    gradients_of_typed,
    images_from_typed,
    rows_in_reach,
    typed_source_of,
    typed_source_of_sets,
    typed_sources_of_batch,
)

__all__ = ["AGGREGATIONS", "FILLS", "STATUS_ERRORS", "KernelModes", "RowReport",
           "kernel_modes", "run_kernel", "ChannelPatternError", "TypedSource", "check_image_size", "density_options",
            "gradients_of_typed", "images_from_typed", "random_frame",
           "rotate_points_f32", "rows_in_reach", "typed_source_of", "typed_source_of_sets",
           "typed_sources_of_batch"]
