"""moleculekit's property channels of one structure (runs in the moleculekit venv).

Usage (from make_property_channels_reference.py)::

    .venv-moleculekit/bin/python _moleculekit_worker.py IN.cif.gz OUT.npz

``Molecule(IN)``, ``mol.bonds = mol._getBonds()`` (the file's bonds and the
guessed ones), then ``getChannels(mol, validitychecks=False)`` (version 2:
OpenBabel's atom types mapped to PDBQT types).  Stores each atom's coordinates,
its 8 channels (hydrophobic, aromatic, acceptor, donor, positive ionizable,
negative ionizable, metal, occupancy) as booleans, its PDBQT type, and the
seconds moleculekit took.
"""

import sys
import time

import numpy as np


def main(path, out):
    from moleculekit.molecule import Molecule
    from moleculekit.tools.voxeldescriptors import getChannels

    started = time.perf_counter()
    mol = Molecule(path)
    mol.bonds = mol._getBonds()
    channels, typed = getChannels(mol, validitychecks=False)
    seconds = time.perf_counter() - started
    np.savez_compressed(
        out, coords=mol.coords[:, :, 0].astype(np.float32), channels=channels > 0,
        atomtype=np.array(typed.atomtype, dtype=str), seconds=np.float64(seconds),
        version=np.array(__import__("moleculekit").__version__))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
