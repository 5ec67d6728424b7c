"""Maps in the formats molecular viewers read: OpenDX and CCP4/MRC.

The public import path of ``voxelize_cy.pictures.maps``.
"""

from voxelize_cy.pictures.maps import (  # noqa: F401
    channel_file_names,
    grid_origin_A,
    read_dx,
    write_dx,
    write_mrc,
)

__all__ = ["grid_origin_A", "write_dx", "read_dx", "write_mrc", "channel_file_names"]
