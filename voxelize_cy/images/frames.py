"""Rigid frames: rotations and translations of atoms, done inside the kernel.

A frame is a 4×4 homogeneous matrix ``F`` that maps a table's coordinates
into the image's frame: ``[x', y', z', 1] = F @ [x, y, z, 1]``.  Passing
``frame=F`` to ``image_from_atoms`` voxelizes the atoms as if the table had
been transformed, without copying it: only the atoms that can reach the image
are transformed.
"""

from __future__ import annotations

import math
from typing import Union

import numpy as np
from numpy.typing import ArrayLike

from voxelize_cy.chemistry import AtomTable
from voxelize_cy.core import frame_numbers, frames_numbers, quaternion_transform_f32

__all__ = ["random_frame", "random_frames", "transform_atoms", "check_frame", "check_frames",
           "rotate_points_f32"]


def check_frame(frame: ArrayLike) -> np.ndarray:
    """The 12 numbers of a checked frame (``ValueError`` names the problem)."""
    return frame_numbers(frame)


def check_frames(frames: ArrayLike) -> np.ndarray:
    """(B, 12) numbers of a checked (B, 4, 4) stack of frames."""
    return frames_numbers(frames)


def random_frame(origin_A: ArrayLike,
                 rng: Union[None, int, np.random.Generator] = None) -> np.ndarray:
    """A uniformly random rotation about ``origin_A``, moving it to (0, 0, 0).

    Parameters
    ----------
    origin_A : array-like of 3 floats
        The point (Å) that the frame sends to the origin.
    rng : numpy.random.Generator or seed, optional
        Source of randomness (``numpy.random.default_rng(rng)`` otherwise).

    Returns
    -------
    numpy.ndarray
        ``(4, 4)`` float64 ``F`` with ``F @ [origin, 1] = [0, 0, 0, 1]`` and a
        rotation block drawn uniformly from SO(3) (a normalised Gaussian
        quaternion).
    """
    origin = np.asarray(origin_A, dtype=np.float64)
    if origin.shape != (3,) or not np.isfinite(origin).all():
        raise ValueError(f"origin_A must be 3 finite numbers, got {origin_A!r}")
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    return np.array(_frame_rows(_unit_quaternion(rng.standard_normal(4).tolist(), rng),
                                origin.tolist()))


def random_frames(origins_A: ArrayLike, rng: np.random.Generator) -> np.ndarray:
    """``random_frame(o, rng)`` for each row ``o`` of ``origins_A`` in turn: the
    same frames, bitwise, with the rotations drawn in one call.

    Parameters
    ----------
    origins_A : (n, 3) array-like of float
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        ``(n, 4, 4)`` float64.
    """
    origins = np.asarray(origins_A, dtype=np.float64)
    if origins.ndim != 2 or origins.shape[1] != 3 or not np.isfinite(origins).all():
        raise ValueError(f"origins_A must be (n, 3) finite numbers, got {origins_A!r}")
    state = rng.bit_generator.state
    draws = rng.standard_normal(4 * len(origins)).tolist()
    frames = []
    for k, origin in enumerate(origins.tolist()):
        w, x, y, z = draws[4 * k:4 * k + 4]
        norm = math.sqrt(w * w + x * x + y * y + z * z)
        if norm == 0.0:
            # probability zero: random_frame draws again here; so do the same
            rng.bit_generator.state = state
            return np.stack([random_frame(o, rng) for o in origins])
        frames.append(_frame_rows((w / norm, x / norm, y / norm, z / norm), origin))
    return np.array(frames).reshape(-1, 4, 4)


def _unit_quaternion(q: list, rng: np.random.Generator) -> tuple:
    """``q`` (4 draws) normalised; drawn again while its norm is 0."""
    w, x, y, z = q
    norm = math.sqrt(w * w + x * x + y * y + z * z)
    while norm == 0.0:  # probability zero, but never divide by it
        w, x, y, z = rng.standard_normal(4).tolist()
        norm = math.sqrt(w * w + x * x + y * y + z * z)
    return w / norm, x / norm, y / norm, z / norm


