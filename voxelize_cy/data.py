"""Datasets for training: random views of a sharded cache, and gnina's ``.types`` data.

The public import path of ``voxelize_cy.training.data`` and
``voxelize_cy.training.gnina_data``.
"""

from voxelize_cy.training.data import StructureViews  # noqa: F401
from voxelize_cy.training.gnina_data import (  # noqa: F401
    GninaBatches,
    GninaExampleData,
    GninaSampler,
)

__all__ = ["GninaBatches", "GninaExampleData", "GninaSampler", "StructureViews"]
