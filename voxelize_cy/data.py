"""A dataset for training: random views of the structures of a sharded cache.

The public import path of ``voxelize_cy.training.data``.
"""

from voxelize_cy.training.data import StructureViews  # noqa: F401

__all__ = ["StructureViews"]
