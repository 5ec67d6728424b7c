"""moleculekit's property channels, from coordinates.

moleculekit's ``getChannels`` (version 2) puts each atom in any of eight
channels: hydrophobic, aromatic, H-bond acceptor, H-bond donor, positive
ionizable, negative ionizable, metal and occupancy.  It gets OpenBabel's atom
types for the structure read as PDB (no hydrogens added), maps them to AutoDock
(PDBQT) types, and derives the channels from those, the residue names and the
bonds.  ``property_channels`` takes the same steps on the bonds, bond orders,
hydrogens and aromaticity that :mod:`voxelize_cy.chemistry.perception` perceives as
OpenBabel does.
"""

from __future__ import annotations

from typing import Dict, Tuple

import numpy as np

from voxelize_cy.chemistry._elements import (
    SYMBOLS,
    VDW_RADIUS_A,
    atomic_numbers,
    elements_and_xyz,
)
from voxelize_cy.chemistry.perception import Chemistry, perceive

__all__ = ["PROPERTY_CHANNELS", "property_channels"]

#: The channels, in moleculekit's order.
PROPERTY_CHANNELS = ("hydrophobic", "aromatic", "hbond_acceptor", "hbond_donor",
                     "positive_ionizable", "negative_ionizable", "metal", "occupancy")
#: OpenBabel types moleculekit counts as metals.
_METALS = {"Mg", "Zn", "Mn", "Ca", "Fe", "Hg", "Cd", "Ni", "Co", "Cu", "K", "Li"}
_HIS = {"HIS", "HID", "HIE", "HIP", "HSE", "HSD", "HSP"}
_H, _C, _N, _O, _S = 1, 6, 7, 8, 16


def _nitrogen_type(chem: Chemistry, a: int, in_ring) -> str:
    """OpenBabel's atom type of nitrogen ``a`` (its EXTTYP rules, in order,
    the last that matches winning), before hydrogens are added."""
    z, nbrs, order = chem.atomic_number, chem.neighbors[a], chem.order
    aromatic = chem.aromatic

    def bond(p, q):
        return order.get((p, q) if p < q else (q, p), 1)

    degree = len(nbrs)
    connections = degree + int(chem.hydrogens[a])
    orders = [bond(a, b) for b in nbrs]
    # hybridisation (OpenBabel's INTHYB rules; D counts explicit neighbours)
    hyb = 3
    if aromatic[a] or 2 in orders or any(
            z[b] in (_C, _N, _O) and (aromatic[b] or any(bond(b, c) > 1 for c in chem.neighbors[b]))
            for b in nbrs):
        hyb = 2
    if degree <= 3 and any(aromatic[b] for b in nbrs):
        hyb = 2
    if 3 in orders or orders.count(2) >= 2:
        hyb = 1
    kind = {3: "N3", 2: "Npl", 1: "N1"}[hyb]
    if connections == 4:
        kind = "N3+"
    if 2 in orders:
        kind = "N2"
    if not in_ring[a]:
        for c in nbrs:  # guanidine-like: N-C(=N)-N or N=C(N)N, none in a ring
            if z[c] != _C or in_ring[c]:
                continue
            others = [m for m in chem.neighbors[c] if m != a and z[m] == _N and not in_ring[m]]
            if bond(a, c) == 1 and any(bond(c, m) == 2 for m in others) and len(others) >= 2:
                kind = "Ng+"
            if bond(a, c) == 2 and len(others) >= 2:
                kind = "Ng+"
            if degree == 1:
                terminal = [m for m in others if len(chem.neighbors[m]) == 1]
                if terminal and (bond(a, c) == 2 or any(bond(c, m) == 2 for m in terminal)):
                    kind = "Ng+"
    if any(z[b] == _O for b in nbrs):
        kind = "Nox"
    for c in nbrs:  # amide: N-C(=O) or N-C(=S)
        if z[c] == _C and bond(a, c) == 1 and any(
                z[m] in (_O, _S) and bond(c, m) == 2 for m in chem.neighbors[c]):
            kind = "Nam"
    if sum(1 for b in nbrs if z[b] == _O and len(chem.neighbors[b]) == 1) >= 2:
        kind = "Ntr"
    if aromatic[a]:
        kind = "Nar"
    return kind


