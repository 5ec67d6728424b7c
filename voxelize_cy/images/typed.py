"""Images of typed atoms: each atom with its own channel(s), radius and weight.

The drop-in API finds an atom's channel and radius from its element;
gnina's data (and anything typed beforehand) comes with them.
:class:`TypedSource` holds such atoms as the kernels read them, and
:func:`images_from_typed` draws a batch of them on all cores, the same
kernels and the same guarantees as ``images_from_atoms`` (a batch is bitwise
the images drawn one by one, for any thread count); :func:`gradients_of_typed`
is its backward pass.

An atom in several channels with different weights (gnina's vector types)
is one row per channel, its weight as the row's occupancy.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, cast

import numpy as np

from voxelize_cy import core
from voxelize_cy.core import TableSource, channel_lists, largest, typed_rows
from voxelize_cy.core import Screen
from voxelize_cy.images._call import RowReport, kernel_modes, run_kernel
from voxelize_cy.images._checks import check_dtype, check_image_size, check_num_threads, check_out
from voxelize_cy.images.frames import check_frames

__all__ = ["TypedSource", "typed_source_of", "typed_source_of_sets", "typed_sources_of_batch",
           "images_from_typed",
           "gradients_of_typed", "rows_in_reach"]

#: weights of any sign (gnina's vector types hold charges)
_SCREEN = Screen.SCREEN_FINITE


class TypedSource:
    """Atoms with their channels, radii and weights, ready for the kernels.

    Build one with :func:`typed_source_of`.

    Attributes
    ----------
    source : TableSource
        What the kernels read.
    max_radius_A : float
        The largest radius (the atom box of an image grows by it).
    """

    __slots__ = ("source", "max_radius_A")

    def __init__(self, source: TableSource, max_radius_A: float):
        self.source = source
        self.max_radius_A = max_radius_A


def typed_source_of(coords_A, channel, radius_A, weight=None,
                    n_channels: Optional[int] = None) -> TypedSource:
    """Atoms as the kernels read them.

    Parameters
    ----------
    coords_A : (N, 3) array
        Å.
    channel : (N,) integer array
        Each atom's channel; negative: in no channel (not drawn).
    radius_A : (N,) array
        Å, finite and >= 0.
    weight : (N,) array, optional
        What the atom's values are multiplied by (default 1); any sign.
    n_channels : int, optional
        Checked: every channel must be below it.

    Raises
    ------
    ValueError
        Non-finite coordinates, radii or weights, a negative radius, a
        channel out of range, or arrays of different lengths; naming the atom.
    """
    xyz = np.asarray(coords_A, dtype=np.float64)
    if xyz.ndim != 2 or xyz.shape[1] != 3:
        raise ValueError(f"coords_A must be (N, 3), got shape {xyz.shape}")
    n = xyz.shape[0]
    channel = np.asarray(channel)
    radius = np.ascontiguousarray(radius_A, dtype=np.float64)
    weights = (np.ones(n) if weight is None
               else np.ascontiguousarray(weight, dtype=np.float64))
    for name, array in (("channel", channel), ("radius_A", radius), ("weight", weights)):
        if array.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},), got {array.shape}")
    if channel.dtype.kind not in "iu":
        raise ValueError(f"channel must hold integers, got {channel.dtype}")
    _check_finite(xyz, "coords_A")
    _check_finite(weights, "weight")
    biggest = largest(radius)
    if not np.isfinite(biggest) or (n and radius.min() < 0):
        bad = int(np.flatnonzero(~(radius >= 0) | ~np.isfinite(radius))[0])
        raise ValueError(f"radius_A of atom {bad} is {float(radius[bad])!r}; radii must "
                         f"be finite and >= 0")
    if n_channels is not None and n and int(channel.max()) >= n_channels:
        bad = int(np.flatnonzero(channel >= n_channels)[0])
        raise ValueError(f"atom {bad} is in channel {int(channel[bad])}; there are "
                         f"{n_channels} channels")
    start, lists = channel_lists(channel, 1 << 62)
    source = TableSource(np.ascontiguousarray(xyz[:, 0]), np.ascontiguousarray(xyz[:, 1]),
                         np.ascontiguousarray(xyz[:, 2]), weights, None, radius,
                         start, lists)
    return TypedSource(source, float(biggest))


def typed_source_of_sets(coords_A, types, radii_A, offsets, n_channels: int) -> TypedSource:
    """Index-typed atom sets as one source, in one compiled pass a set.

    Parameters
    ----------
    coords_A, types, radii_A : sequences of arrays
        Per set: ``(N, 3)`` coordinates, ``(N,)`` types (numbers; negative:
        no channel), ``(N,)`` radii (0: not drawn); float32.
    offsets : sequence of int
        Set s's type t goes to channel ``offsets[s] + t``.
    n_channels : int

    Raises
    ------
    ValueError
        A type at or past ``n_channels``, a non-finite coordinate or radius, a
        negative radius: naming the set and the atom.
    """
    as32 = [np.ascontiguousarray(a, dtype=np.float32) for a in coords_A]
    t32 = [np.ascontiguousarray(a, dtype=np.float32) for a in types]
    r32 = [np.ascontiguousarray(a, dtype=np.float32) for a in radii_A]
    try:
        x, y, z, weight, radius, start, channels, biggest, _, _ = typed_rows(
            as32, t32, r32, np.asarray(offsets, dtype=np.int64), int(n_channels))
    except ValueError as err:
        raise _set_error(err, "set") from None
    return TypedSource(TableSource(x, y, z, weight, None, radius, start, channels), biggest)


def typed_sources_of_batch(coords_A, types, radii_A, counts,
                           n_channels: int) -> List[TypedSource]:
    """One source per example of a batch's index-typed atoms, in one compiled
    pass (channels already offset).

    Parameters
    ----------
    coords_A : (N, 3) float32 array
        Every example's atoms, example by example.
    types : (N,) float32 array
        Channels (negative: none).
    radii_A : (N,) float32 array
        Radii (0: not drawn).
    counts : (B,) integer array
        Atoms per example.
    n_channels : int

    Returns
    -------
    list of TypedSource
        Source b holds example b's drawn atoms.

    Raises
    ------
    ValueError
        As :func:`typed_source_of_sets`, naming the example and its atom.
    """
    counts = np.asarray(counts, np.int64)
    if counts.ndim != 1 or (counts < 0).any() or int(counts.sum()) != len(coords_A):
        raise ValueError(f"counts must be >= 0 and add up to the {len(coords_A)} atoms")
    ends = np.cumsum(counts).tolist()
    bounds = list(zip([0] + ends[:-1], ends))
    as32 = np.ascontiguousarray(coords_A, dtype=np.float32)
    t32 = np.ascontiguousarray(types, dtype=np.float32)
    r32 = np.ascontiguousarray(radii_A, dtype=np.float32)
    try:
        x, y, z, weight, radius, start, channels, _, kept, largest_of = typed_rows(
            [as32[a:b] for a, b in bounds], [t32[a:b] for a, b in bounds],
            [r32[a:b] for a, b in bounds], np.zeros(len(bounds), np.int64), int(n_channels))
    except ValueError as err:
        raise _set_error(err, "example") from None
    rows = np.concatenate([[0], np.cumsum(kept)]).tolist()
    return [TypedSource(TableSource(x[a:b], y[a:b], z[a:b], weight[a:b], None, radius[a:b],
                                    start[:b - a + 1], channels[a:b]), float(big))
            for a, b, big in zip(rows[:-1], rows[1:], largest_of.tolist())]


def _set_error(err: ValueError, what: str) -> ValueError:
    """typed_rows's ``(set, atom, what)`` error as a message."""
    if err.args and isinstance(err.args[0], tuple):
        set_index, atom, problem = err.args[0]
        return ValueError(f"{what} {set_index}, atom {atom}: {problem}")
    return err


