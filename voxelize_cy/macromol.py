"""macromol_voxelize's API on voxelize_cy's kernels.

macromol_voxelize (a C++ extension by the original module's author) is its
successor; its users switch with one import line::

    import voxelize_cy.macromol as mmvox

and keep its names, signatures, return values and errors: polars tables with
``x, y, z, radius_A`` and a ``channels`` list column, three fill algorithms,
two aggregations, ``image_from_atoms`` returning ``(image, atoms_in_image)``.
The numbers agree with macromol_voxelize's to rounding (our overlap routine
is exact in closed form; theirs comes from the ``overlap`` library).

Beyond macromol_voxelize: a rigid ``frame=`` on every image function,
``images_from_atoms`` for batches on all cores, ``prepare``-free speed on
large tables, and checks that turn bad input (NaN coordinates or radii, a
negative radius, bad channel indices, missing columns) into ``ValidationError``
instead of a wrong image.  ``ValidationError`` is also a ``ValueError``.

Needs polars: ``pip install "voxelize_cy[macromol]"``.
"""

from __future__ import annotations

import enum
import math
import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple, Type, Union

import numpy as np

try:
    import polars as pl
except ImportError:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "voxelize_cy.macromol works on polars tables: pip install 'voxelize_cy[macromol]'"
    ) from None

from voxelize_cy import _kernels
from voxelize_cy._checks import check_image_size
from voxelize_cy._sources import TableSource, check_rows, largest
from voxelize_cy._strings import (
    export_table,
    frame_columns,
    polars_int_lists,
    polars_list_views,
    take_rows,
)
from voxelize_cy.frames import check_frame, check_frames

__all__ = [
    "AggAlgorithm",
    "FillAlgorithm",
    "Grid",
    "Image",
    "ImageParams",
    "ValidationError",
    "add_atom_channel_by_expr",
    "discard_atoms_outside_image",
    "find_occupied_voxels",
    "find_voxels_containing_coords",
    "get_voxel_center_coords",
    "image_from_all_atoms",
    "image_from_atoms",
    "images_from_atoms",
    "set_atom_channels_by_element",
    "set_atom_radius_A",
    "write_npz",
]

#: An image: ``numpy.ndarray`` of shape ``(channels, L, L, L)``.
Image = np.ndarray

_SCREEN_FINITE = 2
_AGG_SUM_WIDE, _AGG_MAX = 2, 1


class ValidationError(ValueError):
    """Raised when errors in the input data are detected."""


class FillAlgorithm(enum.IntEnum):
    """The algorithm used to fill in each voxel of the image."""

    OverlapA3 = 0       #: the overlap volume, Å³
    FractionAtom = 1    #: the fraction of the atom in the voxel
    FractionVoxel = 2   #: the fraction of the voxel covered by the atom


class AggAlgorithm(enum.IntEnum):
    """The algorithm used to aggregate multiple fill values for a single voxel."""

    Sum = 0
    Max = 1


_DTYPES = {np.float32: np.dtype(np.float32), np.float64: np.dtype(np.float64)}

# Our kernels' fill codes (see _draw.pxd).
_FILL_CODES = {FillAlgorithm.FractionAtom: 0, FillAlgorithm.OverlapA3: 1,
               FillAlgorithm.FractionVoxel: 2}
# Sums of float32 images in double, as macromol_voxelize adds a double to a float.
_AGG_CODES = {AggAlgorithm.Sum: _AGG_SUM_WIDE, AggAlgorithm.Max: _AGG_MAX}


def _g(value: float) -> str:
    """A number as C++ streams print it (6 significant digits)."""
    return f"{value:g}"


