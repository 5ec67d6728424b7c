"""Atom typing from coordinates: the chemistry behind the named channel sets.

Holds element data (``_elements``), bonds and bond orders perceived as
OpenBabel perceives them (``perception``, ``_bond_orders``, ``_rings`` and the
compiled cell-list search ``_bonds``), gnina's atom types (``gnina_types``),
moleculekit's property channels (``property_channels``) and the named channel
sets built on them (``channel_sets``: ``CHANNEL_SETS``, ``add_channels``,
``atom_channels``).

Other subpackages use the element data this ``__init__`` exports and the
public modules (``channel_sets``, ``gnina_types``, ``perception``,
``property_channels``), never a private module.

May import: nothing from voxelize_cy outside this folder (numpy only).
"""

from voxelize_cy.chemistry._elements import (
    COVALENT_RADIUS_A,
    DEFAULT_COVALENT_RADIUS_A,
    ELEMENT_NAMES,
    SYMBOLS,
    AtomTable,
)

__all__ = ["AtomTable", "COVALENT_RADIUS_A", "DEFAULT_COVALENT_RADIUS_A", "ELEMENT_NAMES",
           "SYMBOLS"]
