"""PNG previews of images: one panel per channel, a projection along an axis.

The public import path of ``voxelize_cy.pictures.plotting`` (matplotlib:
``pip install "voxelize_cy[plot]"``).
"""

from voxelize_cy.pictures.plotting import (  # noqa: F401
    PlottingUnavailable,
    preview_figure,
    save_image_png,
)

__all__ = ["preview_figure", "save_image_png", "PlottingUnavailable"]
