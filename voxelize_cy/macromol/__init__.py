"""macromol_voxelize's API on voxelize_cy's kernels.

Its users switch with one import line::

    import voxelize_cy.macromol as mmvox

Holds the API (``_api``: images, batches, channel and radius helpers,
``write_npz``), its parameters (``_params``: ``Grid``, ``ImageParams``, the fill
and aggregation algorithms, ``ValidationError``) and the reading of its polars
tables (``_table``).  Needs polars: ``pip install "voxelize_cy[macromol]"``.

May import: ``voxelize_cy.core``, ``voxelize_cy.chemistry``,
``voxelize_cy.images``.
"""

from voxelize_cy.macromol._api import *  # noqa: F401, F403
from voxelize_cy.macromol._api import __all__  # noqa: F401
