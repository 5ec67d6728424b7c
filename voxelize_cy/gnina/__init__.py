"""gnina's training data: ``.types`` files, ``.gninatypes``, molcache2, sampling, grids.

Holds the file formats (``types_file``: ``read_types``; ``gninatypes``;
``molcache``: ``MolCache2``, ``write_molcache2``; ``convert``:
``molcache_from_types``), the atom typers (``atom_typers``, on stored smina
types and on OpenBabel atoms), typed coordinate sets (``coordinates``:
``TypedAtoms``, ``merge``), molecule files (``molecules``), the cache of typed
sets by file name (``store``), libmolgrid's sampling orders and epochs
(``sampling``), examples and their provider (``examples``: ``GninaExamples``),
compact batches of them for DataLoader workers (``batches``: ``ExampleBatch``)
and grids of them on voxelize_cy's batch kernels (``grids``:
``GninaGridder``, Gaussian, binary or exact, with gradients).  Errors are
``GninaDataError``, naming the file and the ``.types`` line (``errors``).
libmolgrid's own Python API over this is ``voxelize_cy.molgrid``.

May import: ``voxelize_cy.core``, ``voxelize_cy.chemistry``,
``voxelize_cy.images``, ``voxelize_cy.io``.
"""

from voxelize_cy.gnina.atom_typers import (
    DEFAULT_LIGAND_TYPER,
    DEFAULT_RECEPTOR_TYPER,
    GNINA_VECTOR_NAMES,
    AtomTyper,
    CallbackIndexTyper,
    CallbackVectorTyper,
    ElementTyper,
    FileAtomMapper,
    GninaTyper,
    GninaVectorTyper,
    IndexTyper,
    MappedTyper,
    NullTyper,
    SubsetAtomMapper,
    VectorTyper,
    covalent_radius_A,
)
from voxelize_cy.gnina.batches import ExampleBatch
from voxelize_cy.gnina.convert import molcache_from_types
from voxelize_cy.gnina.coordinates import TypedAtoms, merge
from voxelize_cy.gnina.errors import GninaDataError
from voxelize_cy.gnina.examples import (
    ITERATION_SCHEMES,
    ExampleExtractor,
    GninaExample,
    GninaExamples,
)
from voxelize_cy.gnina.gninatypes import (
    ATOM_RECORD,
    NUM_SMINA_TYPES,
    read_gninatypes,
    write_gninatypes,
)
from voxelize_cy.gnina.grids import GRID_FILLS, GninaGridder, density_at
from voxelize_cy.gnina.molcache import MolCache2, write_molcache2
from voxelize_cy.gnina.molecules import atoms_of_obmol, have_openbabel, read_molecule
from voxelize_cy.gnina.sampling import SamplerSettings, make_sampler
from voxelize_cy.gnina.store import CoordinateStore
from voxelize_cy.gnina.types_file import ExampleTable, read_types
from voxelize_cy.gnina.verify import verify_types
from voxelize_cy.images import rotate_points_f32  # libmolgrid's Transform arithmetic

__all__ = [
    "rotate_points_f32", "verify_types", "ATOM_RECORD", "AtomTyper", "CallbackIndexTyper", "CallbackVectorTyper",
    "CoordinateStore", "DEFAULT_LIGAND_TYPER", "ExampleBatch", "DEFAULT_RECEPTOR_TYPER", "ElementTyper",
    "ExampleExtractor", "ExampleTable", "FileAtomMapper", "GNINA_VECTOR_NAMES",
    "GRID_FILLS", "GninaDataError", "GninaExample", "GninaExamples", "GninaGridder",
    "GninaTyper", "GninaVectorTyper", "ITERATION_SCHEMES", "IndexTyper", "MappedTyper",
    "MolCache2", "NUM_SMINA_TYPES", "NullTyper", "SamplerSettings", "SubsetAtomMapper",
    "TypedAtoms", "VectorTyper", "atoms_of_obmol", "covalent_radius_A", "density_at",
    "have_openbabel", "make_sampler", "merge", "molcache_from_types", "read_gninatypes",
    "read_molecule", "read_types", "write_gninatypes", "write_molcache2",
]
