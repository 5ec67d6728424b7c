"""Prepared atom tables: many images of one structure, at the cost of the image.

``prepare_atoms(atoms)`` checks a table once, encodes its elements once and
sorts its atoms into a grid of cells; ``image_from_atoms`` and
``images_from_atoms`` then take the ``PreparedAtoms`` wherever they take a
table, and each image reads only the cells its box overlaps.  The images are
bitwise those of the table itself.

A ``PreparedAtoms`` is immutable, safe to share between threads, and pickles
as a handful of arrays (for DataLoader worker processes).
"""

from __future__ import annotations

import math
import numbers
from typing import Optional

from voxelize_cy.chemistry import AtomTable
from voxelize_cy.core import PreparedAtoms, prepare
from voxelize_cy.images._tables import first_bad_row, table_source

__all__ = ["PreparedAtoms", "prepare_atoms"]


def prepare_atoms(atoms: AtomTable, *, cell_A: Optional[float] = None) -> PreparedAtoms:
    """Prepare an atom table for many images (see the module doc).

    Parameters
    ----------
    atoms : pandas.DataFrame, polars.DataFrame, pyarrow.Table or dict of arrays
        Any table ``image_from_atoms`` accepts (``element, x, y, z,
        occupancy``).
    cell_A : float, optional
        Edge of the index's cells, Å (default 4 Å; made larger for sparse
        tables, so that there are at most two cells per atom).

    Returns
    -------
    PreparedAtoms

    Raises
    ------
    ValueError, TypeError
        As ``image_from_atoms`` for the table (missing columns, a NaN
        coordinate or a bad occupancy, naming the row), or a bad ``cell_A``.
    """
    if cell_A is not None:
        if (isinstance(cell_A, bool) or not isinstance(cell_A, numbers.Real)
                or not (math.isfinite(cell_A) and cell_A > 0)):
            raise ValueError(f"cell_A must be a finite number > 0, got {cell_A!r}")
    if isinstance(atoms, PreparedAtoms):
        return atoms
    source = table_source(atoms)
    first_bad_row(source)
    return prepare(source, float("nan") if cell_A is None else float(cell_A))
