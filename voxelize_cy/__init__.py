"""voxelize_cy: exact, fast voxelization of atomic structures for machine learning.

A drop-in replacement for the original pure-Python ``voxelize`` module: change
the import line and keep the same names, signatures and numbers::

    from voxelize_cy import image_from_atoms, ImageParams, Grid

Additions: ``images_from_atoms`` (batches on all cores, float32, caller
buffers), rigid frames (``frame=``, ``random_frame``), ``atoms_from_file``
(mmCIF/PDB via gemmi, and a binary structure cache), ``example_atoms`` and
the ``voxelize-cy`` command line.
"""

__version__ = "0.2.0"


def _check_built():
    """An ImportError that says what to do when Python finds this package in
    its source tree, where the compiled extensions have not been built (for
    example ``python -c "import voxelize_cy"`` run in the repository after
    ``pip install .``: the source tree shadows the installed package)."""
    import importlib.machinery
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    # Looked for as files: importing voxelize_cy.core to ask would import them.
    built = any(os.path.exists(os.path.join(here, "core", "_kernels" + suffix))
                for suffix in importlib.machinery.EXTENSION_SUFFIXES)
    if not built and os.path.exists(os.path.join(here, "core", "_kernels.pyx")):
        raise ImportError(
            f"voxelize_cy is imported from its source tree ({here}), where its compiled "
            f"extensions are not built. Run Python from outside the source tree to use "
            f"the installed package, or build in place with `pip install -e .`"
        )


_check_built()

from voxelize_cy.chemistry.channel_sets import (  # noqa: E402
    CHANNEL_SETS,
    add_channels,
    atom_channels,
)
from voxelize_cy.core import DEBUG as _DEBUG  # noqa: E402
from voxelize_cy.core import LINETRACE as _LINETRACE  # noqa: E402
from voxelize_cy.core import OPENMP as _OPENMP  # noqa: E402
from voxelize_cy.images import ChannelPatternError  # noqa: E402
from voxelize_cy.images.frames import random_frame, random_frames, transform_atoms  # noqa: E402
from voxelize_cy.images.gradients import atom_gradients  # noqa: E402
from voxelize_cy.images.prepared import PreparedAtoms, prepare_atoms  # noqa: E402
from voxelize_cy.io.example import example_atoms  # noqa: E402
from voxelize_cy.io.files import atoms_from_file, write_b_factors  # noqa: E402
from voxelize_cy.io.shards import StructureCache, convert_to_shards  # noqa: E402

# The original module's names (its data model, helpers and image_from_atoms).
from voxelize_cy.voxelize import *  # noqa: E402, F401, F403

__all__ = [
    "Atom",
    "CHANNEL_SETS",
    "ChannelPatternError",
    "Cube",
    "Grid",
    "Image",
    "ImageParams",
    "PreparedAtoms",
    "StructureCache",
    "Sphere",
    "add_channels",
    "atom_channels",
    "atom_gradients",
    "atoms_from_file",
    "build_info",
    "convert_to_shards",
    "example_atoms",
    "image_from_atoms",
    "images_from_atoms",
    "prepare_atoms",
    "random_frame",
    "random_frames",
    "transform_atoms",
    "write_b_factors",
]


def build_info() -> dict:
    """How this installation was built.

    Returns
    -------
    dict
        ``{'openmp': bool, 'linetrace': bool, 'debug': bool, 'version': str}``:
        OpenMP compiled in, Cython line tracing on (VOXELIZE_CY_LINETRACE=1),
        bounds checks and sanitizers on (VOXELIZE_CY_DEBUG=1).
    """
    return {"openmp": _OPENMP, "linetrace": _LINETRACE, "debug": _DEBUG,
            "version": __version__}
