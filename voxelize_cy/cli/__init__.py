"""The ``voxelize-cy`` command line (also ``python -m voxelize_cy``).

Holds ``main`` (the parser and the ``image``, ``batch``, ``demo`` and
``convert`` commands), ``gnina`` (``molcache``), ``verify`` (``verify``: caches,
molcache2 files and ``.types`` sets checked, a sharded index repaired),
``options`` (centres, selections) and ``progress`` (the progress bar).  The
console script is ``voxelize_cy.cli:main``.

May import: every subpackage and the package's root (``__version__``).
"""

from voxelize_cy.cli.main import build_parser, main
from voxelize_cy.cli.progress import ProgressBar

__all__ = ["main", "build_parser", "ProgressBar"]
