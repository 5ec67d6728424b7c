"""gnina's atom types (smina's 28 types) and its channel sets, from coordinates.

gnina grids receptors and ligands in channels of atom types: libmolgrid's
``GninaIndexTyper`` gives every atom one of smina's 28 types (element,
aromaticity, hydrophobicity, hydrogen-bond donor and acceptor) with a radius,
and the default receptor and ligand typers group those types into 14 channels
each.  ``smina_types`` computes the 28 types from a table's elements and
coordinates (bonds, bond orders and hydrogens perceived as OpenBabel perceives
them, :mod:`voxelize_cy.chemistry.perception`); ``CHANNEL_SETS`` maps them to channels.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

import numpy as np

from voxelize_cy.chemistry._elements import COVALENT_RADIUS_A, SYMBOLS, atomic_numbers
from voxelize_cy.chemistry.perception import Chemistry, perceive

__all__ = ["SMINA_TYPES", "SMINA_AD_NAMES", "SMINA_ELEMENT", "SMINA_RADIUS_A",
           "SMINA_COVALENT_RADIUS_A", "SMINA_AUTODOCK", "SMINA_FLAGS", "smina_types",
           "types_from_chemistry"]

#: smina's 28 atom types, in libmolgrid's GninaIndexTyper order: name, AutoDock
#: name, atomic number, AutoDock radius, depth, solvation and volume, covalent and
#: XS radius (Å), and the XS hydrophobe, donor, acceptor and AutoDock heteroatom flags.
_SMINA_TABLE: List[Tuple[str, str, int, float, float, float, float, float, float,
                         bool, bool, bool, bool]] = [
    ("Hydrogen", "H", 1, 1.0, 0.02, 0.00051, 0.0, 0.37, 0.37, False, False, False, False),
    ("PolarHydrogen", "HD", 1, 1.0, 0.02, 0.00051, 0.0, 0.37, 0.37, False, False, False,
     False),
    ("AliphaticCarbonXSHydrophobe", "C", 6, 2.0, 0.15, -0.00143, 33.5103, 0.77, 1.9, True,
     False, False, False),
    ("AliphaticCarbonXSNonHydrophobe", "C", 6, 2.0, 0.15, -0.00143, 33.5103, 0.77, 1.9,
     False, False, False, False),
    ("AromaticCarbonXSHydrophobe", "A", 6, 2.0, 0.15, -0.00052, 33.5103, 0.77, 1.9, True,
     False, False, False),
    ("AromaticCarbonXSNonHydrophobe", "A", 6, 2.0, 0.15, -0.00052, 33.5103, 0.77, 1.9,
     False, False, False, False),
    ("Nitrogen", "N", 7, 1.75, 0.16, -0.00162, 22.4493, 0.75, 1.8, False, False, False,
     True),
    ("NitrogenXSDonor", "N", 7, 1.75, 0.16, -0.00162, 22.4493, 0.75, 1.8, False, True,
     False, True),
    ("NitrogenXSDonorAcceptor", "NA", 7, 1.75, 0.16, -0.00162, 22.4493, 0.75, 1.8, False,
     True, True, True),
    ("NitrogenXSAcceptor", "NA", 7, 1.75, 0.16, -0.00162, 22.4493, 0.75, 1.8, False, False,
     True, True),
    ("Oxygen", "O", 8, 1.6, 0.2, -0.00251, 17.1573, 0.73, 1.7, False, False, False, True),
    ("OxygenXSDonor", "O", 8, 1.6, 0.2, -0.00251, 17.1573, 0.73, 1.7, False, True, False,
     True),
    ("OxygenXSDonorAcceptor", "OA", 8, 1.6, 0.2, -0.00251, 17.1573, 0.73, 1.7, False,
     True, True, True),
    ("OxygenXSAcceptor", "OA", 8, 1.6, 0.2, -0.00251, 17.1573, 0.73, 1.7, False, False,
     True, True),
    ("Sulfur", "S", 16, 2.0, 0.2, -0.00214, 33.5103, 1.02, 2.0, False, False, False, True),
    ("SulfurAcceptor", "SA", 16, 2.0, 0.2, -0.00214, 33.5103, 1.02, 2.0, False, False,
     False, True),
    ("Phosphorus", "P", 15, 2.1, 0.2, -0.0011, 38.7924, 1.06, 2.1, False, False, False,
     True),
    ("Fluorine", "F", 9, 1.545, 0.08, -0.0011, 15.448, 0.71, 1.5, True, False, False, True),
    ("Chlorine", "Cl", 17, 2.045, 0.276, -0.0011, 35.8235, 0.99, 1.8, True, False, False,
     True),
    ("Bromine", "Br", 35, 2.165, 0.389, -0.0011, 42.5661, 1.14, 2.0, True, False, False,
     True),
    ("Iodine", "I", 53, 2.36, 0.55, -0.0011, 55.0585, 1.33, 2.2, True, False, False, True),
    ("Magnesium", "Mg", 12, 0.65, 0.875, -0.0011, 1.56, 1.3, 1.2, False, True, False, True),
    ("Manganese", "Mn", 25, 0.65, 0.875, -0.0011, 2.14, 1.39, 1.2, False, True, False, True),
    ("Zinc", "Zn", 30, 0.74, 0.55, -0.0011, 1.7, 1.31, 1.2, False, True, False, True),
    ("Calcium", "Ca", 20, 0.99, 0.55, -0.0011, 2.77, 1.74, 1.2, False, True, False, True),
    ("Iron", "Fe", 26, 0.65, 0.01, -0.0011, 1.84, 1.25, 1.2, False, True, False, True),
    ("GenericMetal", "M", 0, 1.2, 0.0, -0.0011, 22.4493, 1.75, 1.2, False, True, False,
     True),
    # AutoDock 4 has no boron: carbon's values
    ("Boron", "B", 5, 2.04, 0.18, -0.0011, 12.052, 0.9, 1.92, True, False, False, False),
]
SMINA_TYPES: Tuple[str, ...] = tuple(row[0] for row in _SMINA_TABLE)
#: AutoDock name of each smina type.
SMINA_AD_NAMES: Tuple[str, ...] = tuple(row[1] for row in _SMINA_TABLE)
#: Atomic number of each smina type (0 for GenericMetal).
SMINA_ELEMENT = np.array([row[2] for row in _SMINA_TABLE])
#: XS radius of each smina type (Å): gnina's default radii.
SMINA_RADIUS_A = np.array([row[8] for row in _SMINA_TABLE])
#: Covalent radius of each smina type (Å): ``GninaIndexTyper(True)``'s radii.
SMINA_COVALENT_RADIUS_A = np.array([row[7] for row in _SMINA_TABLE])
#: AutoDock depth, solvation and volume of each smina type, (28, 3).
SMINA_AUTODOCK = np.array([row[4:7] for row in _SMINA_TABLE])
#: XS hydrophobe, XS donor, XS acceptor and AutoDock heteroatom flags, (28, 4) bool.
SMINA_FLAGS = np.array([row[9:13] for row in _SMINA_TABLE], dtype=bool)
_BY_NAME: Dict[str, int] = {}
for _index, _row in enumerate(_SMINA_TABLE):
    _BY_NAME.setdefault(_row[1], _index)
_T = {name: index for index, name in enumerate(SMINA_TYPES)}


def _base_type_by_element() -> np.ndarray:
    """smina type of each element before gnina's adjustments (GenericMetal for
    elements without a type of their own)."""
    table = np.full(len(SYMBOLS), _T["GenericMetal"], np.int64)
    for z, symbol in enumerate(SYMBOLS):
        if symbol in _BY_NAME:
            table[z] = _BY_NAME[symbol]
    table[1] = _T["Hydrogen"]
    table[6] = _T["AliphaticCarbonXSHydrophobe"]
    table[7] = _T["Nitrogen"]
    table[8] = _T["OxygenXSDonorAcceptor"]  # gnina names every oxygen "OA"
    table[34] = _T["Sulfur"]  # and treats selenium as sulfur
    return table


_BASE_TYPE = _base_type_by_element()


def types_from_chemistry(chem: Chemistry) -> np.ndarray:
    """smina type index (0–27) of every atom of a perceived structure."""
    z = np.asarray(chem.atomic_number)
    n = len(z)
    first, second = chem.bonds()
    partner_z = z[second]
    h_neighbors = np.bincount(first, weights=partner_z == 1, minlength=n)
    hetero = np.bincount(first, weights=(partner_z != 1) & (partner_z != 6), minlength=n) > 0
    polar = np.bincount(first, weights=np.isin(partner_z, (7, 8, 15, 16)), minlength=n) > 0
    h_bonded = (chem.hydrogens > 0) | (h_neighbors > 0)
    degree = np.bincount(first, minlength=n) + chem.hydrogens
    hyb = chem.hybridization
    types = _BASE_TYPE[np.clip(z, 0, len(_BASE_TYPE) - 1)]
    types = np.where(z >= len(_BASE_TYPE), _T["GenericMetal"], types)
    types = np.where((z == 1) & polar, _T["PolarHydrogen"], types)
    carbon, nitrogen, oxygen = z == 6, z == 7, z == 8
    aromatic = carbon & chem.aromatic
    types = np.where(carbon, np.where(
        aromatic, np.where(hetero, _T["AromaticCarbonXSNonHydrophobe"],
                           _T["AromaticCarbonXSHydrophobe"]),
        np.where(hetero, _T["AliphaticCarbonXSNonHydrophobe"],
                 _T["AliphaticCarbonXSHydrophobe"])), types)
    acceptor = ~(((degree == 4) & (hyb == 3)) | ((degree == 3) & (hyb == 2)))
    types = np.where(nitrogen, np.where(
        acceptor, np.where(h_bonded, _T["NitrogenXSDonorAcceptor"], _T["NitrogenXSAcceptor"]),
        np.where(h_bonded, _T["NitrogenXSDonor"], _T["Nitrogen"])), types)
    types = np.where(oxygen, np.where(h_bonded, _T["OxygenXSDonorAcceptor"],
                                      _T["OxygenXSAcceptor"]), types)
    return types.astype(np.int8)


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
