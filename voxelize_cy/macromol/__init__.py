"""macromol_voxelize's API on voxelize_cy's kernels.

Its users switch with one import line::

    import voxelize_cy.macromol as mmvox

Holds the API (``_api``: images, batches, channel and radius helpers,
``write_npz``), its parameters (``_params``: ``Grid``, ``ImageParams``, the fill
and aggregation algorithms, ``ValidationError``) and the reading of its polars
tables (``_table``).  Needs polars: ``pip install "voxelize_cy[macromol]"``.

May import: ``voxelize_cy.core``, ``voxelize_cy.chemistry``,
``voxelize_cy.images``.
"""

from voxelize_cy.macromol._api import (
    AggAlgorithm,
    FillAlgorithm,
    Grid,
    Image,
    ImageParams,
    ValidationError,
    add_atom_channel_by_expr,
    discard_atoms_outside_image,
    find_occupied_voxels,
    find_voxels_containing_coords,
    get_voxel_center_coords,
    image_from_all_atoms,
    image_from_atoms,
    images_from_atoms,
    set_atom_channels_by_element,
    set_atom_channels_by_set,
    set_atom_radius_A,
    write_npz,
)

__all__ = [
    "AggAlgorithm",
    "FillAlgorithm",
    "Grid",
    "Image",
    "ImageParams",
    "ValidationError",
    "add_atom_channel_by_expr",
    "discard_atoms_outside_image",
    "find_occupied_voxels",
    "find_voxels_containing_coords",
    "get_voxel_center_coords",
    "image_from_all_atoms",
    "image_from_atoms",
    "images_from_atoms",
    "set_atom_channels_by_element",
    "set_atom_channels_by_set",
    "set_atom_radius_A",
    "write_npz",
]
