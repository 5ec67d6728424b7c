"""An ``ImageParams`` checked once per call and reduced to plain numbers.

The entry points (``draw``, ``gradients``) turn the user's ``ImageParams``
into a ``ResolvedParams`` before anything is drawn; the checks of each field
are in ``voxelize_cy.images._checks``.
"""

from __future__ import annotations

from voxelize_cy.chemistry.channel_sets import CHANNEL_SETS, ChannelSet, channel_set
from voxelize_cy.images._checks import (
    center_tuple,
    check_length_voxels,
    check_resolution,
    element_resolver,
)
from voxelize_cy.images.model import Grid, ImageParams

__all__ = ["ResolvedParams"]


def _named_channel_set(channels):
    """The ``ChannelSet`` that ``ImageParams.channels`` names, or None for a
    list of element patterns."""
    if isinstance(channels, ChannelSet) or (isinstance(channels, str)
                                            and channels in CHANNEL_SETS):
        return channel_set(channels)
    return None


class ResolvedParams:
    """An ``ImageParams`` checked and reduced to plain numbers (one per call)."""

    __slots__ = ("center", "resolution_A", "length_voxels", "resolver", "channel_set")

    def __init__(self, img_params):
        if not isinstance(img_params, ImageParams):
            raise TypeError(
                f"img_params must be an ImageParams, got {type(img_params).__name__}"
            )
        grid = img_params.grid
        if not isinstance(grid, Grid):
            raise TypeError(f"img_params.grid must be a Grid, got {type(grid).__name__}")
        check_length_voxels(grid.length_voxels)
        check_resolution(grid.resolution_A)
        self.center = center_tuple(grid.center_A)
        self.resolution_A = float(grid.resolution_A)
        self.length_voxels = int(grid.length_voxels)
        self.channel_set = _named_channel_set(img_params.channels)
        if self.channel_set is None:
            self.resolver = element_resolver(img_params.channels, img_params.element_radii_A)
        else:  # channels and radii come from the table's typed columns
            self.resolver = None

    @property
    def channels(self):
        if self.channel_set is not None:
            return list(self.channel_set.channel_names)
        return self.resolver.channels

    @property
    def radii(self):
        return None if self.resolver is None else self.resolver.radii

    @property
    def n_channels(self):
        if self.channel_set is not None:
            return self.channel_set.n_channels
        return self.resolver.n_channels

    @property
    def max_radius_A(self):
        return self.resolver.max_radius_A

    @property
    def shape(self):
        L = self.length_voxels
        return (self.n_channels, L, L, L)
