"""``python -m voxelize_cy``: the ``voxelize-cy`` command line."""

import sys

from voxelize_cy.cli.main import main

sys.exit(main())
