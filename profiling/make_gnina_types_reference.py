"""Write tests/data/gnina_types/: libmolgrid's atom types of the six structures.

The reference of ``voxelize_cy.chemistry.channel_sets``' gnina channel sets, typed as
gnina types them: gemmi writes each structure of tests/data/structures as PDB
(from mmCIF OpenBabel fails to perceive 1qjg's aromatic rings), OpenBabel
(openbabel-wheel, in the molgrid venv bench_molgrid.py makes) reads it and adds
hydrogens (``addh()``), and ``molgrid.CoordinateSet(mol, typer)`` types it
(``_gnina_types_worker.py``).  OpenBabel's atoms are matched to the rows of
``voxelize_cy.atoms_from_file(path, names=True)`` by their coordinates.

Per structure (``<id>.npz``), one entry per row of that table (-1: no type,
a hydrogen for the 14-channel sets, or an atom OpenBabel did not read):
``smina`` (GninaIndexTyper, 28 types), ``receptor`` and ``ligand``
(defaultGninaReceptorTyper / defaultGninaLigandTyper, 14 channels each) with
their radii, ``element`` (ElementIndexTyper) with its radius, and the seconds
OpenBabel took to read the file and add hydrogens.  ``manifest.json``: the
channel names and per-type radii of each typer, and the versions.

Usage::

    python profiling/make_gnina_types_reference.py     # rewrites tests/data/gnina_types/
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from _workloads import REPO_ROOT, STRUCTURES
from bench_molgrid import HERE, molgrid_python

import voxelize_cy as vc

OUT = REPO_ROOT / "tests" / "data" / "gnina_types"
TYPERS = ("smina", "receptor", "ligand", "element")


def coordinate_keys(coords) -> np.ndarray:
    """Coordinates in units of 0.001 Å as int64 triples packed in one key."""
    milli = np.round(np.asarray(coords, dtype=np.float64) * 1000).astype(np.int64)
    milli += 2_000_000  # PDB coordinates lie within +-1e6 mÅ
    return (milli[:, 0] * 4_000_000 + milli[:, 1]) * 4_000_000 + milli[:, 2]


def match_rows(table_coords, typed_coords) -> np.ndarray:
    """For each typed atom, the table row at the same coordinates (-1: none);
    rows at equal coordinates are taken in order."""
    free = {}
    for row, key in enumerate(coordinate_keys(table_coords).tolist()):
        free.setdefault(key, []).append(row)
    rows = np.full(len(typed_coords), -1, dtype=np.int64)
    for i, key in enumerate(coordinate_keys(typed_coords).tolist()):
        if free.get(key):
            rows[i] = free[key].pop(0)
    return rows


def reference_of(path, tmp):
    """(arrays per table row, typer info) of one structure."""
    import gemmi

    atoms = vc.atoms_from_file(path, names=True)
    structure = gemmi.read_structure(str(path))
    pdb = Path(tmp) / (path.name.split(".")[0] + ".pdb")
    pdb.write_text(structure.make_pdb_string())
    typed = Path(tmp) / "typed.npz"
    subprocess.run([str(molgrid_python()), str(HERE / "_gnina_types_worker.py"), str(pdb),
                    str(typed)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    result = np.load(typed)
    coords = atoms[["x", "y", "z"]].to_numpy()
    n = len(atoms)
    arrays = {"n_rows": np.int64(n),
              "openbabel_seconds": np.float64(result["read_seconds"] + result["addh_seconds"])}
    info = {"openbabel": str(result["openbabel"])}
    for typer in TYPERS:
        typed_coords = result[f"{typer}/coords"]
        if typer in ("smina", "element"):  # every atom: OpenBabel's read atoms come first
            typed_coords = typed_coords[:int(result["n_read"])]
        rows = match_rows(coords, typed_coords)
        found = rows >= 0
        types = np.full(n, -1, dtype=np.int8)
        radii = np.zeros(n, dtype=np.float32)
        types[rows[found]] = result[f"{typer}/types"][:len(rows)][found]
        radii[rows[found]] = result[f"{typer}/radii"][:len(rows)][found]
        arrays[typer] = types
        arrays[f"{typer}_radius_A"] = radii
        info[typer] = {"names": result[f"{typer}/names"].tolist(),
                       "type_radii_A": [float(r) for r in result[f"{typer}/type_radii"]]}
    arrays["read_by_openbabel"] = arrays["smina"] >= 0
    return arrays, info


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = {"structures": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(STRUCTURES.glob("*.cif.gz")):
            name = path.name.split(".")[0]
            arrays, info = reference_of(path, tmp)
            np.savez_compressed(OUT / f"{name}.npz", **arrays)
            manifest["openbabel"] = info.pop("openbabel")
            manifest["typers"] = info
            manifest["structures"][name] = {
                "rows": int(arrays["n_rows"]),
                "read_by_openbabel": int(arrays["read_by_openbabel"].sum()),
                "openbabel_seconds": round(float(arrays["openbabel_seconds"]), 3)}
            print(name, manifest["structures"][name])
    info = subprocess.run([str(molgrid_python()), "-c", "import molgrid, numpy; "
                           "print(molgrid.__version__ if hasattr(molgrid, '__version__') "
                           "else '?', numpy.__version__)"], capture_output=True, text=True)
    manifest["molgrid"], manifest["molgrid_numpy"] = info.stdout.split()[-2:]
    manifest["gemmi"] = __import__("gemmi").__version__
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