class Grid:
    """The spatial dimensions of an image: ``length_voxels`` voxels of
    ``resolution_A`` Å along each side, centred on ``center_A``.

    Immutable; ``length_A`` and ``shape`` are derived; picklable.
    """

    __slots__ = ("_length_voxels", "_resolution_A", "_center_A")

    def __init__(self, length_voxels: int, resolution_A: float, center_A=(0, 0, 0)):
        if isinstance(length_voxels, bool) or not isinstance(length_voxels, numbers.Integral):
            raise TypeError(f"length_voxels must be an int, got {length_voxels!r}")
        if isinstance(resolution_A, bool) or not isinstance(resolution_A, numbers.Real):
            raise TypeError(f"resolution_A must be a number, got {resolution_A!r}")
        center = np.array(center_A, dtype=np.float64)
        if center.shape != (3,):
            raise TypeError(f"center_A must be 3 numbers, got {center_A!r}")
        if length_voxels < 1:
            raise ValidationError(f"length_voxels must be >= 1, got {length_voxels}")
        if not (math.isfinite(resolution_A) and resolution_A > 0):
            raise ValidationError(f"resolution_A must be finite and > 0, got {resolution_A}")
        if not np.isfinite(center).all():
            raise ValidationError(f"center_A must be finite, got {center.tolist()}")
        center.flags.writeable = False
        object.__setattr__(self, "_length_voxels", int(length_voxels))
        object.__setattr__(self, "_resolution_A", float(resolution_A))
        object.__setattr__(self, "_center_A", center)

    def __setattr__(self, name, value):
        raise AttributeError(f"property of 'Grid' object has no setter")

    @property
    def length_voxels(self) -> int:
        """The number of voxels in each dimension of the image."""
        return self._length_voxels

    @property
    def resolution_A(self) -> float:
        """The size of each voxel, in Å."""
        return self._resolution_A

    @property
    def center_A(self) -> np.ndarray:
        """The coordinates of the centre of the image, in Å."""
        return self._center_A

    @property
    def length_A(self) -> float:
        """The size of the image in each dimension, in Å."""
        return self._length_voxels * self._resolution_A

    @property
    def shape(self) -> Tuple[int, int, int]:
        return (self._length_voxels,) * 3

    def __repr__(self):
        center = ", ".join(_g(c) for c in self._center_A)
        return (f"Grid(length_voxels={self._length_voxels}, "
                f"resolution_A={_g(self._resolution_A)}, center_A=[{center}])")

    def __reduce__(self):
        return (Grid, (self._length_voxels, self._resolution_A, self._center_A.copy()))

    def __eq__(self, other):
        if not isinstance(other, Grid):
            return NotImplemented
        return (self._length_voxels == other._length_voxels
                and self._resolution_A == other._resolution_A
                and np.array_equal(self._center_A, other._center_A))

    def __hash__(self):
        return hash((self._length_voxels, self._resolution_A, tuple(self._center_A)))


@dataclass
class ImageParams:
    """Parameters that apply to the image as a whole (as macromol_voxelize):
    ``channels`` (how many), ``grid``, ``dtype`` (float32 by default),
    ``max_radius_A`` (for the outside-the-image filter), ``fill_algorithm``
    and ``agg_algorithm``."""

    channels: int
    grid: Grid
    dtype: Type[np.floating] = np.float32
    max_radius_A: Optional[float] = None
    fill_algorithm: FillAlgorithm = FillAlgorithm.FractionAtom
    agg_algorithm: AggAlgorithm = AggAlgorithm.Sum


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------


def _check_params(img_params):
    """(n_channels, grid, dtype, fill code, agg code) of checked ImageParams."""
    if type(img_params) is not ImageParams and not isinstance(img_params, ImageParams):
        raise TypeError(f"img_params must be an ImageParams, got {type(img_params).__name__}")
    channels = img_params.channels
    if type(channels) is not int and (isinstance(channels, bool)
                                      or not isinstance(channels, numbers.Integral)):
        raise ValidationError(f"ImageParams.channels must be an int >= 1, got {channels!r}")
    if channels < 1:
        raise ValidationError(f"ImageParams.channels must be an int >= 1, got {channels!r}")
    grid = img_params.grid
    if type(grid) is not Grid and not isinstance(grid, Grid):
        raise TypeError(f"ImageParams.grid must be a Grid, got {type(grid).__name__}")
    dtype = _DTYPES.get(img_params.dtype)
    if dtype is None:
        try:
            dtype = np.dtype(img_params.dtype)
        except TypeError:
            pass
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValidationError(f"ImageParams.dtype must be float32 or float64, got "
                                  f"{img_params.dtype!r}")
    fill = _FILL_CODES.get(img_params.fill_algorithm)
    agg = _AGG_CODES.get(img_params.agg_algorithm)
    if fill is None or agg is None:
        raise ValidationError(
            f"unknown fill or aggregation algorithm: {img_params.fill_algorithm!r}, "
            f"{img_params.agg_algorithm!r}")
    max_radius = img_params.max_radius_A
    if max_radius is not None and not (isinstance(max_radius, numbers.Real)
                                       and math.isfinite(max_radius) and max_radius >= 0):
        raise ValidationError(f"ImageParams.max_radius_A must be a finite number >= 0, "
                              f"got {max_radius!r}")
    return int(channels), grid, dtype, fill, agg


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
            self.raise_for_row(8, int(np.flatnonzero(~np.isfinite(self.radius))[0]))
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

    def raise_for_row(self, status, row):
        """The ValidationError of a kernel status for ``row``."""
        if status == 5:  # a coordinate or occupancy that is not finite
            row, what = check_rows(self.x, self.y, self.z, self.occupancy, True)
            value = float({"x": self.x, "y": self.y, "z": self.z,
                           "occupancy": self.occupancy}[what][row])
            raise ValidationError(
                f"atoms[{what!r}] at row {row} is {value!r}; "
                f"{'occupancies' if what == 'occupancy' else 'coordinates'} must be finite")
        if status == 4:
            channels = self.channels[self.start[row]:self.start[row + 1]]
            bad = [int(c) for c in channels if not 0 <= c < self.n_channels]
            raise ValidationError(f"channel indices must be between 0 and "
                                  f"{self.n_channels - 1}, not {bad[0]} (atom at row {row})")
        if status == 8:
            radius = float(self.radius[row])
            if radius == 0:
                raise ValidationError(
                    f"atoms['radius_A'] at row {row} is 0: FillAlgorithm.FractionAtom "
                    f"divides by the atom's volume; give it a radius > 0")
            raise ValidationError(f"atoms['radius_A'] at row {row} is {radius!r}; radii "
                                  f"must be finite and >= 0")
        if status == 9:
            raise ValidationError("atom radii must not exceed `ImageParams.max_radius_A` "
                                  f"(atom at row {row} has {float(self.radius[row])!r})")
        if status == 3:
            raise MemoryError("no memory for the voxelization scratch space")
        raise ValidationError(f"atom at row {row} cannot be drawn (kernel status {status})")


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


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------


