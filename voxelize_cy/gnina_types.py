"""gnina's atom types (smina's 28 types) and its channel sets, from coordinates.

gnina grids receptors and ligands in channels of atom types: libmolgrid's
``GninaIndexTyper`` gives every atom one of smina's 28 types (element,
aromaticity, hydrophobicity, hydrogen-bond donor and acceptor) with a radius,
and the default receptor and ligand typers group those types into 14 channels
each.  ``smina_types`` computes the 28 types from a table's elements and
coordinates (bonds, bond orders and hydrogens perceived as OpenBabel perceives
them, :mod:`voxelize_cy.perception`); ``CHANNEL_SETS`` maps them to channels.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

import numpy as np

from voxelize_cy._elements import COVALENT_RADIUS_A, SYMBOLS, atomic_numbers
from voxelize_cy.perception import Chemistry, perceive

__all__ = ["SMINA_TYPES", "SMINA_RADIUS_A", "smina_types", "types_from_chemistry"]

#: smina's 28 atom types, in libmolgrid's GninaIndexTyper order, with their
#: AutoDock name and XS radius (Å).
_SMINA_TABLE: List[Tuple[str, str, float]] = [
    ("Hydrogen", "H", 0.37),
    ("PolarHydrogen", "HD", 0.37),
    ("AliphaticCarbonXSHydrophobe", "C", 1.9),
    ("AliphaticCarbonXSNonHydrophobe", "C", 1.9),
    ("AromaticCarbonXSHydrophobe", "A", 1.9),
    ("AromaticCarbonXSNonHydrophobe", "A", 1.9),
    ("Nitrogen", "N", 1.8),
    ("NitrogenXSDonor", "N", 1.8),
    ("NitrogenXSDonorAcceptor", "NA", 1.8),
    ("NitrogenXSAcceptor", "NA", 1.8),
    ("Oxygen", "O", 1.7),
    ("OxygenXSDonor", "O", 1.7),
    ("OxygenXSDonorAcceptor", "OA", 1.7),
    ("OxygenXSAcceptor", "OA", 1.7),
    ("Sulfur", "S", 2.0),
    ("SulfurAcceptor", "SA", 2.0),
    ("Phosphorus", "P", 2.1),
    ("Fluorine", "F", 1.5),
    ("Chlorine", "Cl", 1.8),
    ("Bromine", "Br", 2.0),
    ("Iodine", "I", 2.2),
    ("Magnesium", "Mg", 1.2),
    ("Manganese", "Mn", 1.2),
    ("Zinc", "Zn", 1.2),
    ("Calcium", "Ca", 1.2),
    ("Iron", "Fe", 1.2),
    ("GenericMetal", "M", 1.2),
    ("Boron", "B", 1.92),
]
SMINA_TYPES: Tuple[str, ...] = tuple(name for name, _, _ in _SMINA_TABLE)
SMINA_RADIUS_A = np.array([radius for _, _, radius in _SMINA_TABLE])
_BY_NAME: Dict[str, int] = {}
for _index, (_, _ad_name, _) in enumerate(_SMINA_TABLE):
    _BY_NAME.setdefault(_ad_name, _index)
_T = {name: index for index, name in enumerate(SMINA_TYPES)}


def _xs_adjusted(base, h_bonded, hetero_bonded):
    """gnina's adjustment of a base type by the atom's neighbours."""
    if base in (_T["AliphaticCarbonXSHydrophobe"], _T["AliphaticCarbonXSNonHydrophobe"]):
        return _T["AliphaticCarbonXSNonHydrophobe" if hetero_bonded else "AliphaticCarbonXSHydrophobe"]
    if base in (_T["AromaticCarbonXSHydrophobe"], _T["AromaticCarbonXSNonHydrophobe"]):
        return _T["AromaticCarbonXSNonHydrophobe" if hetero_bonded else "AromaticCarbonXSHydrophobe"]
    if base in (_T["Nitrogen"], _T["NitrogenXSDonor"]):
        return _T["NitrogenXSDonor" if h_bonded else "Nitrogen"]
    if base in (_T["NitrogenXSDonorAcceptor"], _T["NitrogenXSAcceptor"]):
        return _T["NitrogenXSDonorAcceptor" if h_bonded else "NitrogenXSAcceptor"]
    if base in (_T["Oxygen"], _T["OxygenXSDonor"]):
        return _T["OxygenXSDonor" if h_bonded else "Oxygen"]
    if base in (_T["OxygenXSDonorAcceptor"], _T["OxygenXSAcceptor"]):
        return _T["OxygenXSDonorAcceptor" if h_bonded else "OxygenXSAcceptor"]
    return base


def types_from_chemistry(chem: Chemistry) -> np.ndarray:
    """smina type index (0–27) of every atom of a perceived structure."""
    z = chem.atomic_number
    n = len(z)
    types = np.empty(n, np.int8)
    for a in range(n):
        za = int(z[a])
        nbrs = chem.neighbors[a]
        h_bonded = chem.hydrogens[a] > 0 or any(z[b] == 1 for b in nbrs)
        hetero_bonded = any(z[b] not in (1, 6) for b in nbrs)
        if za == 1:
            polar = any(z[b] in (7, 8, 15, 16) for b in nbrs)
            name = "HD" if polar else "H"
        elif za == 6:
            name = "A" if chem.aromatic[a] else "C"
        elif za == 7:
            degree = len(nbrs) + chem.hydrogens[a]
            hyb = chem.hybridization[a]
            acceptor = not ((degree == 4 and hyb == 3) or (degree == 3 and hyb == 2))
            name = "NA" if acceptor else "N"
        elif za == 8:
            name = "OA"
        elif za == 34:
            name = "S"  # gnina treats selenium as sulfur
        else:
            name = SYMBOLS[za] if za < len(SYMBOLS) else "M"
        base = _BY_NAME.get(name, _T["GenericMetal"])
        types[a] = _xs_adjusted(base, h_bonded, hetero_bonded)
    return types


def smina_types(elements, xyz) -> np.ndarray:
    """smina's atom type of every atom, as gnina computes it.

    Parameters
    ----------
    elements : sequence of str
        Element symbols (any case; ``D`` is hydrogen).
    xyz : (N, 3) array of float, Å

    Returns
    -------
    numpy.ndarray of int8
        Index into ``SMINA_TYPES``.
    """
    chem = perceive(atomic_numbers(elements), xyz)
    return types_from_chemistry(chem)


def element_radius_A(elements) -> np.ndarray:
    """Covalent radius of each element (gnina's ``ElementIndexTyper`` radii)."""
    z = np.asarray(atomic_numbers(elements))
    return np.asarray(COVALENT_RADIUS_A)[z]
