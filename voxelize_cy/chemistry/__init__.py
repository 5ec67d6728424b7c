"""Atom typing from coordinates: the chemistry behind the named channel sets.

Holds element data (``_elements``), bonds and bond orders perceived as
OpenBabel perceives them (``perception``, ``_bond_orders``, ``_rings`` and the
compiled cell-list search ``_bonds``), gnina's atom types (``gnina_types``),
moleculekit's property channels (``property_channels``) and the named channel
sets built on them (``channel_sets``: ``CHANNEL_SETS``, ``add_channels``,
``atom_channels``).

May import: nothing from voxelize_cy outside this folder (numpy only).
"""
