"""Type structures with libmolgrid's typers as gnina does (runs in the molgrid venv).

Usage (from make_gnina_types_reference.py)::

    .venv-molgrid/bin/python _gnina_types_worker.py IN.pdb OUT.npz

OpenBabel (openbabel-wheel, ``pybel``) reads the PDB file, adds hydrogens
(``addh()``), and ``molgrid.CoordinateSet(mol, typer)`` types it with
``GninaIndexTyper`` (the 28 smina types), ``defaultGninaReceptorTyper``,
``defaultGninaLigandTyper`` and ``ElementIndexTyper``.  The output holds, for
each typer, the coordinates of the atoms it kept, their type indices and
radii, plus the typers' channel names and the seconds OpenBabel took.
"""

import sys
import time

import molgrid
import numpy as np
from openbabel import openbabel as ob
from openbabel import pybel

TYPERS = {
    "smina": molgrid.GninaIndexTyper(),
    "receptor": molgrid.defaultGninaReceptorTyper,
    "ligand": molgrid.defaultGninaLigandTyper,
    "element": molgrid.ElementIndexTyper(84),
}


def main(pdb_path, out_path):
    ob.obErrorLog.SetOutputLevel(0)
    started = time.perf_counter()
    with open(pdb_path) as handle:
        mol = pybel.readstring("pdb", handle.read())
    read_s = time.perf_counter() - started
    n_read = len(mol.atoms)
    mol.addh()
    typed_s = time.perf_counter() - started
    arrays = {"read_seconds": np.float64(read_s), "addh_seconds": np.float64(typed_s - read_s),
              "n_read": np.int64(n_read), "n_with_h": np.int64(len(mol.atoms)),
              "openbabel": np.array(ob.OBReleaseVersion()),
              "molgrid": np.array(molgrid.__version__ if hasattr(molgrid, "__version__") else "")}
    for name, typer in TYPERS.items():
        cs = molgrid.CoordinateSet(mol, typer)
        arrays[f"{name}/coords"] = cs.coords.tonumpy().astype(np.float32)
        arrays[f"{name}/types"] = cs.type_index.tonumpy().astype(np.int16)
        arrays[f"{name}/radii"] = cs.radii.tonumpy().astype(np.float32)
        arrays[f"{name}/names"] = np.array(list(typer.get_type_names()))
        arrays[f"{name}/type_radii"] = np.array(list(typer.get_type_radii()), dtype=np.float32)
    # Which atoms OpenBabel read from the file (before addh), in file order.
    arrays["read/coords"] = np.array([a.coords for a in mol.atoms[:n_read]], dtype=np.float32)
    arrays["read/atomic_numbers"] = np.array([a.atomicnum for a in mol.atoms[:n_read]],
                                             dtype=np.int16)
    np.savez_compressed(out_path, **arrays)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