def rows_in_reach(coords_A, center_A, resolution_A: float, length_voxels: int,
                  reach_A: float, frame=None) -> np.ndarray:
    """The rows of ``coords_A`` (N, 3) that, moved by ``frame``, lie strictly
    within ``reach_A`` of the image's box (the image's own atom test, in one
    compiled pass; intp, row order)."""
    xyz = np.asarray(coords_A, dtype=np.float64)
    frame_values = None if frame is None else check_frames(
        np.asarray(frame, np.float64).reshape(1, 4, 4))[0]
    return core.find_atoms_in_box(
        np.ascontiguousarray(xyz[:, 0]), np.ascontiguousarray(xyz[:, 1]),
        np.ascontiguousarray(xyz[:, 2]), np.asarray(center_A, np.float64),
        float(resolution_A), int(length_voxels), float(reach_A), frame_values)


def _check_finite(values: np.ndarray, name: str) -> None:
    finite = np.isfinite(values)
    if not finite.all():
        bad = int(np.flatnonzero(~finite.reshape(finite.shape[0], -1).all(axis=1))[0])
        raise ValueError(f"{name} of atom {bad} is not finite: {values[bad].tolist()}")


def images_from_typed(sources: Sequence[TypedSource], centers_A, resolution_A: float,
                      length_voxels: int, n_channels: int, *, frames=None,
                      fill: str = "gaussian", agg: str = "sum", radius_scale: float = 1.0,
                      gaussian_radius_multiple: float = 1.0, dtype=np.float32,
                      out: Optional[np.ndarray] = None,
                      num_threads: Optional[int] = None,
                      libmolgrid_ties: bool = False) -> np.ndarray:
    """Draw image b of ``sources[b]`` for every b, on all cores.

    Parameters
    ----------
    sources : sequence of TypedSource
        One per image.
    centers_A : (B, 3) array
        Each image's centre (Å).
    resolution_A : float
    length_voxels : int
    n_channels : int
    frames : (B, 4, 4) array, optional
        A rigid frame per image, applied to its atoms (see ``random_frame``).
    fill, agg, radius_scale, gaussian_radius_multiple
        As for ``images_from_atoms``.
    dtype : float32 or float64
    out : (B, C, L, L, L) array, optional
        Filled in place (zeroed first) and returned.
    num_threads : int, optional
        OpenMP's default without it.
    libmolgrid_ties : bool
        Where a binary or truncated density jumps, decide the voxel centres
        at the cut in libmolgrid's float32 arithmetic (its grid origin being
        the first voxel centre), as its ``GridMaker`` does: float64 distances
        and float32 rounding disagree there.

    Returns
    -------
    numpy.ndarray
        ``(B, n_channels, L, L, L)``.
    """
    n_images = len(sources)
    centers = np.ascontiguousarray(centers_A, dtype=np.float64).reshape(n_images, 3)
    dt = check_dtype(dtype)
    modes = kernel_modes(fill, agg, radius_scale, gaussian_radius_multiple)
    shape = (n_images, int(n_channels), int(length_voxels), int(length_voxels),
             int(length_voxels))
    if out is None:
        check_image_size(shape, dt, "batch")
        out = np.empty(shape, dt)
    else:
        check_out(out, shape, dt)
    if n_images == 0:
        return out
    frame_values = None
    if frames is not None:
        frame_values = check_frames(np.asarray(frames, np.float64).reshape(n_images, 4, 4))
    threads = check_num_threads(num_threads, core.max_threads())
    run_kernel(lambda screen: core.draw_batch(
        out, [s.source for s in sources], np.arange(n_images, dtype=np.intc), [None], [None],
        np.zeros(n_images, np.intc), centers, np.full(n_images, float(resolution_A)),
        np.array([s.max_radius_A for s in sources], np.float64), frame_values, modes.fill,
        modes.agg, screen, threads, modes.density, bool(libmolgrid_ties)),
        lambda image: RowReport(f"image {image}: "), _SCREEN)
    return out