def _frame_rows(q: tuple, origin: list) -> list:
    """The 4 rows of the frame of unit quaternion ``q`` that sends ``origin`` to 0."""
    w, x, y, z = q
    r = [[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
         [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
         [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]]
    ox, oy, oz = origin
    return ([row + [-(row[0] * ox + row[1] * oy + row[2] * oz)] for row in r]
            + [[0.0, 0.0, 0.0, 1.0]])


def transform_atoms(atoms: AtomTable, frame: ArrayLike) -> AtomTable:
    """A copy of ``atoms`` with x, y, z mapped by ``frame`` (what
    ``frame=`` does inside the kernel, done the slow way, on every row).

    Works on pandas and polars DataFrames and dicts of arrays; other columns
    are copied unchanged.
    """
    check_frame(frame)
    f = np.asarray(frame, dtype=np.float64)
    xyz = np.stack([np.asarray(atoms["x"], dtype=np.float64),
                    np.asarray(atoms["y"], dtype=np.float64),
                    np.asarray(atoms["z"], dtype=np.float64)], axis=1)
    moved = xyz @ f[:3, :3].T + f[:3, 3]
    kind = type(atoms).__module__.split(".", 1)[0]
    if kind == "polars":
        import polars as pl

        return atoms.with_columns(pl.Series("x", moved[:, 0]), pl.Series("y", moved[:, 1]),
                                  pl.Series("z", moved[:, 2]))
    if kind == "pandas":
        out = atoms.copy()
        out["x"], out["y"], out["z"] = moved[:, 0], moved[:, 1], moved[:, 2]
        return out
    out = {k: np.array(v, copy=True) for k, v in atoms.items()}
    out["x"], out["y"], out["z"] = moved[:, 0], moved[:, 1], moved[:, 2]
    return out


def rotate_points_f32(points_A: ArrayLike, quaternion: ArrayLike, center_A: ArrayLike,
                      translation_A: ArrayLike, inverse: bool = False) -> np.ndarray:
    """Points rotated by a quaternion about a centre, then translated, in
    float32 arithmetic operation by operation (libmolgrid's ``Transform``):
    ``q (0, p - c) q̄ / |q|² + c + t``; with ``inverse``, the undoing
    ``q̄ / |q|² (0, p - c - t) q + c``.

    Parameters
    ----------
    points_A : (N, 3) array
        Rounded to float32 first.
    quaternion : 4 floats
        ``(a, b, c, d)``, real part first (any norm but 0).
    center_A, translation_A : 3 floats each

    Returns
    -------
    numpy.ndarray
        ``(N, 3)`` float32.
    """
    p = np.ascontiguousarray(np.asarray(points_A, np.float32).reshape(-1, 3))
    q = np.asarray(quaternion, np.float32).reshape(4)
    c = np.asarray(center_A, np.float32).reshape(3)
    t = np.asarray(translation_A, np.float32).reshape(3)
    conj = q * np.array([1, -1, -1, -1], np.float32)
    norm = np.float32(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3])
    if not norm > 0:
        raise ValueError(f"quaternion must not be 0, got {q.tolist()}")
    zero = np.zeros(3, np.float32)
    if inverse:  # the inverse's own inverse, conj(conj / n) / |conj / n|^2, is q again
        q_inv = conj / norm
        back = q_inv * np.array([1, -1, -1, -1], np.float32)
        back_norm = np.float32(q_inv[0] * q_inv[0] + q_inv[1] * q_inv[1]
                               + q_inv[2] * q_inv[2] + q_inv[3] * q_inv[3])
        return quaternion_transform_f32(p, q_inv, back / back_norm, c, t, c, zero)
    return quaternion_transform_f32(p, q, conj / norm, c, zero, c, t)
