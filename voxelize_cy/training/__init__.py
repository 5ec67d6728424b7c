"""Training: the PyTorch layer and a dataset of random views.

Holds ``torch`` (``Voxelizer`` and ``voxelize``: images as a differentiable
function of the coordinates; needs torch), ``data`` (``StructureViews``:
random-frame views of a sharded cache, for a ``DataLoader``) and ``gnina_data``
(``GninaExampleData``, ``GninaSampler``, ``GninaBatches``: gnina's ``.types``
data for DataLoader workers and DDP).  Their public import paths are
``voxelize_cy.torch`` and ``voxelize_cy.data``.

May import: ``voxelize_cy.core``, ``voxelize_cy.chemistry``,
``voxelize_cy.images``, ``voxelize_cy.io``, ``voxelize_cy.gnina``.
"""
