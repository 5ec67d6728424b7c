"""libmolgrid's Python API on voxelize_cy: ``import voxelize_cy.molgrid as molgrid``.

Holds libmolgrid's classes and functions under their names, over
``voxelize_cy.gnina``: grids (``_grids``: ``Grid*``, ``MGrid*``, ``float3``),
``Quaternion`` and ``Transform`` (``_transform``), ``CoordinateSet`` and
``Example`` (``_coords``), the typers (``_typers``), ``ExampleProvider``,
``ExampleDataset``, ``CoordCache`` and their settings (``_provider``),
``GridMaker`` and ``GridInterpolater`` (``_gridmaker``), OpenDX and AutoDock
map files (``_gridio``) and, with torch installed, the torch bindings
(``_torch``: ``tensor_as_grid``, ``Coords2Grid``, ``MolMapDataset``,
``MolIterDataset``).  Everything computes on the CPU, a batch on all cores
(``set_num_threads``); GPU calls raise ``NoGPUError`` saying what to use.

Where libmolgrid's behaviour is odd, this module keeps it, so that the same
script gives the same numbers: an element typer reads a stored smina type as
an atomic number, a ``none`` receptor leaves the ligand in the receptor's
channels of an index-typed grid, DX files put their origin half a voxel off.
``voxelize_cy.gnina`` is the same pipeline with these put right.

May import: ``voxelize_cy.gnina``.
"""

import importlib.util as _importlib_util

from voxelize_cy.molgrid._coords import CoordinateSet, CoordinateSetVec, Example, ExampleVec
from voxelize_cy.molgrid._gridio import (
    CartesianGrid,
    read_dx,
    read_dx_grids,
    write_dx,
    write_dx_grids,
    write_map,
)
from voxelize_cy.molgrid._gridmaker import (
    GridInterpolater,
    GridMaker,
    get_num_threads,
    set_num_threads,
)
from voxelize_cy.molgrid._grids import (
    GRID_CLASSES as _GRID_CLASSES,
    DoublePtr,
    FloatPtr,
    NoGPUError,
    float3,
    get_gpu_device,
    get_gpu_enabled,
    set_gpu_device,
    set_gpu_enabled,
    todoubleptr,
    tofloatptr,
    tonumpy,
)
from voxelize_cy.molgrid._provider import (
    CoordCache,
    ExampleDataset,
    ExampleProvider,
    ExampleProviderSettings,
    IterationScheme,
)
from voxelize_cy.molgrid._transform import Quaternion, Transform, set_random_seed
from voxelize_cy.molgrid._typers import (
    AtomTyper,
    ElementIndexTyper,
    FileAtomMapper,
    FileMappedElementTyper,
    FileMappedGninaTyper,
    GninaIndexTyper,
    GninaVectorTyper,
    NullIndexTyper,
    PythonCallbackIndexTyper,
    PythonCallbackVectorTyper,
    SubsetAtomMapper,
    SubsettedElementTyper,
    SubsettedGninaTyper,
    defaultGninaLigandTyper,
    defaultGninaReceptorTyper,
)

globals().update(_GRID_CLASSES)
StringVec = list
FloatVec = list
SizeVec = list

__version__ = "0.5.5"  # the libmolgrid API this module follows

_TORCH_NAMES = ("tensor_as_grid", "make_grid_tensor", "Coords2GridFunction",
                "Grid2CoordsGradientFunction", "BatchedCoords2GridFunction", "Coords2Grid",
                "MolMapDataset", "MolIterDataset", "MolDataset")


def make_grid_ndarray(gridmaker, center, c):
    """A new float32 array of the densities of a CoordinateSet."""
    return gridmaker.make_ndarray(center, c)


def __getattr__(name):  # the torch bindings, imported when first used
    if name in _TORCH_NAMES:
        try:
            from voxelize_cy.molgrid import _torch
        except ImportError:
            raise ImportError(f"molgrid.{name} needs torch: pip install "
                              f"'voxelize_cy[torch]'") from None
        return getattr(_torch, name)
    raise AttributeError(f"module 'voxelize_cy.molgrid' has no attribute {name!r}")


__all__ = sorted([
    "AtomTyper", "CartesianGrid", "CoordCache", "CoordinateSet", "CoordinateSetVec",
    "DoublePtr", "ElementIndexTyper", "Example", "ExampleDataset", "ExampleProvider",
    "ExampleProviderSettings", "ExampleVec", "FileAtomMapper", "FileMappedElementTyper",
    "FileMappedGninaTyper", "FloatPtr", "GninaIndexTyper", "GninaVectorTyper",
    "GridInterpolater", "GridMaker", "IterationScheme", "NoGPUError", "NullIndexTyper",
    "PythonCallbackIndexTyper", "PythonCallbackVectorTyper", "Quaternion",
    "SubsetAtomMapper", "SubsettedElementTyper", "SubsettedGninaTyper", "Transform",
    "defaultGninaLigandTyper", "defaultGninaReceptorTyper", "float3", "get_gpu_device",
    "get_gpu_enabled", "get_num_threads", "make_grid_ndarray", "read_dx", "read_dx_grids",
    "set_gpu_device", "set_gpu_enabled", "set_num_threads", "set_random_seed", "todoubleptr",
    "tofloatptr", "tonumpy", "write_dx", "write_dx_grids", "write_map",
    *_GRID_CLASSES,
    *(_TORCH_NAMES if _importlib_util.find_spec("torch") is not None else ())])
