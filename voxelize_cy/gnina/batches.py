"""Compact batches: what DataLoader workers send, and what the grids are made of.

A batch of gnina examples as six numpy arrays: every drawn atom's coordinates,
channel and radius (each example's sets already offset into its channels,
untyped atoms left out), each example's atom count, labels, grid centre and
frame.  It pickles in a few MB where its grids take hundreds (50 examples of
28 × 48³ float32 are 620 MB), so DataLoader workers draw and type the examples
and the main process grids them into one reused buffer on all cores
(:meth:`voxelize_cy.gnina.GninaGridder.grid_batch`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np

from voxelize_cy.gnina.coordinates import TypedAtoms
from voxelize_cy.gnina.grids import type_offsets

__all__ = ["ExampleBatch"]


@dataclass
class ExampleBatch:
    """Typed atoms of a batch of examples, ready to grid.

    Attributes
    ----------
    coords : (N, 3) float32
        Every atom of every example, example by example.
    channel : (N,) int32
        Its channel.
    radius : (N,) float32
        Its radius (Å).
    counts : (B,) int64
        Atoms per example (``coords[start:start + counts[b]]`` is example b's).
    labels : (B, L) float32
    centers : (B, 3) float64
        Grid centres (libmolgrid's: each example's last set's centre).
    frames : (B, 4, 4) float64
        Rigid frames applied to the atoms (rotation about the centre, translation).
    n_channels : int
    rows : (B,) int64
        Each example's number in its ``.types`` files.
    """

    coords: np.ndarray
    channel: np.ndarray
    radius: np.ndarray
    counts: np.ndarray
    labels: np.ndarray
    centers: np.ndarray
    frames: np.ndarray
    n_channels: int
    rows: np.ndarray

    def __len__(self) -> int:
        return int(self.counts.shape[0])

    @staticmethod
    def of_examples(examples, frames: Optional[np.ndarray] = None,
                    n_channels: Optional[int] = None, gridder=None) -> "ExampleBatch":
        """The batch of ``GninaExample`` objects (index types), with
        ``frames`` (identity without them).

        With the ``gridder`` the grids are for, the frames are applied here
        and only the atoms that can reach the grid are kept: a quarter of a
        receptor, typically, to send and to draw."""
        coords: List[np.ndarray] = []
        channel: List[np.ndarray] = []
        radius: List[np.ndarray] = []
        counts = np.zeros(len(examples), np.int64)
        centers = np.array([e.center() for e in examples], np.float64).reshape(-1, 3)
        for b, example in enumerate(examples):
            drawn = [_drawn(atoms, offset)
                     for atoms, offset in zip(example.sets, type_offsets(example.sets))]
            c, r, t = (np.concatenate(parts) if len(parts) > 1 else parts[0]
                       for parts in zip(*drawn)) if drawn else _NO_ATOMS
            if gridder is not None:
                frame = None if frames is None else np.asarray(frames[b])
                c, r, t = _within(c, r, t, frame, centers[b], gridder)
            coords.append(c)
            channel.append(t)
            radius.append(r)
            counts[b] = t.shape[0]
        if gridder is not None:
            frames = None  # applied
        channels = n_channels if n_channels is not None else max(
            (e.num_types() for e in examples), default=0)
        n = len(examples)
        return ExampleBatch(
            _cat(coords, (0, 3), np.float32), _cat(channel, (0,), np.int32),
            _cat(radius, (0,), np.float32), counts,
            np.stack([e.labels for e in examples]).astype(np.float32) if n
            else np.zeros((0, 0), np.float32),
            centers,
            np.repeat(np.eye(4)[None], n, axis=0) if frames is None
            else np.asarray(frames, np.float64).reshape(n, 4, 4), int(channels),
            np.array([e.row for e in examples], np.int64))

    @staticmethod
    def collate(batches: Sequence["ExampleBatch"]) -> "ExampleBatch":
        """Batches (or one-example items) joined in order (a DataLoader's
        ``collate_fn`` for map-style datasets of them)."""
        if not batches:
            raise ValueError("nothing to collate")
        channels = {b.n_channels for b in batches}
        if len(channels) != 1:
            raise ValueError(f"batches of different channel counts: {sorted(channels)}")
        joined = {f: np.concatenate([getattr(b, f) for b in batches]) for f in (
            "coords", "channel", "radius", "counts", "labels", "centers", "frames", "rows")}
        return ExampleBatch(n_channels=channels.pop(), **joined)

    def __reduce__(self):
        """Pickled compactly, for the trip from a DataLoader worker (every
        byte crosses a 64 KB pipe): channels in the smallest unsigned type,
        and radii as a per-channel table when they are a function of the
        channel (gnina's typers).  Lossless: the same arrays come back."""
        channel = self.channel.astype(_channel_dtype(self.n_channels), copy=False) \
            if self.n_channels <= 1 << 16 else self.channel
        radius = _radius_table(self.channel, self.radius, self.n_channels)
        return _unpickle_batch, (self.coords, channel, radius is not None,
                                 self.radius if radius is None else radius, self.counts,
                                 self.labels, self.centers, self.frames, self.n_channels,
                                 self.rows)

    def starts(self) -> np.ndarray:
        """Each example's first atom."""
        return np.concatenate([[0], np.cumsum(self.counts)[:-1]]).astype(np.int64)

    def label_tensor(self, position: Optional[int] = None):
        """The labels as a torch tensor (one position of them with ``position``)."""
        import torch

        values = self.labels if position is None else self.labels[:, position]
        return torch.from_numpy(np.ascontiguousarray(values))


def _channel_dtype(n_channels: int):
    return np.uint8 if n_channels <= 1 << 8 else np.uint16


def _radius_table(channel: np.ndarray, radius: np.ndarray, n_channels: int):
    """Radius by channel when every atom of a channel has the same radius
    (bitwise), else None."""
    if not 0 < n_channels <= 1 << 16 or not len(channel):
        return None
    table = np.zeros(n_channels, radius.dtype)
    table[channel] = radius
    return table if np.array_equal(table[channel], radius) else None


def _unpickle_batch(coords, channel, by_channel, radius, counts, labels, centers, frames,
                    n_channels, rows) -> ExampleBatch:
    """The ExampleBatch of ``ExampleBatch.__reduce__``'s state."""
    return ExampleBatch(coords, channel.astype(np.int32),
                        radius[channel] if by_channel else radius, counts, labels, centers,
                        frames, n_channels, rows)


_NO_ATOMS = (np.zeros((0, 3), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32))


def _drawn(atoms: TypedAtoms, offset: int):
    """(coords, radius, channel) of the atoms of a set that are drawn."""
    if atoms.type_index is None or atoms.has_vector_types and not atoms.has_index_types:
        raise ValueError("compact batches hold index-typed examples (no vector types)")
    t = atoms.type_index.astype(np.int32)
    t += offset
    if len(atoms) and (atoms.type_index.min() < 0 or atoms.radii.min() <= 0):
        keep = (atoms.type_index >= 0) & (atoms.radii > 0)
        return atoms.coords[keep], atoms.radii[keep], t[keep]
    return atoms.coords, atoms.radii, t


def _within(coords, radius, channel, frame, center, gridder):
    """The atoms that can reach the grid, moved by ``frame``."""
    keep = gridder.rows_in_reach(coords, radius, center, frame)
    xyz = coords[keep].astype(np.float64)
    if frame is not None:  # R x + t without BLAS (its threads would spin in a worker)
        rotation = frame[:3, :3]
        xyz = (xyz[:, 0:1] * rotation[:, 0] + xyz[:, 1:2] * rotation[:, 1]
               + xyz[:, 2:3] * rotation[:, 2] + frame[:3, 3])
    return xyz.astype(np.float32), radius[keep], channel[keep]


def _cat(parts, empty_shape, dtype) -> np.ndarray:
    if not parts:
        return np.zeros(empty_shape, dtype)
    return np.concatenate(parts).astype(dtype, copy=False)
