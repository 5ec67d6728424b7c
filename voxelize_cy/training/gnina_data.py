"""gnina's training data for PyTorch DataLoaders: workers draw, the main process grids.

A gnina batch's grids are large (50 examples of 28 × 48³ float32: 620 MB) and
fresh memory is slow, so the datasets here hand out
:class:`~voxelize_cy.gnina.ExampleBatch` objects, the typed atoms of the
examples (a few MB), and the training loop grids each batch into one reused
buffer with :meth:`~voxelize_cy.gnina.GninaGridder.grid_batch` on all cores.

- :class:`GninaExampleData`: map-style, item ``i`` is example ``i`` (file
  order); with a ``DistributedSampler`` or :class:`GninaSampler`
  and ``collate_fn=ExampleBatch.collate``.
- :class:`GninaSampler`: libmolgrid's orders (balanced, receptor- or
  value-stratified, copies) as a sampler: one epoch's draws, split among
  DDP ranks.
- :class:`GninaBatches`: an iterable of whole batches (``DataLoader(...,
  batch_size=None)``): batch b of epoch e holds draws ``b*B .. b*B+B-1`` of the
  epoch; DataLoader workers and DDP ranks take every (workers × ranks)-th
  batch.

All randomness (the epoch's order, each example's rotation and translation)
comes from ``(seed, epoch, index)`` alone: an item is the same whichever
worker, rank or run makes it.  Call ``set_epoch`` as with ``DistributedSampler``.
"""

from __future__ import annotations

import math
from typing import Iterator, List, Optional, Sequence

import numpy as np

from voxelize_cy.gnina import ExampleBatch, GninaExamples
from voxelize_cy.gnina.sampling import Draw
from voxelize_cy.training._slots import DEFAULT_SLOTS, Pools, deliver

__all__ = ["GninaExampleData", "GninaSampler", "GninaBatches", "example_frames"]

_IterableBase: type
try:  # an iterable dataset is one to DataLoader only as a subclass of torch's
    from torch.utils.data import IterableDataset as _IterableBase
except ImportError:  # torch is optional: a plain iterable then
    _IterableBase = object


def example_frames(centers: np.ndarray, keys: Sequence[Sequence[int]],
                   random_translation: float, random_rotation: bool) -> np.ndarray:
    """Frames ``x' = R (x - c) + c + t`` for examples about ``centers``, each
    drawn from ``numpy.random.default_rng(keys[b])``: a uniform rotation (with
    ``random_rotation``) and a translation uniform in ``[-t, t]`` per axis."""
    from voxelize_cy.images import random_frame

    frames = np.repeat(np.eye(4)[None], len(keys), axis=0)
    if not random_rotation and not random_translation:
        return frames
    for b, (center, key) in enumerate(zip(np.asarray(centers, np.float64), keys)):
        rng = np.random.default_rng(list(key))
        rotation = random_frame(center, rng)[:3, :3] if random_rotation else np.eye(3)
        shift = rng.uniform(-random_translation, random_translation, 3) \
            if random_translation else np.zeros(3)
        frames[b, :3, :3] = rotation
        frames[b, :3, 3] = center + shift - rotation @ center
    return frames


def _distributed(num_replicas: Optional[int], rank: Optional[int]):
    """(replicas, rank): as given, else torch.distributed's when it runs."""
    if num_replicas is None or rank is None:
        try:
            import torch.distributed as dist

            running = dist.is_available() and dist.is_initialized()
        except ImportError:
            running = False
        if num_replicas is None:
            num_replicas = dist.get_world_size() if running else 1
        if rank is None:
            rank = dist.get_rank() if running else 0
    if not 0 <= rank < num_replicas:
        raise ValueError(f"rank {rank} is not in [0, {num_replicas})")
    return int(num_replicas), int(rank)


