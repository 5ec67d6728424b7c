"""Write tests/data/moleculekit/: moleculekit's property channels of the six structures.

The reference of the ``properties`` channel set (voxelize_cy.chemistry.property_channels):
moleculekit (with openbabel-wheel, in its own venv ``profiling/.venv-moleculekit``,
made on first use) reads each structure of tests/data/structures,
``mol.bonds = mol._getBonds()``, and ``getChannels(mol, validitychecks=False)``
types it (``_moleculekit_worker.py``).  moleculekit's atoms are matched to the
rows of ``voxelize_cy.atoms_from_file(path, names=True)`` by their coordinates
(it keeps the first alternate location only: the other rows have no reference).

Per structure (``<id>.npz``): ``channels`` (rows x 8, bool), ``typed`` (the rows
moleculekit typed), moleculekit's PDBQT type per row, and its seconds.
``manifest.json``: the channel names and versions.

Usage::

    python profiling/make_property_channels_reference.py   # rewrites tests/data/moleculekit/
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from _workloads import REPO_ROOT, STRUCTURES
from make_gnina_types_reference import match_rows

import voxelize_cy as vc
from voxelize_cy.chemistry.property_channels import PROPERTY_CHANNELS

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-moleculekit"
PACKAGES = ["moleculekit", "openbabel-wheel"]
OUT = REPO_ROOT / "tests" / "data" / "moleculekit"


def moleculekit_python() -> Path:
    """The moleculekit venv's python, made on first use."""
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"making {VENV} ({' '.join(PACKAGES)}) ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PACKAGES], check=True)
    return python


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    python = moleculekit_python()
    manifest = {"channels": list(PROPERTY_CHANNELS), "structures": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(STRUCTURES.glob("*.cif.gz")):
            name = path.name.split(".")[0]
            out = Path(tmp) / f"{name}.npz"
            subprocess.run([str(python), str(HERE / "_moleculekit_worker.py"), str(path),
                            str(out)], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            result = np.load(out)
            atoms = vc.atoms_from_file(path, names=True)
            rows = match_rows(atoms[["x", "y", "z"]].to_numpy(), result["coords"])
            found = rows >= 0
            channels = np.zeros((len(atoms), len(PROPERTY_CHANNELS)), bool)
            channels[rows[found]] = result["channels"][found]
            typed = np.zeros(len(atoms), bool)
            typed[rows[found]] = True
            pdbqt = np.full(len(atoms), "", dtype="<U4")
            pdbqt[rows[found]] = result["atomtype"][found]
            np.savez_compressed(OUT / f"{name}.npz", channels=channels, typed=typed,
                                pdbqt_type=pdbqt, seconds=result["seconds"])
            manifest["moleculekit"] = str(result["version"])
            manifest["structures"][name] = {"rows": len(atoms), "typed": int(typed.sum()),
                                            "seconds": round(float(result["seconds"]), 3)}
            print(name, manifest["structures"][name])
    info = subprocess.run([str(python), "-c", "from openbabel import openbabel as ob; "
                           "print(ob.OBReleaseVersion())"], capture_output=True, text=True)
    manifest["openbabel"] = info.stdout.strip().splitlines()[-1]
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
