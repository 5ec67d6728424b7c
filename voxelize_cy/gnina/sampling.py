"""The order examples are drawn in: libmolgrid's example providers.

Each sampler hands out example numbers (rows of an ``ExampleTable``) one at a
time and counts epochs as libmolgrid does, so that the same settings give the
same examples in the same order (without shuffling), the same epoch sizes and
the same number of batches per epoch:

- :class:`UniformSampler`: every example in turn (``num_copies`` times each),
  reshuffled at each pass with ``shuffle``;
- :class:`BalancedSampler`: actives (label at ``labelpos`` not 0) and decoys
  alternate;
- :class:`ReceptorSampler`: receptors (first file) in turn, ``k`` examples
  from each (balanced pairs for ``k=2``);
- :class:`ValueSampler`: bins of a label's value in turn;
- :class:`GroupedSampler`: time series (groups) sliced into batches.

:func:`make_sampler` builds the combination libmolgrid's settings ask for
(value stratification > receptor stratification > balance; optionally
grouped).  A small epoch sees every example at most once, a large one at
least once; ``small_epoch_num``/``large_epoch_num`` are those of the next
example to come.  Randomness comes from the ``rng`` given (a
``numpy.random.Generator``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np

__all__ = ["Draw", "SamplerSettings", "make_sampler", "UniformSampler", "BalancedSampler",
           "ReceptorSampler", "ValueSampler", "GroupedSampler"]

_FLT_EPSILON = float(np.finfo(np.float32).eps)


@dataclass(frozen=True)
class Draw:
    """One drawn example: its row, group, and whether it continues a group;
    ``padding`` marks a group shorter than the group size, padded with its
    last frame (whose files then count as ``none`` and labels as NaN)."""

    row: int
    group: int = -1
    seqcont: bool = False
    padding: bool = False


@dataclass
class SamplerSettings:
    """What decides the order (libmolgrid's settings of the same names)."""

    shuffle: bool = False
    balanced: bool = False
    stratify_receptor: bool = False
    labelpos: int = 0
    stratify_pos: int = 1
    stratify_abs: bool = True
    stratify_min: float = 0.0
    stratify_max: float = 0.0
    stratify_step: float = 0.0
    group_batch_size: int = 1
    max_group_size: int = 0
    num_copies: int = 1


class _Sampler:
    """Common bookkeeping: ``cnt`` counts draws (from 1, as libmolgrid's)."""

    def __init__(self):
        self.cnt = 1

    def small_epoch_size(self) -> int:
        """Examples in a small epoch (each sampler defines it)."""
        raise NotImplementedError

    def large_epoch_size(self) -> int:
        """Examples in a large epoch (each sampler defines it)."""
        raise NotImplementedError

    def small_epoch_num(self) -> int:
        """Small epoch of the next example."""
        return self.cnt // self.small_epoch_size()

    def large_epoch_num(self) -> int:
        """Large epoch of the next example."""
        return self.cnt // self.large_epoch_size()

    def check_batch_size(self, batch_size: int) -> None:
        """Raise when a batch of this size cannot be drawn (grouped samplers)."""


class UniformSampler(_Sampler):
    """Every example in turn, each ``num_copies`` times."""

    def __init__(self, settings: SamplerSettings, rng: np.random.Generator):
        super().__init__()
        self.rows: List[int] = []
        self.rng = rng
        self.randomize = settings.shuffle
        self.copies = max(1, int(settings.num_copies))
        self.current = self.current_copy = self.epoch = 0

    def add(self, row: int, table) -> None:
        self.rows.append(row)

    def setup(self) -> None:
        self.current = 0
        if self.randomize:
            self.rng.shuffle(self.rows)
        if not self.rows:
            raise ValueError("no valid examples found in the training set")

    def next(self) -> int:
        row = self.rows[self.current]
        if self.copies > 1:
            self.current_copy += 1
            if self.current_copy >= self.copies:
                self.current += 1
                self.current_copy = 0
        else:
            self.current += 1
        if self.current >= len(self.rows):
            self.setup()
            self.epoch += 1
        self.cnt += 1
        return row

    def size(self) -> int:
        return len(self.rows)

    def small_epoch_num(self) -> int:
        return self.epoch

    def large_epoch_num(self) -> int:
        return self.epoch

    def small_epoch_size(self) -> int:
        return len(self.rows)

    def large_epoch_size(self) -> int:
        return len(self.rows)

    def reset(self) -> None:
        self.cnt = self.current = self.current_copy = 0


class BalancedSampler(_Sampler):
    """Actives (label ``labelpos`` not zero) and decoys, alternately."""

    def __init__(self, settings: SamplerSettings, rng: np.random.Generator):
        super().__init__()
        self.actives = UniformSampler(settings, rng)
        self.decoys = UniformSampler(settings, rng)
        self.labelpos = int(settings.labelpos)
        self.current = 0

    def add(self, row: int, table) -> None:
        labels = table.labels[row]
        if self.labelpos >= labels.shape[0]:
            raise ValueError(f"{table.where(row)}: no label at position {self.labelpos}, "
                             f"which balancing needs; the line has {labels.shape[0]} labels")
        (self.actives if labels[self.labelpos] else self.decoys).add(row, table)

    def setup(self) -> None:
        self.current = 0
        self.actives.setup()
        self.decoys.setup()

    def next(self) -> int:
        row = (self.actives if self.current % 2 == 0 else self.decoys).next()
        self.current += 1
        self.cnt += 1
        return row

    def size(self) -> int:
        return self.actives.size() + self.decoys.size()

    def small_epoch_size(self) -> int:
        return 2 * min(self.actives.size(), self.decoys.size())

    def large_epoch_size(self) -> int:
        return 2 * max(self.actives.size(), self.decoys.size())

    def reset(self) -> None:
        self.actives.reset()
        self.decoys.reset()
        self.current = self.cnt = 0


class _Partitioned(_Sampler):
    """Samplers of several parts (receptors, value bins)."""

    parts: List

    def size(self) -> int:
        return sum(p.size() for p in self.parts)

    def small_epoch_size(self) -> int:
        if not self.parts:
            raise ValueError("no valid stratified examples")
        return min(p.small_epoch_size() for p in self.parts) * len(self.parts)

    def large_epoch_size(self) -> int:
        if not self.parts:
            raise ValueError("no valid stratified examples")
        return max(p.large_epoch_size() for p in self.parts) * len(self.parts)


class ReceptorSampler(_Partitioned):
    """Receptors (the first file of a line) in turn, ``k`` examples from each
    (drawn by a sampler of ``part``'s kind per receptor)."""

    def __init__(self, settings: SamplerSettings, rng: np.random.Generator, part, k: int = 1):
        super().__init__()
        self.settings, self.rng, self.part, self.k = settings, rng, part, int(k)
        self.parts: List = []
        self.index_of: Dict[int, int] = {}
        self.randomize = settings.shuffle
        self.current_i = self.current_k = 0

    def add(self, row: int, table) -> None:
        receptor = int(table.file_index[row, 0])
        if receptor < 0:
            raise ValueError(f"{table.where(row)}: no receptor file")
        position = self.index_of.get(receptor)
        if position is None:
            position = self.index_of[receptor] = len(self.parts)
            self.parts.append(self.part(self.settings, self.rng))
        self.parts[position].add(row, table)

    def setup(self) -> None:
        self.current_i = self.current_k = 0
        if self.part is BalancedSampler and self.k == 2:
            # balanced pairs need both kinds: receptors lacking either are dropped
            self.parts = [p for p in self.parts
                          if p.actives.size() > 0 and p.decoys.size() > 0]
        for part in self.parts:
            part.setup()
        if self.randomize:
            self.rng.shuffle(self.parts)

    def next(self) -> int:
        if not self.parts:
            raise ValueError("no valid stratified examples")
        if self.current_k >= self.k:
            self.current_k = 0
            self.current_i += 1
        if self.current_i >= len(self.parts):
            self.current_i = 0
            if self.randomize:
                self.rng.shuffle(self.parts)
        row = self.parts[self.current_i].next()
        self.current_k += 1
        self.cnt += 1
        return row

    def reset(self) -> None:
        self.current_i = self.current_k = self.cnt = 0
        for part in self.parts:
            part.reset()


class ValueSampler(_Partitioned):
    """Bins of one label's value (``stratify_pos``; its absolute value with
    ``stratify_abs``) from ``stratify_min`` to ``stratify_max`` in steps of
    ``stratify_step``, in turn; empty bins are dropped."""

    def __init__(self, settings: SamplerSettings, rng: np.random.Generator, part):
        super().__init__()
        self.low, self.high = float(settings.stratify_min), float(settings.stratify_max)
        self.step, self.use_abs = float(settings.stratify_step), bool(settings.stratify_abs)
        self.position = int(settings.stratify_pos)
        if self.position < 0:
            raise ValueError("stratify_pos must be >= 0")
        if self.low == self.high:
            raise ValueError("stratify_min equals stratify_max: an empty range to stratify")
        if not self.step > 0:
            raise ValueError(f"stratify_step must be > 0, got {self.step}")
        top = self.bin(self.high)
        if top == 0:
            raise ValueError("not enough bins for value stratification (stratify_step is "
                             "larger than the range)")
        self.parts = [part(settings, rng) for _ in range(top + 1)]
        self.current = 0

    def bin(self, value: float) -> int:
        if self.use_abs:
            value = abs(value)
        value = min(max(value, self.low), self.high - _FLT_EPSILON)
        return int(math.floor((value - self.low) / self.step))

    def add(self, row: int, table) -> None:
        labels = table.labels[row]
        if self.position >= labels.shape[0]:
            raise ValueError(f"{table.where(row)}: no label at position {self.position} to "
                             f"stratify by; the line has {labels.shape[0]} labels")
        self.parts[self.bin(float(labels[self.position]))].add(row, table)

    def setup(self) -> None:
        self.current = 0
        self.parts = [p for p in self.parts if p.size() > 0]
        if not self.parts:
            raise ValueError("no examples in value stratification")
        for part in self.parts:
            part.setup()

    def next(self) -> int:
        row = self.parts[self.current].next()
        self.current = (self.current + 1) % len(self.parts)
        self.cnt += 1
        return row

    def reset(self) -> None:
        self.cnt = self.current = 0
        for part in self.parts:
            part.reset()


class GroupedSampler(_Sampler):
    """Time series: the first frame of each group is drawn by ``inner``; then
    the batch's groups advance one frame per batch, ``max_group_size`` frames
    in all (a shorter group repeats its last frame as padding)."""

    def __init__(self, settings: SamplerSettings, inner):
        super().__init__()
        self.inner = inner
        self.batch_size = int(settings.group_batch_size)
        self.group_size = int(settings.max_group_size)
        self.frames: Dict[int, List[int]] = {}
        self.current_ts = self.current_index = 0
        self.current_groups = [self.group_size] * self.batch_size

    def add(self, row: int, table) -> None:
        group = int(table.groups[row])
        if group not in self.frames:
            self.frames[group] = []
            self.inner.add(row, table)
        self.frames[group].append(row)

    def setup(self) -> None:
        self.inner.setup()

    def check_batch_size(self, batch_size: int) -> None:
        if batch_size != self.batch_size:
            raise ValueError(f"requested batch size {batch_size} does not match the "
                             f"group batch size {self.batch_size}")

    def next_draw(self, table) -> Draw:
        if self.current_index >= len(self.current_groups):
            self.current_index = 0
            self.current_ts += 1
        if self.current_ts >= self.group_size:
            self.current_ts = 0
        if self.current_ts == 0:
            first = self.inner.next()
            self.current_groups[self.current_index] = int(table.groups[first])
        group = self.current_groups[self.current_index]
        series = self.frames[group]
        padding = self.current_ts >= len(series)
        row = series[-1] if padding else series[self.current_ts]
        draw = Draw(row, group, self.current_ts > 0, padding)
        self.current_index += 1
        self.cnt += 1
        return draw

    def size(self) -> int:
        return self.inner.size()

    def small_epoch_size(self) -> int:
        return self.inner.small_epoch_size()

    def large_epoch_size(self) -> int:
        return self.inner.large_epoch_size()

    def reset(self) -> None:
        self.cnt = self.current_ts = self.current_index = 0
        self.inner.reset()


def make_sampler(settings: SamplerSettings, rng: np.random.Generator):
    """The sampler libmolgrid's ``createProvider`` builds for these settings."""
    value = settings.stratify_max != settings.stratify_min
    grouped = settings.max_group_size > 1
    sampler: _Sampler
    if value:
        if settings.stratify_receptor:
            if settings.balanced:
                def part(s, r):
                    return ReceptorSampler(s, r, BalancedSampler, 2)
            else:
                def part(s, r):
                    return ReceptorSampler(s, r, UniformSampler, 1)
        else:
            part = BalancedSampler if settings.balanced else UniformSampler
        sampler = ValueSampler(settings, rng, part)
    elif settings.stratify_receptor:
        if settings.balanced:
            sampler = ReceptorSampler(settings, rng, BalancedSampler, 2)
        else:
            # libmolgrid ignores grouping here (its branch tests `balanced` twice)
            return ReceptorSampler(settings, rng, UniformSampler, 1)
    else:
        sampler = (BalancedSampler if settings.balanced else UniformSampler)(settings, rng)
    return GroupedSampler(settings, sampler) if grouped else sampler


def next_draw(sampler, table) -> Draw:
    """The next example of any sampler, as a :class:`Draw`."""
    if isinstance(sampler, GroupedSampler):
        return sampler.next_draw(table)
    return Draw(sampler.next())


def fill(sampler, table, rows: Optional[np.ndarray] = None) -> None:
    """Add every row of ``table`` (or ``rows``) to ``sampler`` and set it up."""
    for row in range(len(table)) if rows is None else rows:
        sampler.add(int(row), table)
    sampler.setup()