def _sulfur_is_oxidised(chem: Chemistry, a: int) -> bool:
    """OpenBabel's Sox and Sac types (sulfoxides, sulfonic and sulfuric acids)."""
    nbrs = chem.neighbors[a]
    z = chem.atomic_number
    terminal_o = sum(1 for b in nbrs if z[b] == _O and len(chem.neighbors[b]) == 1)
    double_o = sum(1 for b in nbrs if z[b] == _O and
                   chem.order.get((a, b) if a < b else (b, a), 1) == 2)
    if len(nbrs) == 3 and double_o >= 1:
        return True  # Sox
    return (len(nbrs) == 4 and terminal_o >= 3) or (len(nbrs) == 3 and terminal_o >= 2)


def pdbqt_types(chem: Chemistry, in_ring, bond_count) -> np.ndarray:
    """moleculekit's PDBQT type of every atom (C, A, N, NA, OA, SA, S, H, HD, a
    metal's OpenBabel type, or the first letter of the element's);
    ``bond_count``: the rows of moleculekit's bond table that hold the atom."""
    z = chem.atomic_number
    out = np.empty(len(z), dtype=object)
    for a in range(len(z)):
        za = int(z[a])
        symbol = SYMBOLS[za] if 0 < za < len(SYMBOLS) else "X"
        if symbol in _METALS:
            out[a] = symbol
        elif za == _C:
            out[a] = "A" if chem.aromatic[a] else "C"
        elif za == _N:
            kind = _nitrogen_type(chem, a, in_ring)
            if kind in ("Nam", "Npl", "Ng+", "Nar"):
                out[a] = "NA" if bond_count[a] == 2 else "N"
            else:
                out[a] = "N" if kind.endswith("+") else "NA"
        elif za == _O:
            out[a] = "OA"
        elif za == _S or symbol.startswith("S"):
            out[a] = "S" if za == _S and _sulfur_is_oxidised(chem, a) else "SA"
        elif za == _H:
            partners = chem.neighbors[a]
            out[a] = "HD" if partners and z[partners[0]] != _C else "H"
        elif symbol.startswith("C"):
            out[a] = "C"  # Cl, Cr, Cs ...: moleculekit reads their types as carbon's
        elif symbol.startswith("N"):
            out[a] = "NA"  # Na, Ni (not a metal there), Nb ...: as a nitrogen's
        elif symbol.startswith("O"):
            out[a] = "OA"
        else:
            out[a] = symbol[0]
    return out


def property_channels(atoms) -> Tuple[np.ndarray, np.ndarray]:
    """moleculekit's eight property channels of every atom, and its radius.

    Parameters
    ----------
    atoms : pandas.DataFrame, polars.DataFrame or dict of arrays
        Columns ``element``, ``x``, ``y``, ``z`` and, for the ionizable
        channels and moleculekit's bond counts, ``monomer``, ``atom_name``,
        ``chain``, ``residue`` and ``alt`` (``atoms_from_file(path,
        names=True)``).  moleculekit keeps one alternate location (the first):
        each location is typed with the atoms that have none, as if it were
        the only one.

    Returns
    -------
    channels : (N, 8) bool array
        Membership in ``PROPERTY_CHANNELS``; an atom may be in several.
    radius_A : (N,) float array
        The element's van der Waals radius (moleculekit's).
    """
    elements, xyz = elements_and_xyz(atoms)
    z = np.asarray(atomic_numbers(elements), np.int64)
    n = len(z)
    names = _column(atoms, "atom_name", n)
    residues = _column(atoms, "monomer", n)
    residue_keys = _residue_keys(atoms, n)
    alt = _column(atoms, "alt", n)
    labels = [label for label in dict.fromkeys(alt.tolist()) if label]
    channels = np.zeros((n, 8), bool)
    blank = alt == ""
    # moleculekit's bond table holds a residue's bonds twice (from its template
    # and guessed), except in residues with alternate locations: once
    split = np.zeros(residue_keys.max() + 1 if n else 0, bool)
    split[residue_keys[~blank]] = True
    doubled = ~split[residue_keys] if n else np.zeros(0, bool)
    for k, label in enumerate(labels or [""]):
        rows = np.flatnonzero(blank | (alt == label))
        part = _channels_of(z[rows], xyz[rows], names[rows], residues[rows],
                            residue_keys[rows], doubled[rows])
        take = np.ones(len(rows), bool) if k == 0 else alt[rows] == label
        channels[rows[take]] = part[take]
    radius = np.asarray(VDW_RADIUS_A + (2.0,) * 20)[np.clip(z, 0, len(VDW_RADIUS_A) + 19)]
    return channels, radius


