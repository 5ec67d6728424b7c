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

from voxelize_cy.chemistry._elements import AtomTable
from voxelize_cy.core._frames import frame_numbers, frames_numbers

__all__ = ["random_frame", "transform_atoms", "check_frame", "check_frames"]


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
    w = x = y = z = 0.0
    norm = 0.0
    while norm == 0.0:  # probability zero, but never divide by it
        w, x, y, z = rng.standard_normal(4).tolist()
        norm = math.sqrt(w * w + x * x + y * y + z * z)
    w, x, y, z = w / norm, x / norm, y / norm, z / norm
    r = [[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
         [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
         [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]]
    ox, oy, oz = origin.tolist()
    return np.array([row + [-(row[0] * ox + row[1] * oy + row[2] * oz)] for row in r]
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
