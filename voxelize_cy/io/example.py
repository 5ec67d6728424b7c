"""A built-in example structure: an ideal α-helical peptide, made by our own code.

No file and no download: the atoms are placed from ideal bond lengths, bond
angles and dihedrals (backbone φ = -57°, ψ = -47°, ω = 180°) with the
natural-extension reference frame (NeRF) method, so the demo and the docs
always have a small, realistic protein fragment to voxelize.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["example_atoms", "EXAMPLE_SEQUENCE"]

#: The example's sequence (one-letter codes): Ala/Ser/Cys/Met/Gly/Thr give C, N, O and S.
EXAMPLE_SEQUENCE = "MASCGATSMACS"

_THREE_LETTER = {"A": "ALA", "C": "CYS", "G": "GLY", "M": "MET", "S": "SER", "T": "THR"}

# Ideal geometry (Engh & Huber-like values): lengths in Å, angles in degrees.
_N_CA, _CA_C, _C_N, _C_O, _CA_CB = 1.458, 1.525, 1.329, 1.231, 1.530
_ANGLE_N_CA_C, _ANGLE_CA_C_N, _ANGLE_C_N_CA = 111.2, 116.2, 121.7
_ANGLE_CA_C_O, _ANGLE_N_CA_CB = 120.5, 110.5
_PHI, _PSI, _OMEGA = -57.0, -47.0, 180.0
_DIHEDRAL_C_N_CA_CB = -122.5  # L-amino acids

# Side chains beyond CB: (atom, element, parent, grandparent, great-grandparent,
# bond length, angle, dihedral), built in order.
_SIDE_CHAINS = {
    "S": [("OG", "O", "CB", "CA", "N", 1.417, 111.1, -60.0)],
    "C": [("SG", "S", "CB", "CA", "N", 1.808, 114.0, -60.0)],
    "T": [("OG1", "O", "CB", "CA", "N", 1.433, 109.2, -60.0),
          ("CG2", "C", "CB", "CA", "N", 1.521, 111.1, 180.0)],
    "M": [("CG", "C", "CB", "CA", "N", 1.520, 114.1, -60.0),
          ("SD", "S", "CG", "CB", "CA", 1.807, 112.7, 180.0),
          ("CE", "C", "SD", "CG", "CB", 1.791, 100.9, 70.0)],
}


def _place(a, b, c, bond_A, angle_deg, dihedral_deg):
    """Position of atom d given a, b, c: |cd| = bond, angle bcd, dihedral abcd (NeRF)."""
    angle = np.radians(angle_deg)
    dihedral = np.radians(dihedral_deg)
    bc = c - b
    bc /= np.linalg.norm(bc)
    n = np.cross(b - a, bc)
    n /= np.linalg.norm(n)
    m = np.cross(n, bc)
    d_local = bond_A * np.array([
        -np.cos(angle),
        np.sin(angle) * np.cos(dihedral),
        np.sin(angle) * np.sin(dihedral),
    ])
    return c + d_local[0] * bc + d_local[1] * m + d_local[2] * n


def example_atoms(sequence: str = EXAMPLE_SEQUENCE) -> pd.DataFrame:
    """An ideal α-helix of ``sequence`` (heavy atoms), as an atom table.

    Parameters
    ----------
    sequence : str
        One-letter residue codes among A, C, G, M, S, T.

    Returns
    -------
    pandas.DataFrame
        Columns ``monomer, element, x, y, z, occupancy`` (Å; occupancy 1.0),
        the same layout :func:`voxelize_cy.atoms_from_file` returns, elements
        upper-case as in mmCIF.  Deterministic; about 8 heavy atoms per residue.

    Raises
    ------
    ValueError
        An unknown residue code or an empty sequence.
    """
    if not sequence:
        raise ValueError("sequence is empty")
    unknown = sorted(set(sequence) - set(_THREE_LETTER))
    if unknown:
        raise ValueError(f"unknown residue code(s) {unknown}; known: {sorted(_THREE_LETTER)}")

    rows = []
    # First residue's backbone in a fixed frame.
    n = np.array([0.0, 0.0, 0.0])
    ca = np.array([_N_CA, 0.0, 0.0])
    angle = np.radians(_ANGLE_N_CA_C)
    c = ca + _CA_C * np.array([-np.cos(angle), np.sin(angle), 0.0])
    prev_n, prev_ca, prev_c = n, ca, c  # the previous residue's backbone, from the second on
    for i, code in enumerate(sequence):
        if i > 0:
            n = _place(prev_n, prev_ca, prev_c, _C_N, _ANGLE_CA_C_N, _PSI)
            ca = _place(prev_ca, prev_c, n, _N_CA, _ANGLE_C_N_CA, _OMEGA)
            c = _place(prev_c, n, ca, _CA_C, _ANGLE_N_CA_C, _PHI)
        # Carbonyl O, trans to the next residue's N (dihedral N-CA-C-O = psi + 180).
        o = _place(n, ca, c, _C_O, _ANGLE_CA_C_O, _PSI + 180.0)
        atoms = {"N": ("N", n), "CA": ("C", ca), "C": ("C", c), "O": ("O", o)}
        if code != "G":
            cb = _place(c, n, ca, _CA_CB, _ANGLE_N_CA_CB, _DIHEDRAL_C_N_CA_CB)
            atoms["CB"] = ("C", cb)
            for name, element, p1, p2, p3, bond, ang, dih in _SIDE_CHAINS.get(code, []):
                atoms[name] = (element, _place(atoms[p3][1], atoms[p2][1], atoms[p1][1],
                                               bond, ang, dih))
        for element, xyz in atoms.values():
            rows.append((_THREE_LETTER[code], element, *xyz))
        prev_n, prev_ca, prev_c = n, ca, c

    table = pd.DataFrame(rows, columns=["monomer", "element", "x", "y", "z"])
    table["occupancy"] = 1.0
    return table
