"""Element data, indexed by atomic number (0 is a dummy atom).

Covalent radii (Å), the maximum number of bonds and Pauling electronegativities
of the Blue Obelisk Data Repository (``elements.xml``), the table OpenBabel reads:
``voxelize_cy.chemistry.perception`` uses them to find bonds and bond orders as OpenBabel
does, and the ``gnina-element`` channel set takes its radii from them (gnina's
``ElementIndexTyper``).
"""

from __future__ import annotations

from typing import Any, List, Tuple

import numpy as np

#: An atom table: a pandas or polars DataFrame, or a mapping of column names to
#: arrays, with columns ``element``, ``x``, ``y``, ``z`` (Å) and, where the
#: function says so, ``occupancy`` and others.  (``Any`` to type checkers:
#: pandas has no type information of its own.)
AtomTable = Any

SYMBOLS = (
    '*', 'H', 'He', 'Li', 'Be', 'B', 'C', 'N', 'O', 'F', 'Ne', 'Na', 'Mg', 'Al',
    'Si', 'P', 'S', 'Cl', 'Ar', 'K', 'Ca', 'Sc', 'Ti', 'V', 'Cr', 'Mn', 'Fe', 'Co',
    'Ni', 'Cu', 'Zn', 'Ga', 'Ge', 'As', 'Se', 'Br', 'Kr', 'Rb', 'Sr', 'Y', 'Zr',
    'Nb', 'Mo', 'Tc', 'Ru', 'Rh', 'Pd', 'Ag', 'Cd', 'In', 'Sn', 'Sb', 'Te', 'I',
    'Xe', 'Cs', 'Ba', 'La', 'Ce', 'Pr', 'Nd', 'Pm', 'Sm', 'Eu', 'Gd', 'Tb', 'Dy',
    'Ho', 'Er', 'Tm', 'Yb', 'Lu', 'Hf', 'Ta', 'W', 'Re', 'Os', 'Ir', 'Pt', 'Au',
    'Hg', 'Tl', 'Pb', 'Bi', 'Po', 'At', 'Rn', 'Fr', 'Ra', 'Ac', 'Th', 'Pa', 'U',
    'Np', 'Pu', 'Am', 'Cm', 'Bk', 'Cf', 'Es', 'Fm', 'Md', 'No', 'Lr',
)


COVALENT_RADIUS_A = (
    0.0, 0.31, 0.28, 1.28, 0.96, 0.84, 0.76, 0.71, 0.66, 0.57, 0.58, 1.66, 1.41,
    1.21, 1.11, 1.07, 1.05, 1.02, 1.06, 2.03, 1.76, 1.7, 1.6, 1.53, 1.39, 1.39,
    1.32, 1.26, 1.24, 1.32, 1.22, 1.22, 1.2, 1.19, 1.2, 1.2, 1.16, 2.2, 1.95, 1.9,
    1.75, 1.64, 1.54, 1.47, 1.46, 1.42, 1.39, 1.45, 1.44, 1.42, 1.39, 1.39, 1.38,
    1.39, 1.4, 2.44, 2.15, 2.07, 2.04, 2.03, 2.01, 1.99, 1.98, 1.98, 1.96, 1.94,
    1.92, 1.92, 1.89, 1.9, 1.87, 1.87, 1.75, 1.7, 1.62, 1.51, 1.44, 1.41, 1.36,
    1.36, 1.32, 1.45, 1.46, 1.48, 1.4, 1.5, 1.5, 2.6, 2.21, 2.15, 2.06, 2.0, 1.96,
    1.9, 1.87, 1.8, 1.69, 1.6, 1.6, 1.6, 1.6, 1.6, 1.6, 1.6,
)


#: Element names, indexed by atomic number up to oganesson (0 is libmolgrid's
#: ``GenericAtom``), as OpenBabel names them (libmolgrid's ``ElementIndexTyper``).
ELEMENT_NAMES = (
    'GenericAtom', 'Hydrogen', 'Helium', 'Lithium', 'Beryllium', 'Boron', 'Carbon',
    'Nitrogen', 'Oxygen', 'Fluorine', 'Neon', 'Sodium', 'Magnesium', 'Aluminium',
    'Silicon', 'Phosphorus', 'Sulfur', 'Chlorine', 'Argon', 'Potassium', 'Calcium',
    'Scandium', 'Titanium', 'Vanadium', 'Chromium', 'Manganese', 'Iron', 'Cobalt',
    'Nickel', 'Copper', 'Zinc', 'Gallium', 'Germanium', 'Arsenic', 'Selenium',
    'Bromine', 'Krypton', 'Rubidium', 'Strontium', 'Yttrium', 'Zirconium', 'Niobium',
    'Molybdenum', 'Technetium', 'Ruthenium', 'Rhodium', 'Palladium', 'Silver',
    'Cadmium', 'Indium', 'Tin', 'Antimony', 'Tellurium', 'Iodine', 'Xenon', 'Caesium',
    'Barium', 'Lanthanum', 'Cerium', 'Praseodymium', 'Neodymium', 'Promethium',
    'Samarium', 'Europium', 'Gadolinium', 'Terbium', 'Dysprosium', 'Holmium', 'Erbium',
    'Thulium', 'Ytterbium', 'Lutetium', 'Hafnium', 'Tantalum', 'Tungsten', 'Rhenium',
    'Osmium', 'Iridium', 'Platinum', 'Gold', 'Mercury', 'Thallium', 'Lead', 'Bismuth',
    'Polonium', 'Astatine', 'Radon', 'Francium', 'Radium', 'Actinium', 'Thorium',
    'Protactinium', 'Uranium', 'Neptunium', 'Plutonium', 'Americium', 'Curium',
    'Berkelium', 'Californium', 'Einsteinium', 'Fermium', 'Mendelevium', 'Nobelium',
    'Lawrencium', 'Rutherfordium', 'Dubnium', 'Seaborgium', 'Bohrium', 'Hassium',
    'Meitnerium', 'Darmstadtium', 'Roentgenium', 'Copernicium', 'Nihonium', 'Flerovium',
    'Moscovium', 'Livermorium', 'Tennessine', 'Oganesson',
)