def _channels_of(z, xyz, names, residues, residue_keys, doubled) -> np.ndarray:
    """The channels of one set of atoms (no alternate locations); ``doubled``:
    the atoms whose bonds within their residue moleculekit lists twice."""
    chem = perceive(z, xyz, bonds_from_file=True)  # moleculekit writes CONECT records
    in_ring = _ring_atoms(chem)
    n = len(z)
    degree = np.array([len(nbrs) + (sum(1 for b in nbrs if residue_keys[b] == residue_keys[a])
                                     if doubled[a] else 0)
                       for a, nbrs in enumerate(chem.neighbors)])
    types = pdbqt_types(chem, in_ring, degree)
    channels = np.zeros((n, 8), bool)
    channels[:, 0] = types == "C"
    channels[:, 1] = types == "A"
    channels[:, 2] = np.isin(types, ("OA", "NA", "SA"))
    h_donor = types == "HD"
    for a in np.flatnonzero(np.isin(types, ("N", "NA", "OA", "SA", "S"))).tolist():
        channels[a, 3] = any(h_donor[b] for b in chem.neighbors[a])
    is_n = np.isin(types, ("N", "NA"))
    not_backbone_n = names != "N"
    arg = residues == "ARG"
    lys = np.isin(residues, ("LYS", "LYN"))
    his = np.isin(residues, tuple(_HIS))
    channels[:, 4] = (((arg | (residues == "AR0") | lys) & (types == "N") & not_backbone_n)
                      | (arg & (types == "C") & (names != "C") & (degree == 3))
                      | (his & is_n & not_backbone_n) | (his & (types == "A")))
    acid = np.isin(residues, ("ASP", "ASH", "GLU", "GLH"))
    channels[:, 5] = ((acid & (types == "OA") & (names != "O"))
                      | (acid & (types == "C") & (names != "C") & (degree == 3)))
    channels[:, 6] = np.isin(types, tuple(_METALS))
    channels[:, 7] = np.array([not str(t).startswith("H") for t in types])
    return channels


def _residue_keys(atoms, n) -> np.ndarray:
    """One key per residue (chain, number, name), from the named table's columns."""
    chain = _column(atoms, "chain", n)
    number = _column(atoms, "residue", n)
    name = _column(atoms, "monomer", n)
    keys: Dict[tuple, int] = {}
    return np.array([keys.setdefault((c, r, m), len(keys))
                     for c, r, m in zip(chain, number, name)])


def _ring_atoms(chem: Chemistry) -> np.ndarray:
    from voxelize_cy.chemistry._rings import ring_bonds

    in_ring = np.zeros(len(chem.atomic_number), bool)
    for a, b in ring_bonds(chem.neighbors, len(chem.atomic_number)):
        in_ring[a] = in_ring[b] = True
    return in_ring


def _column(atoms, name, n) -> np.ndarray:
    try:
        values = atoms[name]
    except (KeyError, Exception):
        return np.full(n, "", dtype=object)
    values = values.to_list() if hasattr(values, "to_list") else list(values)
    return np.array([str(v) for v in values], dtype=object)
