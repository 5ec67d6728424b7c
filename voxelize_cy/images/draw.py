"""The entry points: ``image_from_atoms`` (drop-in for the original) and
``images_from_atoms`` (batches on all cores).

The data model lives in ``voxelize_cy.images.model``, validation in
``voxelize_cy.images._checks``, table reading in ``voxelize_cy.images._tables``
and the loops in the compiled ``voxelize_cy.core._kernels``.  The original
module's import path, ``voxelize_cy.voxelize``, re-exports these with the data
model.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from voxelize_cy.chemistry import AtomTable
from voxelize_cy import core
from voxelize_cy.core import ImageStatus, PreparedAtoms
from voxelize_cy.images._call import AGGREGATIONS, FILLS, RowReport, kernel_modes, run_kernel
from voxelize_cy.images._checks import (
    check_channel_cache,
    check_dtype,
    check_image_size,
    check_num_threads,
    check_out,
    output_array,
)
from voxelize_cy.images._resolved import ResolvedParams
from voxelize_cy.images._tables import (
    element_at,
    element_type,
    first_bad_row,
    table_source,
    typed_source,
)
from voxelize_cy.images.frames import check_frame, check_frames
from voxelize_cy.images.model import Image, ImageParams

__all__ = ["image_from_atoms", "images_from_atoms", "image_shape", "FILLS", "AGGREGATIONS",
           "ElementRows"]


class ElementRows(RowReport):
    """The errors of a table drawn by element (or by a channel set): the
    original's ``KeyError`` and ``RuntimeError``, and messages naming the row,
    its element and the column."""

    def __init__(self, source, params, where="", table=""):
        super().__init__(where)
        self.source = source
        self.params = params
        self.table = table  # "atoms[3]: " when the table is one of a list

    def check_rows(self):
        try:
            first_bad_row(self.source)  # raises, naming the first bad row
        except ValueError as err:
            if self.table:
                raise ValueError(f"{self.table}{err}") from None
            raise

    def error(self, status, row):
        if (self.params.channel_set is None and status != ImageStatus.IMAGE_NO_MEMORY
                and not isinstance(self._element(row), str)):
            status = ImageStatus.IMAGE_NOT_STR
        return super().error(status, row)

    def _element(self, row):
        element = element_at(self.source, row) if row >= 0 else None
        if isinstance(element, np.generic):  # a numpy scalar: shown as the number it is
            element = element.item()
        return element

    def not_str(self, row, status):
        element = self._element(row)
        what = "a missing value" if element is None else type(element).__name__
        column = element_type(self.source)
        return (f"atoms['element'] at row {row} is {element!r} ({what}"
                + (f", in a column of {column}" if column else "")
                + "); expected a str such as 'C'")

    def no_radius(self, row, status):
        radii = self.params.radii
        keys = sorted(map(str, radii)) if isinstance(radii, dict) else []
        return (f"no radius for element {self._element(row)!r} (atom at row {row}): "
                f"img_params.element_radii_A has keys {keys} and no '*' default")

    def no_channel(self, row, status):
        element = self._element(row)
        return (f"element {element} didn't match any channels: no pattern of "
                f"img_params.channels {self.params.channels} re.fullmatch-es {element!r} "
                f"(atom at row {row}); add a catch-all pattern such as '.*'")

    def bad_radius(self, row, status):
        if self.params.channel_set is None:
            return self.cannot_draw(row, status)
        return (f"atoms[{self.params.channel_set.radius_column!r}] at row {row} is "
                f"{float(self.source.radius[row])!r}; radii must be finite and >= 0")

    def cannot_draw(self, row, status):
        if self.params.channel_set is not None:
            return super().cannot_draw(row, status)
        return (f"atom at row {row} ({self._element(row)!r}) has no valid channel "
                f"({ImageStatus(status).name})")

    bad_channel = bad_rows = radius_above_max = cannot_draw


def image_from_atoms(
    atoms: Union[AtomTable, PreparedAtoms],
    img_params: ImageParams,
    channel_cache: Optional[dict] = None,
    *,
    dtype: DTypeLike = np.float64,
    out: Optional[np.ndarray] = None,
    frame: Optional[ArrayLike] = None,
    fill: str = "fraction_atom",
    agg: str = "sum",
    radius_scale: float = 1.0,
    gaussian_radius_multiple: float = 1.0,
) -> Image:
    """Voxelize atoms into a multi-channel 3D image.

    Each atom is a ball of its element's radius; a voxel's value is the
    occupancy-weighted fraction of each ball's volume that lies in it (exact
    sphere/cube overlap), summed over the atoms of that voxel's channel.

    Parameters
    ----------
    atoms : pandas.DataFrame, polars.DataFrame, pyarrow.Table or dict of arrays
        Columns ``element`` (str), ``x``, ``y``, ``z`` (Å) and ``occupancy``;
        other columns are ignored.  Any string storage works at the same
        speed (Python, Arrow, categorical), and so does a fresh copy per call.
    img_params : ImageParams
        Grid, channel patterns and radii.
    channel_cache : dict, optional
        Element → channel index; read first and filled, as the original does.
    dtype : float64 or float32, keyword-only
        Output dtype (each atom's share is computed in float64).
    out : numpy.ndarray, optional, keyword-only
        C-contiguous ``(C, L, L, L)`` array of ``dtype`` to fill in place
        (zeroed first) and return.
    frame : (4, 4) array, optional, keyword-only
        A rigid frame ``F`` applied to the atoms first:
        ``[x', y', z', 1] = F @ [x, y, z, 1]`` (see ``random_frame``).  Only
        the atoms that can reach the image are transformed.
    fill : {'fraction_atom', 'overlap_A3', 'fraction_voxel', 'gaussian', 'binary'}, keyword-only
        What an atom puts in a voxel (times its occupancy): the fraction of
        the atom's volume (the original's), the overlap volume in Å³, the
        fraction of the voxel's volume (all three exact); or, as libmolgrid
        grids, its Gaussian density at the voxel's centre, or 1 where the
        centre lies inside the atom (``agg='max'`` gives libmolgrid's binary
        grid).
    agg : {'sum', 'max'}, keyword-only
        How atoms that share a voxel and channel combine.
    radius_scale, gaussian_radius_multiple : float, keyword-only
        For ``fill='gaussian'`` and ``'binary'``: libmolgrid's options of the
        same names (the radius is scaled by the first; the Gaussian
        exp(-2 d^2 / r^2) holds up to the second times r, then a quadratic
        takes it to 0 at (1 + 2 G^2) / (2 G) r; a negative G truncates it).

    Returns
    -------
    numpy.ndarray
        ``(len(channels), L, L, L)``; axis 1 is x, 2 is y, 3 is z.

    Raises
    ------
    RuntimeError
        An atom in the image whose element matches no channel.
    KeyError
        An atom in the image whose element has no radius (and no ``'*'``).
    ValueError, TypeError
        Malformed input (missing columns, NaN/inf coordinates, bad grid,
        bad frame, …).
    MemoryError
        The image is too large to allocate.
    """
    params = ResolvedParams(img_params)
    dt = check_dtype(dtype)
    check_channel_cache(channel_cache)
    frame_values = None if frame is None else check_frame(frame)
    modes = kernel_modes(fill, agg, radius_scale, gaussian_radius_multiple)
    img = output_array(out, params.shape, dt)
    if params.channel_set is not None:
        source, max_radius_A = typed_source(atoms, params.channel_set)
    else:
        source, max_radius_A = table_source(atoms), params.max_radius_A
    cx, cy, cz = params.center
    run_kernel(lambda screen: core.draw_image(
        img, source, params.resolver, channel_cache, cx, cy, cz, params.resolution_A,
        max_radius_A, frame_values, modes.fill, modes.agg, screen, False, modes.density),
        lambda image: ElementRows(source, params))
    return img


def image_shape(img_params: ImageParams) -> tuple:
    """The ``(C, L, L, L)`` shape of the images of ``img_params``.

    Parameters
    ----------
    img_params : ImageParams

    Returns
    -------
    tuple of int
        Channels, then ``length_voxels`` three times.
    """
    return ResolvedParams(img_params).shape


def _sequence(value, kind):
    """``[value]`` for one object, ``list(value)`` for a list or tuple of them."""
    if isinstance(value, kind):
        return [value], False
    if isinstance(value, (list, tuple)):
        return list(value), True
    return [value], False


def images_from_atoms(
    atoms: Union[AtomTable, PreparedAtoms, Sequence[Union[AtomTable, PreparedAtoms]]],
    img_params: Union[ImageParams, Sequence[ImageParams]],
    *,
    channel_cache: Optional[dict] = None,
    num_threads: Optional[int] = None,
    dtype: DTypeLike = np.float64,
    out: Optional[np.ndarray] = None,
    frames: Optional[ArrayLike] = None,
    fill: str = "fraction_atom",
    agg: str = "sum",
    radius_scale: float = 1.0,
    gaussian_radius_multiple: float = 1.0,
) -> NDArray:
    """Voxelize a batch of images on all cores (OpenMP), one image per thread.

    ``images_from_atoms(atoms, params, frames=F)[b]`` is bitwise identical to
    ``image_from_atoms(atoms_b, params_b, dtype=dtype, frame=F[b])`` for every
    ``b`` and any thread count.

    Parameters
    ----------
    atoms : atom table or list of atom tables
        As for :func:`image_from_atoms`.  One table is used for every image.
    img_params : ImageParams or list of ImageParams
        One per image, or one for every image.  All must have the same number
        of channels and the same ``length_voxels``; centre, resolution,
        channel patterns and radii may differ.
    channel_cache : dict, optional
        Element → channel index, shared by every image; every params must
        then use the same channel list (``ValueError`` otherwise).
    num_threads : int, optional
        Threads to use; ``None`` means OpenMP's default (all cores, or
        ``OMP_NUM_THREADS``).
    dtype : float64 or float32
    out : numpy.ndarray, optional
        C-contiguous ``(B, C, L, L, L)`` array of ``dtype`` to fill and return.
    frames : (B, 4, 4) or (4, 4) array, optional
        One rigid frame per image (or one for all), as ``frame=`` of
        :func:`image_from_atoms`.
    fill, agg, radius_scale, gaussian_radius_multiple
        As for :func:`image_from_atoms`.

    Returns
    -------
    numpy.ndarray
        ``(B, C, L, L, L)`` where B is the longest of the sequences.

    Raises
    ------
    ValueError
        Sequences of different lengths (other than 1), images with different
        channel counts or lengths, a bad ``out``, bad input rows.
    RuntimeError, KeyError
        As :func:`image_from_atoms`, for the first image (in batch order) that
        has such an atom.
    MemoryError
        The batch is too large to allocate.
    """
    tables_seq = isinstance(atoms, (list, tuple))
    tables: list = list(atoms) if isinstance(atoms, (list, tuple)) else [atoms]
    params_list, _ = _sequence(img_params, ImageParams)
    frame_values = None
    if frames is not None:
        f = np.asarray(frames, dtype=np.float64)
        frame_values = check_frames(f[None] if f.ndim == 2 else f)
    n_images = _batch_size(tables, params_list, frame_values)
    dt = check_dtype(dtype)
    check_channel_cache(channel_cache)
    threads = check_num_threads(num_threads, core.max_threads())
    modes = kernel_modes(fill, agg, radius_scale, gaussian_radius_multiple)
    per_image, resolvers, chosen = _batch_params(params_list, n_images, channel_cache)
    images = _batch_output(out, (n_images, *per_image[0].shape), dt)
    sources, source_of_image, table_of_source, max_radii = _batch_sources(
        tables, n_images, per_image, chosen, tables_seq)
    resolver_index = {id(r): i for i, r in enumerate(resolvers)}  # alive for the call
    resolver_of_image = np.array([resolver_index[id(p.resolver)] for p in per_image],
                                 dtype=np.intc)
    centers = np.array([p.center for p in per_image], dtype=np.float64).reshape(n_images, 3)
    resolutions = np.array([p.resolution_A for p in per_image], dtype=np.float64)
    if frame_values is not None and frame_values.shape[0] != n_images:
        frame_values = np.ascontiguousarray(np.broadcast_to(frame_values, (n_images, 12)))
    caches = [channel_cache] * len(resolvers)

    def report_for(image):
        s = int(source_of_image[image])
        return ElementRows(sources[s], per_image[image],
                           where=f"image {image}: " if n_images > 1 else "",
                           table=f"atoms[{table_of_source[s]}]: " if tables_seq else "")

    run_kernel(lambda screen: core.draw_batch(
        images, sources, source_of_image, resolvers, caches, resolver_of_image, centers,
        resolutions, max_radii, frame_values, modes.fill, modes.agg, screen, threads,
        modes.density), report_for)
    return images


def _batch_size(tables, params_list, frame_values):
    """The number of images of a batch: the longest of the sequences, which
    are each of that length or of length 1."""
    if not tables:
        raise ValueError("atoms is an empty sequence: no images to make")
    if not params_list:
        raise ValueError("img_params is an empty sequence: no images to make")
    if frame_values is not None and frame_values.shape[0] == 0:
        raise ValueError("frames is empty: no images to make")
    lengths = [len(tables), len(params_list)]
    if frame_values is not None:
        lengths.append(frame_values.shape[0])
    n_images = max(lengths)
    if any(n not in (1, n_images) for n in lengths):
        raise ValueError(
            f"atoms has {len(tables)} tables and img_params has {len(params_list)} entries"
            + (f" and frames has {frame_values.shape[0]}" if frame_values is not None else "")
            + "; pass sequences of equal length, or one of either to broadcast"
        )
    return n_images


def _batch_params(params_list, n_images, channel_cache):
    """``(per_image, resolvers, channel_set)``: each distinct ImageParams
    checked once (objects are alive for the whole call, so their ids are
    stable within it), the distinct resolvers, and the batch's channel set."""
    resolved = {}
    for p in params_list:
        if id(p) not in resolved:
            resolved[id(p)] = ResolvedParams(p)
    per_image = [resolved[id(params_list[b if len(params_list) > 1 else 0])]
                 for b in range(n_images)]
    first = per_image[0]
    for i, p in enumerate(params_list):
        r = resolved[id(p)]
        if r.n_channels != first.n_channels or r.length_voxels != first.length_voxels:
            raise ValueError(
                f"img_params[{i}] makes ({r.n_channels}, {r.length_voxels}, ...) images but "
                f"img_params[0] makes ({first.n_channels}, {first.length_voxels}, ...); "
                f"every image in a batch needs the same channel count and length_voxels"
            )
    sets = {r.channel_set for r in resolved.values()}
    if len(sets) > 1:
        raise ValueError("every image of a batch needs the same channels: one channel set, "
                         "or element patterns for all")
    chosen = sets.pop()
    if chosen is not None and channel_cache is not None:
        raise ValueError(f"channel_cache applies to element patterns, not to the channel "
                         f"set {chosen.name!r}")
    resolvers: list = []
    for r in resolved.values():
        if not any(r.resolver is known for known in resolvers):
            resolvers.append(r.resolver)
    channel_lists = {tuple(r.channels) for r in resolvers if r is not None}
    if channel_cache is not None and len(channel_lists) > 1:
        a, b = sorted(channel_lists)[:2]
        raise ValueError(
            f"channel_cache maps elements to the channels of one channel list, but "
            f"img_params holds {len(channel_lists)} different channel lists (e.g. "
            f"{list(a)} and {list(b)}); pass channel_cache=None, or one batch per "
            f"channel list"
        )
    return per_image, resolvers, chosen


