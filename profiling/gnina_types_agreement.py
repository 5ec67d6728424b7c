"""How well voxelize_cy's channel sets agree with libmolgrid's typers (the gnina sets)
and moleculekit's getChannels (``properties``), and how long typing takes next to
OpenBabel and moleculekit, on the six structures of tests/data.

The reference types are tests/data/gnina_types/ (written by
make_gnina_types_reference.py: OpenBabel reads gemmi's PDB, adds hydrogens, and
libmolgrid's CoordinateSet types it).  For each structure: heavy atoms of the 20
standard amino acids ("protein") and the others ("rest") that get the same
smina type; the four channel sets over all atoms; every disagreeing atom; our
typing time (``voxelize_cy.atom_channels``, median of 5) and, in the same run,
OpenBabel's time to read the PDB and add hydrogens (in the molgrid venv that
bench_molgrid.py makes; skipped when it cannot be made).

For ``properties``: the atoms moleculekit typed (tests/data/moleculekit/, written by
make_property_channels_reference.py) that get all eight channels right, per
channel, the kinds of disagreement (residue, atom, channels), and our time next to
moleculekit's ``getChannels`` in the same run (in the venv that script makes;
skipped when it cannot be made).

Usage::

    python profiling/gnina_types_agreement.py     # writes results/gnina_types_agreement.txt
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _workloads import REPO_ROOT, STRUCTURES

import voxelize_cy as vc
from voxelize_cy.chemistry.gnina_types import SMINA_TYPES

HERE = Path(__file__).resolve().parent
REFERENCE = REPO_ROOT / "tests" / "data" / "gnina_types"
PROTEIN = {"ALA", "ARG", "ASN", "ASP", "CYS", "GLN", "GLU", "GLY", "HIS", "ILE", "LEU",
           "LYS", "MET", "PHE", "PRO", "SER", "THR", "TRP", "TYR", "VAL"}
SETS = {"gnina-smina": "smina", "gnina-receptor": "receptor", "gnina-ligand": "ligand",
        "gnina-element": "element"}


def openbabel_seconds(path, tmp):
    """OpenBabel's seconds to read gemmi's PDB of ``path`` and add hydrogens
    (None without the molgrid venv)."""
    import gemmi

    try:
        from bench_molgrid import molgrid_python

        python = molgrid_python()
    except Exception as err:  # no network, no venv: say so, time the rest
        print(f"(no OpenBabel timing: {err})", file=sys.stderr)
        return None
    pdb = Path(tmp) / (path.name.split(".")[0] + ".pdb")
    pdb.write_text(gemmi.read_structure(str(path)).make_pdb_string())
    out = Path(tmp) / "typed.npz"
    subprocess.run([str(python), str(HERE / "_gnina_types_worker.py"), str(pdb), str(out)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = np.load(out)
    return float(result["read_seconds"] + result["addh_seconds"])


def main():
    manifest = json.loads((REFERENCE / "manifest.json").read_text())
    lines = ["$ python profiling/gnina_types_agreement.py",
             f"CPU: {vc_cpu()}; Python {platform.python_version()}; voxelize_cy "
             f"{vc.__version__}; reference: OpenBabel {manifest['openbabel']}, libmolgrid "
             f"{manifest['molgrid']}",
             "",
             f"{'structure':<9} {'protein agree':>18} {'rest agree':>16} "
             + " ".join(f"{name:>15}" for name in SETS)
             + f" {'ours ms':>8} {'OpenBabel ms':>13}"]
    totals = {"protein": [0, 0], "rest": [0, 0]}
    disagreements = []
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(STRUCTURES.glob("*.cif.gz")):
            name = path.name.split(".")[0]
            atoms = vc.atoms_from_file(path, names=True)
            ref = np.load(REFERENCE / f"{name}.npz")
            times, channels = [], {}
            for _ in range(5):
                start = time.perf_counter()
                channels["gnina-smina"] = vc.atom_channels(atoms, "gnina-smina")[0]
                times.append(time.perf_counter() - start)
            for set_name in SETS:
                channels[set_name] = vc.atom_channels(atoms, set_name)[0]
            ours = channels["gnina-smina"]
            heavy = ~atoms["element"].isin(["H", "D"]).to_numpy()
            protein = atoms["monomer"].isin(PROTEIN).to_numpy()
            row = {}
            for kind, mask in (("protein", heavy & protein), ("rest", heavy & ~protein)):
                agree = int((ours == ref["smina"])[mask].sum())
                totals[kind][0] += agree
                totals[kind][1] += int(mask.sum())
                row[kind] = (agree, int(mask.sum()))
            sets = {s: float((channels[s] == ref[k]).mean()) for s, k in SETS.items()}
            ob = openbabel_seconds(path, tmp)
            ours_ms = statistics.median(times) * 1e3
            results[name] = {"protein": row["protein"], "rest": row["rest"], "sets": sets,
                             "ours_ms": ours_ms,
                             "openbabel_ms": None if ob is None else ob * 1e3}
            cells = [f"{a}/{n} ({a / n:.2%})" if n else "-" for a, n in
                     (row["protein"], row["rest"])]
            lines.append(f"{name:<9} {cells[0]:>18} {cells[1]:>16} "
                         + " ".join(f"{v:>15.4%}" for v in sets.values())
                         + f" {ours_ms:>8.1f} {'-' if ob is None else f'{ob * 1e3:.0f}':>13}")
            for r in np.flatnonzero(ours != ref["smina"]):
                disagreements.append(
                    f"{name} row {r}: {atoms['monomer'][r]} {atoms['residue'][r]} "
                    f"{atoms['atom_name'][r]}{'/' + atoms['alt'][r] if atoms['alt'][r] else ''}"
                    f": libmolgrid {SMINA_TYPES[ref['smina'][r]]}, ours "
                    f"{SMINA_TYPES[ours[r]]}")
    lines.append("")
    for kind in ("protein", "rest"):
        agree, n = totals[kind]
        lines.append(f"all six, {kind} heavy atoms: {agree}/{n} agree ({agree / n:.3%})")
    lines += ["", f"disagreements ({len(disagreements)}):"] + [f"  {d}" for d in disagreements]
    lines += [""] + property_lines(results)
    lines += ["",
              "protein: heavy atoms of the 20 standard amino acids; rest: other heavy atoms "
              "(nucleotides, ligands, waters, ions); set columns: all atoms, hydrogens "
              "included; ours ms: voxelize_cy.atom_channels(atoms, 'gnina-smina'), median of "
              "5; OpenBabel ms: reading gemmi's PDB and addh(), in the molgrid venv, "
              "same run; properties: every atom moleculekit typed (hydrogens included; it "
              "keeps the first alternate location), ours ms: property_channels(atoms), "
              "median of 3; moleculekit ms: Molecule(path), _getBonds() and getChannels(), "
              "in its venv, same run"]
    text = "\n".join(lines) + "\n"
    print(text)
    out = HERE / "results" / "gnina_types_agreement.txt"
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")


def moleculekit_seconds(path, tmp):
    """moleculekit's seconds for getChannels on ``path`` (None without its venv)."""
    try:
        from make_property_channels_reference import moleculekit_python

        python = moleculekit_python()
    except Exception as err:
        print(f"(no moleculekit timing: {err})", file=sys.stderr)
        return None
    out = Path(tmp) / "mk.npz"
    subprocess.run([str(python), str(HERE / "_moleculekit_worker.py"), str(path), str(out)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return float(np.load(out)["seconds"])


def property_lines(results):
    """The ``properties`` set against moleculekit (all atoms moleculekit typed)."""
    from collections import Counter

    from voxelize_cy.chemistry.property_channels import (
        PROPERTY_CHANNELS,
        property_channels,
    )

    reference = REPO_ROOT / "tests" / "data" / "moleculekit"
    lines = ["properties against moleculekit's getChannels (all eight channels right):",
             f"{'structure':<9} {'protein agree':>20} {'rest agree':>18} {'ours ms':>8} "
             f"{'moleculekit ms':>15}"]
    totals = {"protein": [0, 0], "rest": [0, 0]}
    per_channel = np.zeros(8)
    n_typed = 0
    kinds = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(STRUCTURES.glob("*.cif.gz")):
            name = path.name.split(".")[0]
            atoms = vc.atoms_from_file(path, names=True)
            ref = np.load(reference / f"{name}.npz")
            times = []
            for _ in range(3):
                start = time.perf_counter()
                ours, _ = property_channels(atoms)
                times.append(time.perf_counter() - start)
            typed = ref["typed"]
            same = (ours == ref["channels"]).all(axis=1)
            protein = atoms["monomer"].isin(PROTEIN).to_numpy()
            cells, counts = [], {}
            for kind, mask in (("protein", typed & protein), ("rest", typed & ~protein)):
                agree, n = int(same[mask].sum()), int(mask.sum())
                counts[kind] = (agree, n)
                totals[kind][0] += agree
                totals[kind][1] += n
                cells.append(f"{agree}/{n} ({agree / n:.2%})" if n else "-")
            per_channel += (ours == ref["channels"])[typed].sum(axis=0)
            n_typed += int(typed.sum())
            for r in np.flatnonzero(~same & typed):
                diff = ", ".join(f"{'+' if ours[r, c] else '-'}{PROPERTY_CHANNELS[c]}"
                                 for c in range(8) if ours[r, c] != ref["channels"][r, c])
                residue = atoms["monomer"][r]
                where = (f"{residue} {atoms['atom_name'][r]}" if residue in PROTEIN
                         else f"{residue} (not protein)")
                kinds[f"{name}: {where}: ours {diff}"] += 1
            mk = moleculekit_seconds(path, tmp)
            ours_ms = statistics.median(times) * 1e3
            results.setdefault(name, {})["properties"] = {
                **counts, "ours_ms": ours_ms,
                "moleculekit_ms": None if mk is None else mk * 1e3}
            lines.append(f"{name:<9} {cells[0]:>20} {cells[1]:>18} {ours_ms:>8.1f} "
                         f"{'-' if mk is None else f'{mk * 1e3:.0f}':>15}")
    lines.append("")
    for kind in ("protein", "rest"):
        agree, n = totals[kind]
        lines.append(f"all six, {kind} atoms: {agree}/{n} get all eight channels right "
                     f"({agree / n:.3%})")
    lines.append("per channel, all typed atoms: " + ", ".join(
        f"{c} {v / n_typed:.3%}" for c, v in zip(PROPERTY_CHANNELS, per_channel)))
    lines.append(f"kinds of disagreement ({sum(kinds.values())} atoms):")
    lines += [f"  {v:4d} x {k}" for k, v in kinds.most_common()]
    return lines


def vc_cpu():
    from bench_molgrid import cpu_model

    return cpu_model()


if __name__ == "__main__":
    main()
