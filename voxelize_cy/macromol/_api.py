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

import math
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from numpy.typing import ArrayLike

try:
    import polars as pl
except ImportError:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "voxelize_cy.macromol works on polars tables: pip install 'voxelize_cy[macromol]'"
    ) from None

from voxelize_cy.chemistry.channel_sets import atom_channels, channel_set
from voxelize_cy import core
from voxelize_cy.core import bitmask_lists, check_rows
from voxelize_cy.images import check_image_size, density_options, run_kernel
from voxelize_cy.images.frames import check_frames
from voxelize_cy.macromol._params import (
    SCREEN,
    AggAlgorithm,
    FillAlgorithm,
    Grid,
    Image,
    ImageParams,
    ValidationError,
    _check_params,
)
from voxelize_cy.macromol._table import _float_columns, _frame_numbers, _rows_of, _Table

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
    "set_atom_channels_by_set",
    "set_atom_radius_A",
    "write_npz",
]

for _public in (AggAlgorithm, FillAlgorithm, Grid, ImageParams, ValidationError):
    _public.__module__ = "voxelize_cy.macromol"  # where users import them from

# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------


def image_from_atoms(atoms: "pl.DataFrame", img_params: ImageParams, *,
                     frame: Optional[ArrayLike] = None) -> Tuple[Image, "pl.DataFrame"]:
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
                         frame: Optional[ArrayLike] = None) -> Image:
    """``image_from_atoms`` without first discarding the atoms outside the image
    (see macromol_voxelize): every atom is checked; returns only the image."""
    return _image(atoms, img_params, frame, every_atom=True)[0]


def _image(atoms, img_params, frame, every_atom):
    """(image, rows drawn, table): one kernel call selects the atoms within reach of
    the image (macromol_voxelize's discard rule), checks them and draws them."""
    n_channels, grid, dtype, fill, agg = _check_params(img_params)
    density = _density(img_params, fill)
    table = _Table(atoms, n_channels)
    if every_atom:
        table.check_all(img_params)
    max_radius = table.max_radius(img_params)
    L = grid.length_voxels
    shape = (n_channels, L, L, L)
    check_image_size(shape, dtype)
    img = np.zeros(shape, dtype=dtype)
    cx, cy, cz = grid.center_A.tolist()
    source, frame_values = table.source(), _frame_numbers(frame)
    _, _, rows = run_kernel(lambda screen: core.draw_image(
        img, source, None, None, cx, cy, cz, grid.resolution_A, max_radius, frame_values,
        fill, agg, screen, True, density), lambda image: table.rows(), SCREEN)
    return img, rows, table


def _density(img_params, fill):
    """The kernels' ``density`` argument of ImageParams (None for the exact
    fills); a ValidationError for bad options."""
    try:
        return density_options(fill, getattr(img_params, "radius_scale", 1.0),
                               getattr(img_params, "gaussian_radius_multiple", 1.0))
    except (TypeError, ValueError) as err:
        raise ValidationError(f"ImageParams: {err}") from None


def images_from_atoms(atoms: "pl.DataFrame", img_params: Union[ImageParams, Sequence[ImageParams]], *,
                      frames: Optional[ArrayLike] = None,
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
    densities = {_density(p, fill) for p in params_list}
    if len(densities) > 1:
        raise ValidationError("every image of a batch needs the same radius_scale and "
                              "gaussian_radius_multiple")
    density = densities.pop()
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
    threads = core.max_threads() if num_threads is None else int(num_threads)
    if threads < 1:
        raise ValidationError(f"num_threads must be >= 1, got {num_threads}")
    sources, centers = [table.source()], np.array([g.center_A for g in grids])
    resolutions = np.array([g.resolution_A for g in grids])
    run_kernel(lambda screen: core.draw_batch(
        out, sources, np.zeros(n, dtype=np.intc), [None], [None], np.zeros(n, dtype=np.intc),
        centers, resolutions, np.array(max_radii, dtype=np.float64), frame_values, fill, agg,
        screen, threads, density), lambda image: table.rows(f"image {image}: "), SCREEN)
    return out


def discard_atoms_outside_image(atoms: "pl.DataFrame", img_params: ImageParams, *,
                                frame: Optional[ArrayLike] = None) -> "pl.DataFrame":
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
    selected = core.find_atoms_in_box(x, y, z, grid.center_A.tolist(), grid.resolution_A,
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
    channel_map: Dict[str, List[int]] = {}
    for i, elements in enumerate(channels):
        if isinstance(elements, str):
            raise ValidationError(f"expected list of elements, found str: {elements!r}")
        for element in elements:
            channel_map.setdefault(element, []).append(i)
    star = channel_map.pop("*", None)
    element_column = pl.col("element")
    expression = element_column.replace_strict(
        list(channel_map), list(channel_map.values()),
        default=pl.lit(star, dtype=pl.List(pl.Int64)) if star is not None else None,
        return_dtype=pl.List(pl.Int64),
    ) if channel_map else pl.lit(star, dtype=pl.List(pl.Int64))
    if star is not None:
        expression = pl.when(element_column.is_null()).then(pl.lit(star, dtype=pl.List(pl.Int64))) \
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


def set_atom_channels_by_set(atoms: "pl.DataFrame", name: str) -> "pl.DataFrame":
    """Type the atoms with a channel set (voxelize_cy's addition; see
    ``voxelize_cy.chemistry.channel_sets``): adds the ``channels`` list column (empty for
    atoms in no channel, e.g. hydrogens in the gnina sets) and ``radius_A``
    (the set's radius of each atom).  Image with
    ``ImageParams(channels=channel_set(name).n_channels, ...)``.
    """
    try:
        channel, radius = atom_channels(atoms, name)
    except ValueError as err:
        raise ValidationError(str(err)) from None
    if channel_set(name).multi:  # a bit mask per atom
        start, flat = bitmask_lists(channel, channel_set(name).n_channels)
        lists = pl.Series("channels", [flat[start[i]:start[i + 1]].tolist()
                                       for i in range(len(channel))],
                          dtype=pl.List(pl.Int64))
        return atoms.with_columns(channels=lists, radius_A=pl.Series(radius))
    one_each = pl.Series("channels", channel.astype(np.int64)).reshape((-1, 1)).cast(
        pl.List(pl.Int64))
    typed = pl.when(pl.lit(pl.Series(channel >= 0))).then(one_each).otherwise(
        pl.lit([], dtype=pl.List(pl.Int64)))
    return atoms.with_columns(channels=typed, radius_A=pl.Series(radius))


def add_atom_channel_by_expr(atoms: "pl.DataFrame", expr: "pl.Expr", channel: int) -> "pl.DataFrame":
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


def find_occupied_voxels(atoms: "pl.DataFrame", grid: Grid) -> Tuple[Any, slice, slice, slice]:
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