def image_from_atoms(atoms: "pl.DataFrame", img_params: ImageParams, *,
                     frame=None) -> Tuple[Image, "pl.DataFrame"]:
    """Create a voxelized representation of the given atoms.

    Parameters
    ----------
    atoms : polars.DataFrame
        Columns ``x, y, z`` (Å), ``radius_A`` (Å), ``channels`` (a list of
        channel indices per atom; optional with one channel) and, optionally,
        ``occupancy`` (default 1).  Other columns are ignored.
    img_params : ImageParams
    frame : (4, 4) array, optional, keyword-only (voxelize_cy's addition)
        A rigid frame applied to the atoms first,
        ``[x', y', z', 1] = F @ [x, y, z, 1]``.

    Returns
    -------
    image : numpy.ndarray
        ``(channels, L, L, L)`` of ``img_params.dtype``.
    atoms : polars.DataFrame
        The rows of ``atoms`` (unchanged, in order) that can reach the image.
    """
    img, rows, table = _image(atoms, img_params, frame, every_atom=False)
    return img, _rows_of(atoms, rows, table.batch)


def image_from_all_atoms(atoms: "pl.DataFrame", img_params: ImageParams, *,
                         frame=None) -> Image:
    """``image_from_atoms`` without first discarding the atoms outside the image
    (see macromol_voxelize): every atom is checked; returns only the image."""
    return _image(atoms, img_params, frame, every_atom=True)[0]


def _image(atoms, img_params, frame, every_atom):
    """(image, rows drawn, table): one kernel call selects the atoms within reach of
    the image (macromol_voxelize's discard rule), checks them and draws them."""
    n_channels, grid, dtype, fill, agg = _check_params(img_params)
    table = _Table(atoms, n_channels)
    if every_atom:
        table.check_all(img_params)
    max_radius = table.max_radius(img_params)
    L = grid.length_voxels
    shape = (n_channels, L, L, L)
    check_image_size(shape, dtype)
    img = np.zeros(shape, dtype=dtype)
    cx, cy, cz = grid.center_A.tolist()
    status, row, rows = _kernels.draw_image(
        img, table.source(), None, None, cx, cy, cz, grid.resolution_A, max_radius,
        _frame_numbers(frame), fill, agg, _SCREEN_FINITE, True)
    if status != 0:
        table.raise_for_row(status, row)
    return img, rows, table


