"""See images over their structure in PyMOL: the plugin's import path.

``import voxelize_cy.pymol`` inside PyMOL, ``run`` of this file, or this file
installed as a plugin (its ``__init_plugin__``) registers the ``voxelize`` and
``load_voxels`` commands.  The code lives in ``voxelize_cy.pictures.pymol``
(PyMOL: ``pip install "voxelize_cy[pymol]"``).
"""

from voxelize_cy.pictures.pymol import (  # noqa: F401
    MAX_DRAWN_VOXELS,
    CmdException,
    __init_plugin__,
    cgo_outline,
    cgo_voxels,
    channel_colors,
    load_voxels,
    render_png,
    voxelize,
)

__all__ = ["voxelize", "load_voxels", "render_png", "cgo_voxels", "cgo_outline",
           "channel_colors", "CmdException", "MAX_DRAWN_VOXELS"]
