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

from voxelize_cy.chemistry._elements import AtomTable
from voxelize_cy.core import _kernels
from voxelize_cy.core._prepared import PreparedAtoms
from voxelize_cy.images._checks import (
    BINARY_FILL,
    GAUSSIAN_FILL,
    check_channel_cache,
    check_dtype,
    check_image_size,
    check_num_threads,
    check_out,
    density_options,
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

__all__ = ["image_from_atoms", "images_from_atoms", "FILLS", "AGGREGATIONS"]

# Kernel status codes (see _draw.pxd).
_OK, _NO_CHANNEL, _NO_RADIUS, _NO_MEMORY, _BAD_CHANNEL, _BAD_ROWS = range(6)
_BAD_CODE, _NOT_STR, _BAD_RADIUS = 6, 7, 8
_SCREEN_NONE, _SCREEN_ORIGINAL = 0, 1

#: ``fill=`` choices: what an atom puts in a voxel, times its occupancy.
FILLS = {
    "fraction_atom": 0,   # overlap / ball volume (the original's; voxels sum to 1 per atom)
    "overlap_A3": 1,      # overlap volume in Å³
    "fraction_voxel": 2,  # overlap / voxel volume
    "gaussian": GAUSSIAN_FILL,  # libmolgrid's Gaussian density at the voxel centre
    "binary": BINARY_FILL,      # 1 where the voxel centre lies inside the ball (libmolgrid)
}
#: ``agg=`` choices: how atoms that share a voxel and channel combine.
AGGREGATIONS = {"sum": 0, "max": 1}


def _mode(value, choices, name):
    """The code of a ``fill=``/``agg=`` choice, given by name in any case, with
    or without underscores ('overlap_A3', 'OverlapA3'), or as an enum member
    of that name (macromol_voxelize's FillAlgorithm, AggAlgorithm)."""
    code = choices.get(value) if type(value) is str else None
    if code is not None:  # the usual spelling: one dict lookup
        return code
    key = getattr(value, "name", value)
    if isinstance(key, str):
        key = key.replace("_", "").lower()
        for choice, code in choices.items():
            if key == choice.replace("_", "").lower():
                return code
    raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


def _raise_for_row(status, row, source, params, channel_cache, where=""):
    """Raise the error the original raises (or a clear one) for the atom at
    ``row`` of ``source`` (the table's ``TableSource`` or a prepared table)."""
    if status == _NO_MEMORY:
        raise MemoryError(f"{where}no memory for the voxelization scratch space")
    if params.channel_set is not None:  # a typed table: radius and channel columns
        chosen = params.channel_set
        if status == _BAD_RADIUS:
            raise ValueError(f"{where}atoms[{chosen.radius_column!r}] at row {row} is "
                             f"{float(source.radius[row])!r}; radii must be finite and >= 0")
        raise ValueError(f"{where}atom at row {row} cannot be drawn (kernel status "
                         f"{status})")
    element = element_at(source, row) if row >= 0 else None
    if isinstance(element, np.generic):  # a numpy scalar: shown as the number it is
        element = element.item()
    if status == _NOT_STR or not isinstance(element, str):
        what = "a missing value" if element is None else type(element).__name__
        column = element_type(source)
        raise ValueError(
            f"{where}atoms['element'] at row {row} is {element!r} ({what}"
            + (f", in a column of {column}" if column else "")
            + "); expected a str such as 'C'"
        )
    if status == _NO_RADIUS:
        radii = params.radii
        keys = sorted(map(str, radii)) if isinstance(radii, dict) else []
        raise KeyError(
            f"{where}no radius for element {element!r} (atom at row {row}): "
            f"img_params.element_radii_A has keys {keys} and no '*' default"
        )
    if status == _NO_CHANNEL:
        raise RuntimeError(
            f"{where}element {element} didn't match any channels: no pattern of "
            f"img_params.channels {params.channels} re.fullmatch-es {element!r} "
            f"(atom at row {row}); add a catch-all pattern such as '.*'"
        )
    raise ValueError(f"{where}atom at row {row} ({element!r}) has no valid channel "
                     f"(kernel status {status})")


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
    fill_code = 0 if fill == "fraction_atom" else _mode(fill, FILLS, "fill")
    agg_code = 0 if agg == "sum" else _mode(agg, AGGREGATIONS, "agg")
    density = density_options(fill_code, radius_scale, gaussian_radius_multiple)
    img = output_array(out, params.shape, dt)
    if params.channel_set is not None:
        source, max_radius_A = typed_source(atoms, params.channel_set)
    else:
        source, max_radius_A = table_source(atoms), params.max_radius_A
    return _draw_one(img, source, params, channel_cache, frame_values, fill_code,
                     agg_code, density, max_radius_A)


def _draw_one(img, source, params, channel_cache, frame_values, fill_code, agg_code,
              density=None, max_radius_A=None):
    """Draw ``source`` into the zeroed ``img``; raise the error of a bad row."""
    cx, cy, cz = params.center
    if max_radius_A is None:
        max_radius_A = params.max_radius_A
    screen = _SCREEN_ORIGINAL
    while True:
        status, row = _kernels.draw_image(
            img, source, params.resolver, channel_cache, cx, cy, cz,
            params.resolution_A, max_radius_A, frame_values, fill_code,
            agg_code, screen, False, density,
        )
        if status != _BAD_ROWS:
            break
        first_bad_row(source)  # raises, naming the first bad row
        screen = _SCREEN_NONE  # only -0.0 occupancies fail the screen while valid
    if status != _OK:
        _raise_for_row(status, row, source, params, channel_cache)
    return img


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
    if isinstance(atoms, (list, tuple)):
        tables_seq, tables = True, list(atoms)
    else:
        tables_seq, tables = False, [atoms]
    params_list, _ = _sequence(img_params, ImageParams)
    frame_values = None
    if frames is not None:
        f = np.asarray(frames, dtype=np.float64)
        frame_values = check_frames(f[None] if f.ndim == 2 else f)
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
    dt = check_dtype(dtype)
    check_channel_cache(channel_cache)
    threads = check_num_threads(num_threads, _kernels.max_threads())
    fill_code = _mode(fill, FILLS, "fill")
    agg_code = _mode(agg, AGGREGATIONS, "agg")
    density = density_options(fill_code, radius_scale, gaussian_radius_multiple)

    # Parameters: each distinct object checked once (objects are alive for
    # the whole call, so their ids are stable within it).
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
    resolvers: List[ResolvedParams] = []
    resolver_index = {}
    for r in resolved.values():
        if id(r.resolver) not in resolver_index:
            resolver_index[id(r.resolver)] = len(resolvers)
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
    caches = [channel_cache] * len(resolvers)

    shape = (n_images, *first.shape)
    if out is None:
        check_image_size(shape, dt, "batch")
        try:
            images = np.empty(shape, dtype=dt)  # zeroed per image by the kernel
        except MemoryError:
            raise MemoryError(f"no memory for a batch of shape {shape} ({dt})") from None
    else:
        check_out(out, shape, dt)
        images = out

    # Tables: each distinct object read once.
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
    resolver_of_image = np.array([resolver_index[id(p.resolver)] for p in per_image],
                                 dtype=np.intc)
    centers = np.array([p.center for p in per_image], dtype=np.float64).reshape(n_images, 3)
    resolutions = np.array([p.resolution_A for p in per_image], dtype=np.float64)
    if chosen is None:
        max_radii = np.array([p.max_radius_A for p in per_image], dtype=np.float64)
    else:  # typed tables: (source, largest radius) pairs
        max_radii = np.array([sources[s][1] for s in source_of_image], dtype=np.float64)
        sources = [source for source, _ in sources]
    if frame_values is not None and frame_values.shape[0] != n_images:
        frame_values = np.ascontiguousarray(np.broadcast_to(frame_values, (n_images, 12)))

    screen = _SCREEN_ORIGINAL
    while True:
        status, bad_row = _kernels.draw_batch(
            images, sources, source_of_image, resolvers, caches, resolver_of_image,
            centers, resolutions, max_radii, frame_values, fill_code, agg_code, screen,
            threads, density,
        )
        failed = np.flatnonzero(status)
        if not failed.size or status[failed[0]] != _BAD_ROWS:
            break
        s = int(source_of_image[failed[0]])
        try:
            first_bad_row(sources[s])
        except ValueError as err:
            if tables_seq:
                raise ValueError(f"atoms[{table_of_source[s]}]: {err}") from None
            raise
        screen = _SCREEN_NONE
    if failed.size:
        image = int(failed[0])
        _raise_for_row(
            int(status[image]), int(bad_row[image]), sources[source_of_image[image]],
            per_image[image], channel_cache,
            where=f"image {image}: " if n_images > 1 else "",
        )
    return images