def images_from_atoms(atoms: "pl.DataFrame", img_params, *, frames=None,
                      num_threads: Optional[int] = None) -> np.ndarray:
    """A batch of images of one table on all cores (voxelize_cy's addition).

    Parameters
    ----------
    atoms : polars.DataFrame
        As for ``image_from_atoms``.
    img_params : ImageParams or list of ImageParams
        One per image (or one for all); the same channels, length and dtype.
    frames : (B, 4, 4) array, optional
        One rigid frame per image.
    num_threads : int, optional
        Threads (default: all cores, or ``OMP_NUM_THREADS``).

    Returns
    -------
    numpy.ndarray
        ``(B, channels, L, L, L)``; ``[b]`` equals ``image_from_all_atoms(atoms,
        img_params[b], frame=frames[b])``, bitwise.
    """
    params_list = list(img_params) if isinstance(img_params, (list, tuple)) else [img_params]
    frame_values = None
    if frames is not None:
        f = np.asarray(frames, dtype=np.float64)
        frame_values = check_frames(f[None] if f.ndim == 2 else f)
    n = max(len(params_list), 0 if frame_values is None else frame_values.shape[0])
    if not params_list or n == 0:
        raise ValidationError("no images to make")
    if len(params_list) not in (1, n) or (frame_values is not None
                                          and frame_values.shape[0] not in (1, n)):
        raise ValidationError("img_params and frames must have one entry per image, or one")
    checked = [_check_params(p) for p in params_list]
    first = checked[0]
    for c in checked[1:]:
        if (c[0], c[1].length_voxels, c[2], c[3], c[4]) != (
                first[0], first[1].length_voxels, first[2], first[3], first[4]):
            raise ValidationError("every image of a batch needs the same channels, "
                                  "length_voxels, dtype and algorithms")
    n_channels, _, dtype, fill, agg = first
    table = _Table(atoms, n_channels)
    max_radii = [table.max_radius(p) for p in params_list]
    max_radii = max_radii * n if len(max_radii) == 1 else max_radii
    grids = [c[1] for c in checked]
    grids = grids * n if len(grids) == 1 else grids
    L = first[1].length_voxels
    shape = (n, n_channels, L, L, L)
    check_image_size(shape, dtype, "batch")
    out = np.empty(shape, dtype=dtype)
    if frame_values is not None and frame_values.shape[0] != n:
        frame_values = np.ascontiguousarray(np.broadcast_to(frame_values, (n, 12)))
    threads = _kernels.max_threads() if num_threads is None else int(num_threads)
    if threads < 1:
        raise ValidationError(f"num_threads must be >= 1, got {num_threads}")
    status, rows = _kernels.draw_batch(
        out, [table.source()], np.zeros(n, dtype=np.intc), [None], [None],
        np.zeros(n, dtype=np.intc), np.array([g.center_A for g in grids]),
        np.array([g.resolution_A for g in grids]), np.array(max_radii, dtype=np.float64),
        frame_values, fill, agg, _SCREEN_FINITE, threads)
    if status.any():
        b = int(np.flatnonzero(status)[0])
        try:
            table.raise_for_row(int(status[b]), int(rows[b]))
        except ValidationError as err:
            raise ValidationError(f"image {b}: {err}") from None
    return out


def discard_atoms_outside_image(atoms: "pl.DataFrame", img_params: ImageParams, *,
                                frame=None) -> "pl.DataFrame":
    """The rows of ``atoms`` that can overlap the image (strictly inside
    ``center ± (length_A / 2 + max_radius)``), unchanged and in order.

    The largest radius is ``img_params.max_radius_A`` or, when that is None,
    the largest of the ``radius_A`` column.  With ``frame=``, the atoms are
    placed by the frame first (the rows returned are unchanged).
    """
    if not isinstance(img_params, ImageParams) or not isinstance(img_params.grid, Grid):
        raise TypeError("img_params must be an ImageParams with a Grid")
    grid = img_params.grid
    max_radius = img_params.max_radius_A
    if max_radius is None:
        (radius,) = _float_columns(atoms, ("radius_A",))
        max_radius = float(np.max(radius)) if len(radius) else 0.0
        if not math.isfinite(max_radius):
            raise ValidationError("atoms['radius_A'] holds a value that is not finite")
    x, y, z = _float_columns(atoms, ("x", "y", "z"))
    selected = _kernels.find_atoms_in_box(x, y, z, grid.center_A.tolist(), grid.resolution_A,
                                          grid.length_voxels, float(max_radius),
                                          _frame_numbers(frame), True)
    if selected is None:  # a NaN atom would silently fall out of the image
        row, what = check_rows(x, y, z, x, True)
        raise ValidationError(f"atoms[{what!r}] at row {row} is "
                              f"{float({'x': x, 'y': y, 'z': z}[what][row])!r}; "
                              f"coordinates must be finite")
    return _rows_of(atoms, selected)


# --------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------


def set_atom_radius_A(atoms: "pl.DataFrame", radius_A: float) -> "pl.DataFrame":
    """The table with a ``radius_A`` column holding ``radius_A`` for every atom."""
    return atoms.with_columns(radius_A=float(radius_A))