def gradients_of_typed(typed: TypedSource, grad_image: np.ndarray, center_A,
                       resolution_A: float, *, fill: str = "gaussian", agg: str = "sum",
                       radius_scale: float = 1.0,
                       gaussian_radius_multiple: float = 1.0) -> np.ndarray:
    """dL/d(x, y, z) of each row of ``typed``, given ``grad_image`` = dL/d(image)
    of the image :func:`images_from_typed` draws of it about ``center_A``.

    Returns
    -------
    numpy.ndarray
        ``(n_rows, 3)`` float64 (zeros for rows out of the image's reach).

    Raises
    ------
    ValueError
        ``fill='binary'`` (a step: no gradient), a ``grad_image`` that is not a
        C-contiguous float32/float64 ``(C, L, L, L)`` array.
    """
    modes = kernel_modes(fill, agg, radius_scale, gaussian_radius_multiple, gradient=True)
    grad = np.ascontiguousarray(grad_image)
    if grad.ndim != 4 or grad.dtype not in (np.float32, np.float64):
        raise ValueError(f"grad_image must be a float32/float64 (C, L, L, L) array, got "
                         f"{grad.dtype} of shape {grad.shape}")
    out = np.zeros((typed.source.n_source_rows(), 3))
    c = np.asarray(center_A, np.float64).reshape(3)
    no_resolver = cast(Any, None)  # typed sources carry their channels and radii
    run_kernel(lambda screen: core.gradients(
        grad, typed.source, no_resolver, None, c[0], c[1], c[2], float(resolution_A),
        typed.max_radius_A, None, modes.fill, modes.agg, screen, out, modes.density),
        lambda image: RowReport("the gradient pass: "), _SCREEN)
    return out