class _Settings:
    """What both datasets take: the examples and their random transforms."""

    def __init__(self, types, random_translation: float, random_rotation: bool, seed: int,
                 gridder=None, **provider):
        self.examples = GninaExamples(types, **provider)
        self.gridder = gridder
        self.random_translation = float(random_translation)
        self.random_rotation = bool(random_rotation)
        self.seed = int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s random draws from now on."""
        self.epoch = int(epoch)

    def batch_of(self, draws: Sequence[Draw], keys) -> ExampleBatch:
        examples = [self.examples.extract(d, copy=False) for d in draws]
        centers = np.array([e.center() for e in examples], np.float64).reshape(-1, 3)
        frames = example_frames(centers, keys, self.random_translation, self.random_rotation)
        return ExampleBatch.of_examples(examples, frames, self.examples.num_types(),
                                        self.gridder)


class GninaExampleData(_Settings):
    """Examples of ``.types`` files by index, as one-example batches.

    Parameters
    ----------
    types : path or sequence of paths
    random_translation : float
        Up to this many Å along each axis (uniform).
    random_rotation : bool
        A uniform rotation about the example's centre.
    seed : int
        With the epoch and the index, all of an item's randomness.
    gridder : GninaGridder, optional
        The grid the items are for: then their frames are applied in the
        worker and only the atoms that reach the grid are kept (less to send).
    **provider
        :class:`~voxelize_cy.gnina.GninaExamples`'s keywords (``data_root``,
        ``typers``, ``molcaches``, ``duplicate_first``, ...).
    """

    def __init__(self, types, *, random_translation: float = 0.0,
                 random_rotation: bool = False, seed: int = 0, gridder=None, **provider):
        super().__init__(types, random_translation, random_rotation, seed, gridder,
                         **provider)

    collate = staticmethod(ExampleBatch.collate)

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> ExampleBatch:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"example {index} is out of range: there are {n}")
        row = int(index) % n
        draw = Draw(row, int(self.examples.populated_table().groups[row]))
        return self.batch_of([draw], [(self.seed, self.epoch, row)])


class GninaSampler:
    """One epoch of libmolgrid's sampling order over a :class:`GninaExampleData`,
    split among DDP ranks (a contiguous run each, padded with the epoch's first
    draws so that each rank gets as many).

    Parameters
    ----------
    data : GninaExampleData
    scheme : {'large_epoch', 'small_epoch'}
        Every example at least once, or at most once.
    num_replicas, rank : int, optional
        torch.distributed's when it runs, else 1 and 0.
    seed : int
    **sampling
        libmolgrid's sampling settings (``balanced``, ``stratify_receptor``,
        ``stratify_min``/``max``/``step``, ``labelpos``, ``num_copies``, ...).
    """

    def __init__(self, data: GninaExampleData, *, scheme: str = "large_epoch",
                 num_replicas: Optional[int] = None, rank: Optional[int] = None,
                 seed: int = 0, **sampling):
        self.order_of = GninaExamples(data.examples.populated_table().sources, data_root="",
                                      num_labels=data.examples.num_labels, **sampling)
        self.scheme, self.seed, self.epoch = scheme, int(seed), 0
        self.num_replicas, self.rank = _distributed(num_replicas, rank)

    def set_epoch(self, epoch: int) -> None:
        """Draw epoch ``epoch``'s order from now on."""
        self.epoch = int(epoch)

    def rows(self) -> List[int]:
        """This rank's example numbers, in order: a contiguous run of the
        epoch's draws (a stride would split the alternation of a balanced
        order, giving one rank the actives and another the decoys)."""
        draws = self.order_of.epoch_draws(self.epoch, self.seed, self.scheme)
        per_rank = math.ceil(len(draws) / self.num_replicas)
        padded = (draws * (1 + per_rank * self.num_replicas // max(len(draws), 1)))[
            :per_rank * self.num_replicas]
        return [d.row for d in padded[self.rank * per_rank:(self.rank + 1) * per_rank]]

    def __iter__(self) -> Iterator[int]:
        return iter(self.rows())

    def __len__(self) -> int:
        size = (self.order_of.large_epoch_size() if self.scheme == "large_epoch"
                else self.order_of.small_epoch_size())
        return math.ceil(size / self.num_replicas)


class GninaBatches(_Settings, _IterableBase):
    """Whole batches of one epoch of libmolgrid's sampling, for DataLoader
    workers (``DataLoader(batches, batch_size=None, num_workers=...)``).

    Parameters
    ----------
    types : path or sequence of paths
    batch_size : int
    scheme : {'large_epoch', 'small_epoch'}
        The epoch's draws; the last batch is padded from the epoch's start.
    num_replicas, rank : int, optional
        DDP ranks (torch.distributed's when it runs).
    random_translation, random_rotation, seed, gridder
        As :class:`GninaExampleData`.
    grids_in_workers : bool
        Grid each batch where it is made (with ``gridder``, which must be
        given; one thread per DataLoader worker suits), into reused slots
        that reach the main process without a copy (``_slots``): items are
        then dicts ``grids`` (a (B, C, L, L, L) tensor of the gridder's
        dtype), ``labels`` (a (B, n_labels) tensor) and ``index`` (the batch
        number in its epoch; ``batch(index)`` is its ExampleBatch).  Without
        torch, numpy arrays.
    reuse_slots : int
        With ``grids_in_workers``: grid buffers reused per worker once the
        training loop has let them go (each is a whole batch's grids).
    **provider
        :class:`~voxelize_cy.gnina.GninaExamples`'s keywords, sampling settings
        (``balanced``, ``stratify_receptor``, ...) included.
    """

    def __init__(self, types, batch_size: int, *, scheme: str = "large_epoch",
                 num_replicas: Optional[int] = None, rank: Optional[int] = None,
                 random_translation: float = 0.0, random_rotation: bool = False,
                 seed: int = 0, gridder=None, grids_in_workers: bool = False,
                 reuse_slots: int = DEFAULT_SLOTS, **provider):
        super().__init__(types, random_translation, random_rotation, seed, gridder,
                         **provider)
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if grids_in_workers and gridder is None:
            raise ValueError("grids_in_workers needs a gridder (a GninaGridder)")
        self.batch_size, self.scheme = int(batch_size), scheme
        self.num_replicas, self.rank = _distributed(num_replicas, rank)
        self.grids_in_workers = bool(grids_in_workers)
        self.pools = Pools(reuse_slots)

    def num_batches(self) -> int:
        """Batches in an epoch (all ranks and workers together)."""
        size = (self.examples.large_epoch_size() if self.scheme == "large_epoch"
                else self.examples.small_epoch_size())
        return math.ceil(size / self.batch_size)

    def batch(self, index: int, draws: Optional[List[Draw]] = None) -> ExampleBatch:
        """Batch ``index`` of the current epoch."""
        draws = draws or self.examples.epoch_draws(self.epoch, self.seed, self.scheme)
        picked = [draws[(index * self.batch_size + k) % len(draws)]
                  for k in range(self.batch_size)]
        keys = [(self.seed, self.epoch, index * self.batch_size + k)
                for k in range(self.batch_size)]
        return self.batch_of(picked, keys)

    def my_batches(self) -> range:
        """The batch numbers this rank and DataLoader worker makes."""
        worker, workers = 0, 1
        try:
            from torch.utils.data import get_worker_info

            info = get_worker_info()
            if info is not None:
                worker, workers = info.id, info.num_workers
        except ImportError:
            pass
        stride = self.num_replicas * workers
        return range(self.rank * workers + worker, self.num_batches(), stride)

    def __iter__(self) -> Iterator:
        draws = self.examples.epoch_draws(self.epoch, self.seed, self.scheme)
        for index in self.my_batches():
            batch = self.batch(index, draws)
            yield self.gridded(batch, index) if self.grids_in_workers else batch

    def gridded(self, batch: ExampleBatch, index: int):
        """Batch ``index``'s grids and labels, the grids drawn into a reused
        slot (see ``grids_in_workers``): a dict, or in a DataLoader worker a
        ``Delivery`` that becomes the dict where it arrives."""
        shape = (len(batch),) + tuple(self.gridder.shape(batch.n_channels))
        grids = self.gridder.grid_batch(batch, out=self.pools.take(shape, self.gridder.dtype))
        fields = {"labels": np.ascontiguousarray(batch.labels), "index": index}
        return deliver(fields, "grids", list(grids), joined=grids)

    def __len__(self) -> int:
        return len(range(self.rank, self.num_batches(), self.num_replicas))