def set_atom_channels_by_element(atoms: "pl.DataFrame", channels: List[List[str]], *,
                                 drop_missing_atoms: bool = False) -> "pl.DataFrame":
    """Assign atoms to channels by element: ``channels[i]`` lists the elements of
    channel i (``'*'``: every element not listed anywhere).  An element may be in
    several channels.  Atoms assigned to none raise ``ValidationError`` (or are
    dropped with ``drop_missing_atoms=True``).  Adds a ``channels`` list column.
    """
    channel_map = {}
    for i, elements in enumerate(channels):
        if isinstance(elements, str):
            raise ValidationError(f"expected list of elements, found str: {elements!r}")
        for element in elements:
            channel_map.setdefault(element, []).append(i)
    star = channel_map.pop("*", None)
    element = pl.col("element")
    expression = element.replace_strict(
        list(channel_map), list(channel_map.values()),
        default=pl.lit(star, dtype=pl.List(pl.Int64)) if star is not None else None,
        return_dtype=pl.List(pl.Int64),
    ) if channel_map else pl.lit(star, dtype=pl.List(pl.Int64))
    if star is not None:
        expression = pl.when(element.is_null()).then(pl.lit(star, dtype=pl.List(pl.Int64))) \
            .otherwise(expression)
    atoms = atoms.with_columns(channels=expression)
    if drop_missing_atoms:
        return atoms.drop_nulls("channels")
    if atoms["channels"].null_count():
        missing = (atoms.filter(pl.col("channels").is_null())
                   .get_column("element").unique().to_list())
        raise ValidationError(
            f"all atoms must be assigned at least one channel\n"
            f"• channels: {channels!r}\n"
            f"✖ unassigned elements: {missing!r}\n")
    return atoms


def add_atom_channel_by_expr(atoms: "pl.DataFrame", expr, channel: int) -> "pl.DataFrame":
    """Add ``channel`` to the ``channels`` list of every atom where ``expr`` holds."""
    extra = pl.when(expr).then(pl.lit([channel], dtype=pl.List(pl.Int64))) \
        .otherwise(pl.lit([], dtype=pl.List(pl.Int64)))
    return atoms.with_columns(channels=pl.col("channels").list.concat(extra))


# --------------------------------------------------------------------------
# Voxels and files
# --------------------------------------------------------------------------


def get_voxel_center_coords(grid: Grid, voxels) -> np.ndarray:
    """Centres (Å) of voxels given as an ``(N, 3)`` (or ``(3,)``) int array."""
    voxels = np.asarray(voxels)
    offset = 0.5 * (grid.length_voxels - 1)
    return ((voxels.astype(np.float64) - offset) * grid.resolution_A
            + grid.center_A).reshape(voxels.shape)


def find_voxels_containing_coords(grid: Grid, coords_A) -> np.ndarray:
    """Index (int32) of the voxel containing each coordinate (``(N, 3)`` or ``(3,)``);
    it may lie outside the image."""
    coords = np.asarray(coords_A, dtype=np.float64)
    origin_to_center = grid.resolution_A * (grid.length_voxels - 1) * 0.5
    ijk = (origin_to_center + (coords - grid.center_A)) / grid.resolution_A
    return np.rint(ijk).astype(np.int32).reshape(coords.shape)


def find_occupied_voxels(atoms: "pl.DataFrame", grid: Grid):
    """Slices ``(..., x, y, z)`` of the voxels the atoms (with ``radius_A``) may occupy."""
    x, y, z, r = _float_columns(atoms, ("x", "y", "z", "radius_A"))
    probes = np.concatenate([
        np.stack([x - r, y, z], 1), np.stack([x + r, y, z], 1),
        np.stack([x, y - r, z], 1), np.stack([x, y + r, z], 1),
        np.stack([x, y, z - r], 1), np.stack([x, y, z + r], 1)])
    voxels = find_voxels_containing_coords(grid, probes)

    def get_slice(i):
        start = max(int(voxels[:, i].min()), 0)
        end = min(int(voxels[:, i].max()) + 1, grid.length_voxels)
        return slice(start, end)

    return ..., get_slice(0), get_slice(1), get_slice(2)


def write_npz(path: Union[str, Path], img: Image, grid: Grid) -> None:
    """Write an image and its grid (``image``, ``resolution_A``, ``center_A``) to an
    ``.npz`` file, as macromol_voxelize does (PyMOL's ``load_voxels`` reads it)."""
    np.savez(path, image=img, resolution_A=grid.resolution_A, center_A=grid.center_A)
