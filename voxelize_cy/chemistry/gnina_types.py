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
