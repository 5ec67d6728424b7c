"""PyTorch layer: images as a differentiable function of the atoms' coordinates.

The public import path of ``voxelize_cy.training.torch`` (needs torch).
"""

from voxelize_cy.training.torch import Voxelizer, voxelize  # noqa: F401

__all__ = ["Voxelizer", "voxelize"]
