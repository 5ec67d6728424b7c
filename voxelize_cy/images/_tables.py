"""Reading atom tables of every form into the kernels' ``TableSource``.

Accepted: a pandas DataFrame (any string storage: Python objects, Arrow,
categorical), a polars DataFrame, a pyarrow Table, or a mapping of column name
to equal-length 1-D arrays.  Coordinates and occupancies are used in place
when they are float64 and contiguous (a copy otherwise); the element column is
never converted: the kernels read the strings of the rows inside the image
only (``_strings.element_column``).  Nothing is cached between calls, so a
fresh copy of a table costs what the table costs.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from voxelize_cy.core import (
    AtomSource,
    TableSource,
    bitmask_lists,
    channel_lists,
    check_rows,
    float64_column,
    largest,
    pandas_columns,
)
from voxelize_cy.core import (
    ElementColumn,
    element_column,
    polars_element_column,
)

ATOM_COLUMNS = ("element", "x", "y", "z", "occupancy")
_READ_ORDER = ("x", "y", "z", "occupancy", "element")
COORD_COLUMNS = ("x", "y", "z", "occupancy")


def module_of(obj):
    return type(obj).__module__.split(".", 1)[0]


#: A numeric column as a C-contiguous 1-D float64 array (no copy when it is one).
float_column = float64_column


def _columns_and_getter(atoms):
    kind = module_of(atoms)
    if kind == "pandas" and hasattr(atoms, "columns"):
        return atoms.columns, atoms.__getitem__
    if kind == "polars" and hasattr(atoms, "get_column"):
        return atoms.columns, atoms.get_column
    if kind == "pyarrow" and hasattr(atoms, "column_names"):
        return atoms.column_names, atoms.column
    if hasattr(atoms, "columns") and hasattr(atoms, "__getitem__"):
        return atoms.columns, atoms.__getitem__
    if isinstance(atoms, Mapping):
        return atoms.keys(), atoms.__getitem__
    raise TypeError(
        "atoms must be a pandas DataFrame, a polars DataFrame, a pyarrow Table or a "
        f"dict of equal-length arrays, got {type(atoms).__name__}"
    )


def table_source(atoms, *, elements=True, extra=None):
    """The ``TableSource`` of an atom table (see the module doc).

    ``extra`` (optional) maps keyword arguments of ``TableSource`` (``radius``,
    ``channel_start``, ``channels``) to arrays; without ``elements`` the table
    needs no ``element`` column.
    """
    if isinstance(atoms, AtomSource):  # a PreparedAtoms (or a source made already)
        return atoms
    needed = ATOM_COLUMNS if elements else COORD_COLUMNS
    order = _READ_ORDER if elements else COORD_COLUMNS
    kind = module_of(atoms)
    values = None
    if kind == "pandas":
        values = pandas_columns(atoms, order)
    elif kind == "polars":
        values = _polars_columns(atoms, order)
    if values is None:
        present, get = _columns_and_getter(atoms)
        try:
            values = [get(name) for name in order]
        except Exception:  # KeyError, polars' ColumnNotFoundError, ...
            missing = [c for c in needed if c not in present]
            if not missing:
                raise
            raise ValueError(
                f"atoms is missing column(s) {missing}; need {list(needed)}"
            ) from None
    column = None
    if elements:
        column = values[4] if isinstance(values[4], ElementColumn) else element_column(values[4])
    return TableSource(*values[:4], column, **(extra or {}))


def _polars_columns(df, order):
    """The columns of a polars DataFrame through its private ``PySeries``
    (0.3 µs a column where the public path takes 3.5 µs); None on any
    surprise, for the public path.  A float column is used as a view only
    when it has no nulls (a view shows whatever the null slots hold)."""
    try:
        get = df._df.get_column
        values = []
        for name in order[:4]:
            series = get(name)
            view = series.to_numpy_view() if series.null_count() == 0 else None
            values.append(view if view is not None else df.get_column(name).to_numpy())
        if len(order) > 4:
            values.append(polars_element_column(df.get_column(order[4])))
        return values
    except Exception:
        return None


def first_bad_row(source, any_sign_occupancy=False):
    """Raise ``ValueError`` naming the first row with a bad coordinate or
    occupancy; return quietly when there is none (or for a prepared table,
    checked when it was made)."""
    if not isinstance(source, TableSource):
        return
    row, what = check_rows(source.x, source.y, source.z, source.occupancy,
                           any_sign_occupancy)
    if row < 0:
        return
    value = float(getattr(source, what)[row])
    if what == "occupancy":
        rule = "finite" if any_sign_occupancy else "finite and >= 0"
        raise ValueError(
            f"atoms['occupancy'] at row {row} is {value!r}; occupancies must be {rule}"
        )
    raise ValueError(
        f"atoms[{what!r}] at row {row} is {value!r}; coordinates must be finite"
    )


def element_at(source, row):
    """The element of ``row`` as the table holds it (for error messages)."""
    if not isinstance(source, TableSource):  # prepared: its kinds
        if row in source.not_str_values:
            return source.not_str_values[row]
        position = int(np.flatnonzero(source.row == row)[0])
        return source.kinds[source.code[position]]
    return source.elements.value_at(row) if source.elements is not None else None


def element_type(source):
    """What the element column of ``source`` holds, in words ('dtype int64',
    'Arrow type binary'), or None when it is not known."""
    if not isinstance(source, TableSource):
        return getattr(source, "element_type", None)
    return source.elements.describe() if source.elements is not None else None


def typed_source(atoms, chosen):
    """``(TableSource, largest radius)`` of a table typed with
    ``voxelize_cy.add_channels(atoms, chosen.name)``: each atom in its
    channel (none for -1) with its radius, read from the typed columns."""
    if isinstance(atoms, AtomSource):
        raise TypeError(f"a prepared table has no channel-set columns; draw the typed "
                        f"table itself with channels={chosen.name!r}")
    names = (chosen.channel_column, chosen.radius_column)
    values = pandas_columns(atoms, names) if module_of(atoms) == "pandas" else None
    if values is None:
        present, get = _columns_and_getter(atoms)
        missing = [c for c in names if c not in present]
        if missing:
            raise ValueError(
                f"atoms has no {missing[0]!r} column: ImageParams(channels={chosen.name!r}) "
                f"draws a table typed once with voxelize_cy.add_channels(atoms, "
                f"{chosen.name!r})")
        values = [get(name) for name in names]
    channel = np.asarray(values[0])
    radius = float64_column(np.asarray(values[1], dtype=np.float64), chosen.radius_column)
    if channel.dtype.kind not in "iu":
        raise ValueError(f"atoms[{chosen.channel_column!r}] must hold integers, got "
                         f"{channel.dtype}")
    try:
        if chosen.multi:
            start, channels = bitmask_lists(channel, chosen.n_channels)
        else:
            start, channels = channel_lists(channel, chosen.n_channels)
    except ValueError:
        if chosen.multi:
            raise ValueError(f"atoms[{chosen.channel_column!r}] sets a bit beyond "
                             f"{chosen.name}'s {chosen.n_channels} channels") from None
        row = int(np.flatnonzero(channel >= chosen.n_channels)[0])
        raise ValueError(f"atoms[{chosen.channel_column!r}] at row {row} is "
                         f"{int(channel[row])}; {chosen.name} has {chosen.n_channels} "
                         f"channels") from None
    biggest = largest(radius)
    if not np.isfinite(biggest):
        row = int(np.flatnonzero(~np.isfinite(radius))[0])
        raise ValueError(f"atoms[{chosen.radius_column!r}] at row {row} is "
                         f"{float(radius[row])!r}; radii must be finite and >= 0")
    source = table_source(atoms, elements=False,
                          extra={"radius": radius, "channel_start": start,
                                 "channels": channels})
    return source, biggest
