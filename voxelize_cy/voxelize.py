"""The original module's import path: its names, signatures and numbers.

``import voxelize_cy.voxelize as voxelize`` gives everything the original
pure-Python module exposes (``ImageParams``, ``Grid``, ``image_from_atoms``,
``_get_element_radius`` …), plus ``images_from_atoms``.  The code lives in
``voxelize_cy.images`` (``model`` and ``draw``).
"""

from voxelize_cy.images.draw import (  # noqa: F401
    AGGREGATIONS,
    FILLS,
    image_from_atoms,
    images_from_atoms,
)
from voxelize_cy.images.model import (  # noqa: F401
    Atom,
    Cube,
    Grid,
    Image,
    ImageParams,
    Sphere,
    _add_atom_to_image,
    _calc_sphere_cube_overlap_volume_A3,
    _discard_atoms_outside_image,
    _discard_voxels_outside_image,
    _find_voxels_containing_coords,
    _find_voxels_possibly_contacting_sphere,
    _get_element_channel,
    _get_element_radius,
    _get_max_element_radius,
    _get_voxel_center_coords,
    _make_atom,
    _make_cube,
    _make_empty_image,
)

#: Every name above: the original module's, its helper functions included
#: (``from voxelize_cy.voxelize import *`` gives what the package's root has).
__all__ = [
    "AGGREGATIONS", "Atom", "Cube", "FILLS", "Grid", "Image", "ImageParams", "Sphere",
    "_add_atom_to_image", "_calc_sphere_cube_overlap_volume_A3",
    "_discard_atoms_outside_image", "_discard_voxels_outside_image",
    "_find_voxels_containing_coords", "_find_voxels_possibly_contacting_sphere",
    "_get_element_channel", "_get_element_radius", "_get_max_element_radius",
    "_get_voxel_center_coords", "_make_atom", "_make_cube", "_make_empty_image",
    "image_from_atoms", "images_from_atoms",
]
