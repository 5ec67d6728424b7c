"""The compiled core: the exact overlap in C and the Cython kernels around it.

Holds the C overlap and density routines (``_overlap*.c``, ``_density.c`` and
their headers), the geometry shared by the kernels (``_geometry.pxd``), the
readers of atom tables of every form (``_strings``, ``_arrow_tables``,
``_sources``), channel lookup (``_kinds``), row selection (``_select``), the
drawing loops (``_draw``), prepared tables (``_prepared``), exact gradients
(``_gradients``), frames (``_frames``) and the entry kernels (``_kernels``,
images and batches under ``prange``).  Every module here is private: the
Python API is ``voxelize_cy.images``.  The ``.pxd`` files are the interfaces
between the modules, as numpy's ``random`` ``.pxd`` files are.

May import: nothing from voxelize_cy outside this folder (numpy, the C
library and OpenMP only).
"""
