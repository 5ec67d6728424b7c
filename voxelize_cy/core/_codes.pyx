"""The kernels' codes as IntEnums: ``ImageStatus``, ``Fill``, ``Aggregation``,
``Screen`` and ``SelectStatus``, declared once in ``src/codes.h`` (see
``_codes.pxd``).  Import them from ``voxelize_cy.core``."""