def _batch_output(out, shape, dt):
    """The batch array: ``out`` checked, or a new one (zeroed per image by
    the kernel)."""
    if out is not None:
        check_out(out, shape, dt)
        return out
    check_image_size(shape, dt, "batch")
    try:
        return np.empty(shape, dtype=dt)
    except MemoryError:
        raise MemoryError(f"no memory for a batch of shape {shape} ({dt})") from None


def _batch_sources(tables, n_images, per_image, chosen, tables_seq):
    """``(sources, source_of_image, table_of_source, max_radii)``: each
    distinct table read once, and each image's largest radius."""
    sources: list = []  # AtomSource, or (AtomSource, largest radius) of typed tables
    source_index: Dict[int, int] = {}
    table_of_source: List[int] = []
    for t, table in enumerate(tables):
        if id(table) in source_index:
            continue
        try:
            source = (table_source(table) if chosen is None
                      else typed_source(table, chosen))
        except (ValueError, TypeError) as err:
            if tables_seq:
                raise type(err)(f"atoms[{t}]: {err}") from None
            raise
        source_index[id(table)] = len(sources)
        sources.append(source)
        table_of_source.append(t)
    source_of_image = np.array(
        [source_index[id(tables[b if len(tables) > 1 else 0])] for b in range(n_images)],
        dtype=np.intc)
    if chosen is None:
        max_radii = np.array([p.max_radius_A for p in per_image], dtype=np.float64)
    else:  # typed tables: (source, largest radius) pairs
        max_radii = np.array([sources[s][1] for s in source_of_image], dtype=np.float64)
        sources = [source for source, _ in sources]
    return sources, source_of_image, table_of_source, max_radii
