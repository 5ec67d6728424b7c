"""Named channel sets: channels and radii that come from the structure itself.

A channel set gives every atom its channel and its radius from its chemistry
instead of from ``ImageParams.channels`` patterns and ``element_radii_A``:

``gnina-receptor``, ``gnina-ligand``
    gnina's default receptor and ligand channels (14 each; libmolgrid's
    ``defaultGninaReceptorTyper`` / ``defaultGninaLigandTyper``): smina atom
    types grouped, with each atom's XS radius.  Hydrogens have no channel.
``gnina-smina``
    smina's 28 atom types (libmolgrid's ``GninaIndexTyper``), hydrogens included.
``gnina-element``
    One channel per element up to polonium, everything heavier in channel 0
    (libmolgrid's ``ElementIndexTyper``), with covalent radii.
``properties``
    moleculekit's eight property channels (hydrophobic, aromatic, H-bond
    acceptor, H-bond donor, positive ionizable, negative ionizable, metal,
    occupancy), an atom in as many as apply, with van der Waals radii (needs
    the residue columns of ``atoms_from_file(path, names=True)``).

The types are computed from elements and coordinates as gnina computes them
after OpenBabel has read the structure (:mod:`voxelize_cy.chemistry.gnina_types`), which
costs a few tens of milliseconds for a protein: do it once per structure with
:func:`add_channels`, then draw as many images as you like from the typed table
(``ImageParams(channels="gnina-receptor", ...)`` in the drop-in API, the
``channels`` and ``radius_A`` columns in ``voxelize_cy.macromol``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple, Union

import numpy as np

from voxelize_cy.chemistry._elements import (
    COVALENT_RADIUS_A,
    ELEMENT_NAMES,
    AtomTable,
    atomic_numbers,
    elements_and_xyz,
)
from voxelize_cy.chemistry.gnina_types import SMINA_RADIUS_A, SMINA_TYPES, smina_types
from voxelize_cy.chemistry.property_channels import PROPERTY_CHANNELS, property_channels

__all__ = ["ChannelSet", "CHANNEL_SETS", "atom_channels", "add_channels", "channel_set"]


@dataclass(frozen=True)
class ChannelSet:
    """A named set of channels.

    Attributes
    ----------
    name : str
        As given to ``ImageParams(channels=name)`` and ``--channels``.
    channel_names : tuple of str
        One per channel, in channel order (libmolgrid's type names).
    description : str
    """

    name: str
    channel_names: Tuple[str, ...]
    description: str
    multi: bool = False  # an atom may be in several channels (a bit mask per atom)

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return len(self.channel_names)

    @property
    def channel_column(self) -> str:
        """Name of the column ``add_channels`` writes: the channel (int8, -1 for
        none), or for a set whose atoms may be in several channels, the bit
        mask of its channels (uint8, bit c for channel c)."""
        suffix = "_channels" if self.multi else "_channel"
        return self.name.replace("-", "_") + suffix

    @property
    def radius_column(self) -> str:
        """Name of the float64 radius column ``add_channels`` writes (Å)."""
        return self.name.replace("-", "_") + "_radius_A"


_RECEPTOR = (
    "AliphaticCarbonXSHydrophobe", "AliphaticCarbonXSNonHydrophobe",
    "AromaticCarbonXSHydrophobe", "AromaticCarbonXSNonHydrophobe",
    "Bromine_Iodine_Chlorine_Fluorine", "Nitrogen_NitrogenXSAcceptor",
    "NitrogenXSDonor_NitrogenXSDonorAcceptor", "Oxygen_OxygenXSAcceptor",
    "OxygenXSDonorAcceptor_OxygenXSDonor", "Sulfur_SulfurAcceptor", "Phosphorus",
    "Calcium", "Zinc", "GenericMetal_Boron_Manganese_Magnesium_Iron",
)
_LIGAND = (
    "AliphaticCarbonXSHydrophobe", "AliphaticCarbonXSNonHydrophobe",
    "AromaticCarbonXSHydrophobe", "AromaticCarbonXSNonHydrophobe", "Bromine_Iodine",
    "Chlorine", "Fluorine", "Nitrogen_NitrogenXSAcceptor",
    "NitrogenXSDonor_NitrogenXSDonorAcceptor", "Oxygen_OxygenXSAcceptor",
    "OxygenXSDonorAcceptor_OxygenXSDonor", "Sulfur_SulfurAcceptor", "Phosphorus",
    "GenericMetal_Boron_Manganese_Magnesium_Zinc_Calcium_Iron",
)
_ELEMENT_NAMES = ELEMENT_NAMES[:84]  # up to bismuth: ElementIndexTyper's default

CHANNEL_SETS: Dict[str, ChannelSet] = {
    s.name: s for s in (
        ChannelSet("gnina-receptor", _RECEPTOR,
                   "gnina's 14 receptor channels (defaultGninaReceptorTyper), XS radii"),
        ChannelSet("gnina-ligand", _LIGAND,
                   "gnina's 14 ligand channels (defaultGninaLigandTyper), XS radii"),
        ChannelSet("gnina-smina", SMINA_TYPES,
                   "smina's 28 atom types (GninaIndexTyper), XS radii"),
        ChannelSet("gnina-element", _ELEMENT_NAMES,
                   "one channel per element up to bismuth (ElementIndexTyper), "
                   "covalent radii"),
        ChannelSet("properties", PROPERTY_CHANNELS,
                   "moleculekit's 8 property channels (getChannels): hydrophobic, "
                   "aromatic, H-bond acceptor and donor, positive and negative "
                   "ionizable, metal, occupancy; an atom in several; van der Waals radii",
                   multi=True),
    )
}


def _type_to_channel(channel_names) -> np.ndarray:
    """smina type -> channel of a grouped set (-1: hydrogens, in no channel)."""
    table = np.full(len(SMINA_TYPES), -1, np.int8)
    for channel, group in enumerate(channel_names):
        for type_name in group.split("_"):
            table[SMINA_TYPES.index(type_name)] = channel
    return table


_GROUPED = {"gnina-receptor": _type_to_channel(_RECEPTOR),
            "gnina-ligand": _type_to_channel(_LIGAND)}


def channel_set(name: Union[str, ChannelSet]) -> ChannelSet:
    """The ``ChannelSet`` called ``name`` (a ``ChannelSet`` is returned as is).

    Raises
    ------
    ValueError
        An unknown name; the message lists the known ones.
    """
    if isinstance(name, ChannelSet):
        return name
    try:
        return CHANNEL_SETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown channel set {name!r}; known: "
                         f"{', '.join(CHANNEL_SETS)}") from None


def atom_channels(atoms: AtomTable, name: Union[str, ChannelSet]
                  ) -> Tuple[np.ndarray, np.ndarray]:
    """Each atom's channel and radius in a channel set.

    Parameters
    ----------
    atoms : pandas.DataFrame, polars.DataFrame or dict of arrays
        Columns ``element``, ``x``, ``y``, ``z`` (Å): one whole structure (bonds
        are perceived between its atoms).
    name : str or ChannelSet
        One of ``CHANNEL_SETS``.

    Returns
    -------
    channel : numpy.ndarray of int8
        Channel index per atom; -1 for atoms in no channel (hydrogens in the
        14-channel sets).  For ``properties`` (an atom in several channels):
        the uint8 bit mask of each atom's channels.
    radius_A : numpy.ndarray of float64
        The atom's radius in that set (Å).
    """
    chosen = channel_set(name)
    if chosen.multi:
        members, radius = property_channels(atoms)
        mask = (members.astype(np.uint8) << np.arange(8, dtype=np.uint8)).sum(
            axis=1, dtype=np.uint8)
        return mask, radius
    elements, xyz = elements_and_xyz(atoms)
    if chosen.name == "gnina-element":
        z = np.asarray(atomic_numbers(elements), np.int64)
        radius = np.asarray(COVALENT_RADIUS_A)[z]
        channel = np.where(z < chosen.n_channels, z, 0).astype(np.int8)
        return channel, radius
    types = smina_types(elements, xyz)
    radius = SMINA_RADIUS_A[types]
    if chosen.name == "gnina-smina":
        return types.astype(np.int8), radius
    return _GROUPED[chosen.name][types], radius


def add_channels(atoms: AtomTable, name: Union[str, ChannelSet]) -> AtomTable:
    """A copy of ``atoms`` with the channel and radius of each atom in a set.

    The columns are ``<set>_channel`` (int8, -1 for no channel) and
    ``<set>_radius_A`` (float64), e.g. ``gnina_receptor_channel``; images of a
    typed table with ``ImageParams(channels="gnina-receptor", ...)`` read them
    (and ignore ``element_radii_A``).  For ``voxelize_cy.macromol`` use
    ``voxelize_cy.macromol.set_atom_channels_by_set``.

    Parameters
    ----------
    atoms : pandas.DataFrame, polars.DataFrame or dict of arrays
    name : str or ChannelSet

    Returns
    -------
    the same kind of table, with the two columns added (or replaced)
    """
    chosen = channel_set(name)
    channel, radius = atom_channels(atoms, chosen)
    columns = {chosen.channel_column: channel, chosen.radius_column: radius}
    if isinstance(atoms, dict):
        return {**atoms, **columns}
    if hasattr(atoms, "with_columns"):  # polars
        import polars as pl

        return atoms.with_columns([pl.Series(k, v) for k, v in columns.items()])
    return atoms.assign(**columns)
