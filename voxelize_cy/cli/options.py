"""What the command line's options mean: centres and selections (channels and radii are read by ``voxelize_cy.images.text_params``, which
PyMOL's commands share).  Every problem is a ``CommandError`` with one line of
text.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import Tuple

import numpy as np

from voxelize_cy.images.text_params import CommandError


def read_centers(path: str) -> Tuple[np.ndarray, str]:
    """Image centres from a CSV file, and a sentence saying how it was read.

    With a header row, the columns named ``x``, ``y`` and ``z`` (any order,
    any case, other columns ignored); without one, the first three columns
    as x, y, z.  Lines starting with ``#`` and empty lines are skipped.
    """
    source = Path(path)
    if not source.exists():
        raise CommandError(f"no such centers file: {source}")
    with open(source, newline="") as f:
        rows = [(n, [c.strip() for c in row]) for n, row in enumerate(csv.reader(f), start=1)
                if row and any(c.strip() for c in row) and not row[0].strip().startswith("#")]
    if not rows:
        raise CommandError(f"{source}: no centres")
    first_line, first = rows[0]
    try:
        [float(c) for c in first if c]
        header = None
    except ValueError:
        header = [c.lower() for c in first]
    if header is not None:
        missing = [a for a in "xyz" if a not in header]
        if missing:
            raise CommandError(f"{source}:{first_line}: the header {first} has no column "
                               f"{', '.join(missing)} (name them x, y, z)")
        columns = [header.index(a) for a in "xyz"]
        how = f"columns x, y, z by the header ({', '.join(first)})"
        rows = rows[1:]
    else:
        columns = [0, 1, 2]
        how = "no header: the first three columns as x, y, z"
    centers = []
    for line, cells in rows:
        if len(cells) <= max(columns) or (header is None and len(cells) != 3):
            raise CommandError(f"{source}:{line}: expected {'3 columns' if header is None else 'a value in every named column'}, got {cells}")
        try:
            values = [float(cells[i]) for i in columns]
        except ValueError:
            raise CommandError(f"{source}:{line}: not a number in {cells}") from None
        if not all(math.isfinite(v) for v in values):
            raise CommandError(f"{source}:{line}: centres must be finite, got {cells}")
        centers.append(values)
    if not centers:
        raise CommandError(f"{source}: no centres")
    return np.array(centers), how


def center_of_selection(path: str, selection: str, model: int = 1) -> Tuple[np.ndarray, str]:
    """The centre (Å) of ``CHAIN/RESIDUE`` (mean of its atoms) or
    ``CHAIN/RESIDUE/ATOM`` in a structure file, and a description of it.

    Residue numbers are the author's (as PDB files and PyMOL show them),
    optionally with an insertion code (``A/52A``).
    """
    import gemmi

    parts = selection.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise CommandError(f"--center-on: expected CHAIN/RESIDUE or CHAIN/RESIDUE/ATOM "
                           f"(e.g. A/45 or A/45/CA), got {selection!r}")
    chain_name, residue_text = parts[0], parts[1]
    match = re.fullmatch(r"(-?\d+)([A-Za-z]?)", residue_text)
    if not match:
        raise CommandError(f"--center-on: residue {residue_text!r} is not a number "
                           f"(with an optional insertion code)")
    number, icode = int(match.group(1)), match.group(2) or " "
    if str(path).lower().endswith((".feather", ".arrow")):
        raise CommandError("--center-on needs the structure file (mmCIF/PDB), not a cache")
    try:
        structure = gemmi.read_structure(str(path))
    except (RuntimeError, ValueError, OSError) as err:
        raise CommandError(f"cannot read {path}: {err}") from None
    models = [m for m in structure if str(getattr(m, "num", getattr(m, "name", ""))) ==
              str(model)] or list(structure)[:1]
    if not models:
        raise CommandError(f"{path} has no models")
    chains = {c.name: c for c in models[0]}
    if chain_name not in chains:
        raise CommandError(f"--center-on: no chain {chain_name!r} in {path}; chains: "
                           f"{', '.join(sorted(chains))}")
    residues = [r for r in chains[chain_name]
                if r.seqid.num == number and r.seqid.icode == icode]
    if not residues:
        raise CommandError(f"--center-on: chain {chain_name} has no residue {residue_text}")
    residue = residues[0]
    atoms = list(residue)
    if len(parts) == 3:
        atoms = [a for a in atoms if a.name == parts[2]]
        if not atoms:
            raise CommandError(f"--center-on: residue {chain_name}/{residue_text} "
                               f"({residue.name}) has no atom {parts[2]!r}; atoms: "
                               f"{', '.join(a.name for a in residue)}")
        atoms = atoms[:1]
    xyz = np.array([[a.pos.x, a.pos.y, a.pos.z] for a in atoms])
    what = f"{residue.name} {chain_name}/{residue_text}" + (f"/{parts[2]}" if len(parts) == 3
                                                           else "")
    return xyz.mean(axis=0), what


def extent_text(atoms) -> str:
    """``x -12.3..45.6, y ..., z ... Å`` for an atom table."""
    parts = []
    for axis in "xyz":
        values = np.asarray(atoms[axis], dtype=float)
        parts.append(f"{axis} {values.min():.1f}..{values.max():.1f}" if len(values)
                     else f"{axis} -")
    return ", ".join(parts) + " Å"
