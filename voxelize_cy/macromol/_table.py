"""A macromol polars table's columns for the kernels (``_Table``), and the
rows of a table the image used (``_rows_of``); for ``voxelize_cy.macromol``.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from voxelize_cy.core import (
    export_table,
    frame_columns,
    polars_int_lists,
    polars_list_views,
    take_rows,
)
from voxelize_cy.core import ImageStatus, TableSource, check_rows, largest
from voxelize_cy.images import RowReport
from voxelize_cy.images.frames import check_frame
from voxelize_cy.macromol._params import ValidationError


def _float_columns(atoms, names):
    """The named columns as C-contiguous float64 arrays (no copy when possible)."""
    if not isinstance(atoms, pl.DataFrame):
        raise TypeError(f"atoms must be a polars DataFrame, got {type(atoms).__name__}")
    out = []
    for name in names:
        values = _numeric_view(atoms, name)
        if values is None:
            if name not in atoms.columns:
                missing = [n for n in names if n not in atoms.columns]
                raise ValidationError(f"atoms is missing column(s) {missing}; "
                                      f"set_atom_radius_A() and set_atom_channels_by_element()"
                                      f" make radius_A and channels")
            series = atoms.get_column(name)
            if not series.dtype.is_numeric():
                raise ValidationError(f"atoms[{name!r}] must be numeric, got {series.dtype}")
            values = series.cast(pl.Float64).to_numpy()  # nulls become NaN: refused later
        out.append(np.ascontiguousarray(values, dtype=np.float64))
    return out


def _numeric_view(atoms, name):
    """A numeric column without nulls as a numpy view, through polars' private
    ``PySeries`` (0.5 µs where the public path takes several); None otherwise."""
    try:
        series = atoms._df.get_column(name)
        if series.null_count():
            return None  # a view would show whatever the null slots hold
        view = series.to_numpy_view()
    except Exception:
        return None
    if view is None or view.dtype.kind not in "fiu" or view.ndim != 1:
        return None
    return view


_TABLE_COLUMNS = ("x", "y", "z", "radius_A", "occupancy", "channels")


class _Table:
    """A macromol table's columns for the kernels: coordinates, radii and
    occupancies as float64 views, and the ``channels`` lists as int64 views of
    their Arrow buffers (no copy, whatever the table's size)."""

    def __init__(self, atoms, n_channels):
        if not isinstance(atoms, pl.DataFrame):
            raise TypeError(f"atoms must be a polars DataFrame, got {type(atoms).__name__}")
        # One Arrow export of the table gives every column that is stored the
        # usual way; the others are converted one by one.
        self.batch = export_table(atoms)
        views = (frame_columns(self.batch, _TABLE_COLUMNS) if self.batch is not None
                 else None) or {}
        x, y, z, radius = [views[name] if name in views else _float_columns(atoms, (name,))[0]
                           for name in ("x", "y", "z", "radius_A")]
        n = len(x)
        if "occupancy" in views:
            occupancy = views["occupancy"]
        elif "occupancy" in atoms.columns:
            (occupancy,) = _float_columns(atoms, ("occupancy",))
        else:
            occupancy = np.ones(n)
        if "channels" in views:
            start, channels = views["channels"]
        elif "channels" in atoms.columns:
            start, channels = self._channel_lists(atoms.get_column("channels"))
        elif n_channels == 1:
            start, channels = np.arange(n + 1, dtype=np.int64), np.zeros(n, dtype=np.int64)
        else:
            raise ValidationError(
                f"atoms has no 'channels' column, and the image has {n_channels} channels; "
                f"make one with set_atom_channels_by_element()")
        self.x, self.y, self.z, self.radius, self.occupancy = x, y, z, radius, occupancy
        self.start, self.channels = start, channels
        self.n_channels = n_channels

    @staticmethod
    def _channel_lists(series):
        views = polars_list_views(series) if series.dtype == pl.List(pl.Int64) else None
        if views is not None:
            return views
        if not isinstance(series.dtype, (pl.List, pl.Array)) or not (
                series.dtype.inner.is_integer()):
            raise ValidationError(f"atoms['channels'] must hold a list of channel indices "
                                  f"per atom, got {series.dtype}")
        start, channels, null_row = polars_int_lists(series.cast(pl.List(pl.Int64)))
        if null_row >= 0:
            raise ValidationError(f"atoms['channels'] at row {null_row} is null or holds "
                                  f"a null")
        return start, channels

    def max_radius(self, img_params):
        """``img_params.max_radius_A``, or the largest radius of the table."""
        if img_params.max_radius_A is not None:
            return float(img_params.max_radius_A)
        biggest = largest(self.radius)
        if not math.isfinite(biggest):
            raise self.rows().error(ImageStatus.IMAGE_BAD_RADIUS,
                                    int(np.flatnonzero(~np.isfinite(self.radius))[0]))
        return biggest

    def check_all(self, img_params):
        """What macromol_voxelize checks on every atom it is given: channel
        indices in range, radii not above ``max_radius_A``."""
        if self.channels.size:
            low, high = int(self.channels.min()), int(self.channels.max())
            if low < 0 or high >= self.n_channels:
                raise ValidationError(f"channel indices must be between 0 and "
                                      f"{self.n_channels - 1}, not "
                                      f"{low if low < 0 else high}")
        if (img_params.max_radius_A is not None and len(self.radius)
                and self.radius.max() > img_params.max_radius_A):
            raise ValidationError("atom radii must not exceed `ImageParams.max_radius_A`")

    def source(self):
        return TableSource(self.x, self.y, self.z, self.occupancy, None, radius=self.radius,
                           channel_start=self.start, channels=self.channels)

    def rows(self, where=""):
        """The :class:`RowReport` that words the kernels' errors for this table."""
        return TableRows(self, where)


class TableRows(RowReport):
    """The kernels' errors for a macromol table, as macromol_voxelize words
    them: ValidationErrors that name the row."""

    value_error = ValidationError

    def __init__(self, table, where=""):
        super().__init__(where)
        self.table = table

    def bad_rows(self, row, status):
        t = self.table
        row, what = check_rows(t.x, t.y, t.z, t.occupancy, True)
        value = float({"x": t.x, "y": t.y, "z": t.z, "occupancy": t.occupancy}[what][row])
        return (f"atoms[{what!r}] at row {row} is {value!r}; "
                f"{'occupancies' if what == 'occupancy' else 'coordinates'} must be finite")

    def bad_channel(self, row, status):
        t = self.table
        bad = [int(c) for c in t.channels[t.start[row]:t.start[row + 1]]
               if not 0 <= c < t.n_channels]
        return (f"channel indices must be between 0 and {t.n_channels - 1}, not {bad[0]} "
                f"(atom at row {row})")

    def bad_radius(self, row, status):
        radius = float(self.table.radius[row])
        if radius == 0:
            return (f"atoms['radius_A'] at row {row} is 0: FillAlgorithm.FractionAtom "
                    f"divides by the atom's volume; give it a radius > 0")
        return f"atoms['radius_A'] at row {row} is {radius!r}; radii must be finite and >= 0"

    def radius_above_max(self, row, status):
        return ("atom radii must not exceed `ImageParams.max_radius_A` "
                f"(atom at row {row} has {float(self.table.radius[row])!r})")


def _rows_of(atoms, rows, batch=None):
    """``atoms[rows]`` (rows in order): copied in C where the column types
    allow (polars' own gather costs more than an image), else by polars.
    ``batch``: the table already exported (``export_table``), if at hand."""
    if len(rows) == len(atoms):
        return atoms
    taken = take_rows(batch if batch is not None else atoms, rows)
    if taken is None:
        taken = atoms[pl.Series(rows.astype(np.uint32), dtype=pl.UInt32)]
    return taken


def _frame_numbers(frame):
    return None if frame is None else check_frame(frame)
