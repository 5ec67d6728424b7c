"""A dataset for training: random views of the structures of a sharded cache.

``StructureViews(cache, ...)`` is a map-style dataset (``len`` and ``[i]``, what
``torch.utils.data.DataLoader`` and ``DistributedSampler`` take; torch itself
is not needed): item ``i`` is ``views`` images of structure ``cache.ids[i]``,
each centred on an atom of the structure drawn at random and turned by a
uniformly random rotation, made in one batch call.  The randomness comes from
``(seed, epoch, i)`` alone, so an item is the same whichever worker process,
rank or run makes it; ``set_epoch`` moves to the next epoch's draws (call it with
the sampler's).  The cache travels to worker processes as its folder: each
worker maps the shards it reads itself.

Images are drawn into reused arrays (``_slots.Pools``): a slot is drawn into
again only once every view of its last images is gone, so a DataLoader pays
for fresh pages only when its user keeps batches.  With
``DataLoader(views, batch_size=B, collate_fn=views.collate)`` a worker draws
its whole batch in one call into one shared-memory slot that reaches the main
process without a copy.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Union

import numpy as np

from voxelize_cy.images.draw import image_shape, images_from_atoms
from voxelize_cy.images.frames import random_frames
from voxelize_cy.images.model import Grid, ImageParams
from voxelize_cy.io.shards import StructureCache
from voxelize_cy.training._slots import DEFAULT_SLOTS, Pools, deliver

__all__ = ["StructureViews"]


#: The ``images_from_atoms`` options an item passes on.
IMAGE_OPTIONS = ("fill", "agg", "radius_scale", "gaussian_radius_multiple")


class StructureViews:
    """Random-frame views of every structure of a sharded cache.

    Parameters
    ----------
    cache : StructureCache or path
        The sharded cache (``convert_to_shards``).
    length_voxels, resolution_A : int, float
        The grid of every view.
    channels : list of str or str
        Element patterns, or a channel set name (then the cache's tables are
        typed per item with ``add_channels``, which costs tens of ms).
    radii_A : float or dict
        ``element_radii_A`` for element patterns (ignored for a channel set).
    views : int
        Images per item.
    seed : int
        With the epoch and the index, all an item's randomness.
    dtype : numpy dtype
        float32 (default, for PyTorch) or float64.
    threads : int
        Threads per item's batch call (1 suits DataLoader workers).
    reuse_slots : int
        Output arrays of each shape reused per process once their user has
        let them go (0: a fresh array for every item and batch).
    **options
        ``fill``, ``agg``, ``radius_scale``, ``gaussian_radius_multiple`` for
        ``images_from_atoms``.

    Items are dicts: ``image`` (views, C, L, L, L), ``id`` (str), ``index``,
    ``frames`` (views, 4, 4).  ``collate`` makes DataLoader batches of them:
    ``image`` (B, views, C, L, L, L) and ``frames`` (B, views, 4, 4) tensors,
    ``index`` a tensor, ``id`` a list.
    """

    def __init__(self, cache: Union[StructureCache, str], *, length_voxels: int,
                 resolution_A: float, channels: Union[Sequence[str], str],
                 radii_A: Union[float, dict, None] = 1.0, views: int = 1, seed: int = 0,
                 dtype=np.float32, threads: int = 1, reuse_slots: int = DEFAULT_SLOTS,
                 **options):
        unknown = sorted(set(options) - set(IMAGE_OPTIONS))
        if unknown:
            raise TypeError(f"StructureViews() got unknown keyword argument(s) {unknown}; "
                            f"its image options are {list(IMAGE_OPTIONS)}")
        self.cache = cache if isinstance(cache, StructureCache) else StructureCache(cache)
        if isinstance(views, bool) or not isinstance(views, int) or views < 1:
            raise ValueError(f"views must be an int >= 1, got {views!r}")
        self.ids = self.cache.ids
        self.params = ImageParams(Grid(length_voxels, resolution_A, np.zeros(3)),
                                  channels if isinstance(channels, str) else list(channels),
                                  None if isinstance(channels, str) else radii_A)
        self.views, self.seed, self.dtype = views, int(seed), np.dtype(dtype)
        self.threads, self.options = threads, options
        self.pools = Pools(reuse_slots)
        self.image_shape = image_shape(self.params)  # (C, L, L, L) of one view
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s random draws from now on."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.ids)

    def frames(self, index: int, atoms) -> np.ndarray:
        """The (views, 4, 4) frames of item ``index`` this epoch (``atoms``: its
        table, pandas or an Arrow record batch)."""
        rng = np.random.default_rng([self.seed, self.epoch, int(index)])
        columns = [_column(atoms, axis) for axis in ("x", "y", "z")]
        rows = rng.integers(len(columns[0]), size=self.views)
        centres = np.stack([column[rows] for column in columns], axis=1)
        return random_frames(centres, rng)

    def _table(self, index: int):
        """Structure ``index``'s table as the images are drawn from it."""
        name = self.ids[index]
        if isinstance(self.params.channels, str):
            from voxelize_cy.chemistry.channel_sets import add_channels

            return add_channels(self.cache[name], self.params.channels)
        return self.cache.batch(name)  # the shard's record batch itself: no table built

    def _position(self, index: int) -> int:
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} structures")
        return int(index) % len(self)

    def _draw(self, tables: list, frames: np.ndarray, out: np.ndarray) -> None:
        """Images of ``tables`` (one per frame) into ``out`` (images, C, L, L, L)."""
        images_from_atoms(tables, self.params, frames=frames, dtype=self.dtype,
                          num_threads=self.threads, out=out, **self.options)

    def __getitem__(self, index: int) -> dict:
        return self.__getitems__([index])[0]

    def __getitems__(self, indices: Sequence[int]) -> List[dict]:
        """Items ``indices``, drawn in one batch call into one reused array
        (the DataLoader's batched fetch; ``collate`` batches them without a copy)."""
        positions = [self._position(i) for i in indices]
        tables = [self._table(i) for i in positions]
        frames = np.stack([self.frames(i, t) for i, t in zip(positions, tables)])
        shape = (len(positions), self.views) + self.image_shape
        out = self.pools.take(shape, self.dtype)
        self._draw([t for t in tables for _ in range(self.views)],
                   frames.reshape(-1, 4, 4), out.reshape((-1,) + shape[2:]))
        return [{"image": out[k], "id": self.ids[i], "index": i, "frames": frames[k]}
                for k, i in enumerate(positions)]

    @staticmethod
    def collate(items: Sequence[dict]):
        """A DataLoader batch of items (``collate_fn=``): tensors ``image``
        (B, views, C, L, L, L), ``frames`` and ``index``, and the ``id`` list.
        Items drawn together by ``__getitems__`` become the batch as they lie
        in their slot (no copy; from a worker, its shared slot crosses without
        one); others are stacked."""
        fields: Dict[str, Any] = {
            "id": [item["id"] for item in items],
            "index": np.array([item["index"] for item in items], np.int64),
            "frames": np.stack([item["frames"] for item in items])}
        return deliver(fields, "image", [item["image"] for item in items])

    def __repr__(self) -> str:
        grid = self.params.grid
        return (f"StructureViews({len(self)} structures, {self.views} views of "
                f"{grid.length_voxels}^3 x {grid.resolution_A} A, seed {self.seed}, "
                f"epoch {self.epoch})")


def _column(atoms, name: str) -> np.ndarray:
    """A float column of a pandas table or an Arrow record batch, as numpy."""
    column = atoms[name] if hasattr(atoms, "columns") else atoms.column(name)
    return column.to_numpy()