#: The covalent radius OpenBabel gives elements beyond the table (Å).
DEFAULT_COVALENT_RADIUS_A = 1.6


MAX_BONDS = (
    0, 1, 0, 1, 2, 4, 4, 4, 2, 1, 0, 1, 2, 6, 6, 6, 6, 1, 0, 1, 2, 6, 6, 6, 6, 8, 6,
    6, 6, 6, 6, 3, 4, 3, 2, 1, 0, 1, 2, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 3, 4, 3, 2, 1,
    0, 1, 2, 12, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
    6, 3, 4, 3, 2, 1, 0, 1, 2, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
)


ELECTRONEGATIVITY = (
    0.0, 2.2, 0.0, 0.98, 1.57, 2.04, 2.55, 3.04, 3.44, 3.98, 0.0, 0.93, 1.31, 1.61,
    1.9, 2.19, 2.58, 3.16, 0.0, 0.82, 1.0, 1.36, 1.54, 1.63, 1.66, 1.55, 1.83, 1.88,
    1.91, 1.9, 1.65, 1.81, 2.01, 2.18, 2.55, 2.96, 3.0, 0.82, 0.95, 1.22, 1.33, 1.6,
    2.16, 1.9, 2.2, 2.28, 2.2, 1.93, 1.69, 1.78, 1.96, 2.05, 2.1, 2.66, 2.6, 0.79,
    0.89, 1.1, 1.12, 1.13, 1.14, 0.0, 1.17, 0.0, 1.2, 0.0, 1.22, 1.23, 1.24, 1.25,
    0.0, 1.27, 1.3, 1.5, 2.36, 1.9, 2.2, 2.2, 2.28, 2.54, 2.0, 1.62, 2.33, 2.02,
    2.0, 2.2, 0.0, 0.7, 0.9, 1.1, 1.3, 1.5, 1.38, 1.36, 1.28, 1.3, 1.3, 1.3, 1.3,
    1.3, 1.3, 1.3, 1.3, 0.0,
)

#: Van der Waals radii (Å) of H to Bi (Alvarez 2013 / Bondi), as moleculekit's
#: periodic table gives them: the radii of the ``properties`` channel set.
VDW_RADIUS_A = (
    0.0,
    1.1, 1.4, 1.82, 1.53, 1.92, 1.7, 1.55, 1.52, 1.47, 1.54, 2.27, 1.73, 1.84, 2.1,
    1.8, 1.8, 1.75, 1.88, 2.75, 2.31, 2.15, 2.11, 2.07, 2.06, 2.05, 2.04, 2.0, 1.97,
    1.96, 2.01, 1.87, 2.11, 1.85, 1.9, 1.85, 2.02, 3.03, 2.49, 2.32, 2.23, 2.18,
    2.17, 2.16, 2.13, 2.1, 2.1, 2.11, 2.18, 1.93, 2.17, 2.06, 2.06, 1.98, 2.16,
    3.43, 2.68, 2.43, 2.42, 2.4, 2.39, 2.38, 2.36, 2.35, 2.34, 2.33, 2.31, 2.3,
    2.29, 2.27, 2.26, 2.24, 2.23, 2.22, 2.18, 2.16, 2.16, 2.13, 2.13, 2.14, 2.23,
    1.96, 2.02, 2.07,
)


#: Element symbol (any case) -> atomic number.
ATOMIC_NUMBER = {symbol.upper(): z for z, symbol in enumerate(SYMBOLS) if z}
ATOMIC_NUMBER["D"] = 1  # deuterium
ATOMIC_NUMBER["T"] = 1  # tritium


def atomic_numbers(symbols) -> "list[int]":
    """The atomic number of each element symbol (0 for an unknown one)."""
    lookup = ATOMIC_NUMBER
    return [lookup.get(str(s).strip().upper(), 0) for s in symbols]


def elements_and_xyz(atoms: AtomTable) -> Tuple[List[str], np.ndarray]:
    """Element symbols and (N, 3) coordinates of a pandas/polars/dict table."""
    try:
        elements = atoms["element"]
        xyz = np.column_stack([np.asarray(atoms[c], dtype=np.float64) for c in "xyz"])
    except KeyError as err:
        raise ValueError(f"atoms needs columns element, x, y, z to be typed; missing "
                         f"{err}") from None
    elements = elements.to_list() if hasattr(elements, "to_list") else list(elements)
    if not np.isfinite(xyz).all():
        row = int(np.flatnonzero(~np.isfinite(xyz).all(axis=1))[0])
        raise ValueError(f"atoms has a coordinate that is not finite at row {row}")
    return elements, xyz
