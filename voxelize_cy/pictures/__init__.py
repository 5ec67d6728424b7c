"""Images a person can look at: PNG previews, maps for viewers, PyMOL.

Holds ``plotting`` (PNG previews, one panel per channel; matplotlib),
``maps`` (OpenDX and CCP4/MRC files), ``outputs`` (saving and loading an
image in the format its file name asks for) and ``pymol`` (PyMOL's
``voxelize`` and ``load_voxels`` commands, ray-traced 3D PNGs).  Their public
import paths are ``voxelize_cy.plotting``, ``voxelize_cy.maps`` and
``voxelize_cy.pymol``.

May import: ``voxelize_cy.core``, ``voxelize_cy.images``.
"""
