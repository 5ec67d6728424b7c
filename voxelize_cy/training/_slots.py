"""Output arrays that are drawn into again once their user has let them go.

A fresh output array costs its pages: each 4 KiB page is faulted in and
zeroed by the kernel the first time it is written, and for a 35³ image that
doubles the cost of drawing it.  A DataLoader worker pays it twice over: its
batch is also copied into fresh shared memory to reach the main process.

``SlotPool`` keeps a few arrays (slots) of one shape and lends them out: an
output is drawn into a free slot and handed to its user as an array whose
owner is a lease (every view of it, ``torch.from_numpy`` of it and every
tensor sharing that one's storage included, keeps the lease alive); when the
last view is gone the slot is free again.  Nothing is ever drawn into a slot
its user can still see: when every slot is out, the output gets a fresh
array, so holding on to outputs costs speed, never correctness.

In a DataLoader worker the slots are shared memory (torch tensors moved
there).  ``hand_over`` turns a lent slot into a handle that crosses to the
main process without a copy (torch's shared-memory pickling); there it
becomes a lent tensor of the same pages, and its release clears the slot's
flag, which is shared too.  The main process keeps a pool's pages mapped
while the worker that owns them lives, so that they are not faulted in again
for every batch.
"""

from __future__ import annotations

import os
import uuid
import weakref
from typing import Dict, Optional, Tuple

import numpy as np

__all__ = ["SlotPool", "Pools", "Delivery", "DEFAULT_SLOTS", "deliver", "in_worker",
           "whole_slot"]

#: Slots per pool: a DataLoader's default prefetch (2 batches per worker), the
#: batch its user holds and the one being drawn.
DEFAULT_SLOTS = 4


class _Lease:
    """The owner of a lent slot's array: frees the slot when it is collected,
    unless the slot was handed over to another process (which frees it)."""

    __slots__ = ("__array_interface__", "array", "pool", "slot", "state", "__weakref__")

    def __init__(self, array: np.ndarray, pool: Optional["SlotPool"], slot: int):
        self.array, self.pool, self.slot = array, pool, slot
        self.state = [False]  # handed over
        self.__array_interface__ = array.__array_interface__


def _free(busy, slot: int, handed_over: list) -> None:
    if not handed_over[0]:
        busy[slot] = 0


class SlotPool:
    """Arrays of one shape and dtype, lent out and reused (see the module doc).

    Parameters
    ----------
    shape : tuple of int
    dtype : numpy dtype
    n_slots : int
        How many arrays can be out at once before fresh ones are used.
    shared : bool
        Slots in shared memory, for a DataLoader worker (needs torch).
    """

    def __init__(self, shape: Tuple[int, ...], dtype, n_slots: int = DEFAULT_SLOTS,
                 shared: bool = False):
        if int(n_slots) < 1:
            raise ValueError(f"n_slots must be >= 1, got {n_slots}")
        self.shape, self.dtype = tuple(int(n) for n in shape), np.dtype(dtype)
        self.shared = bool(shared)
        self.owner = os.getpid()
        self.key = uuid.uuid4().hex  # names the pool where its slots arrive
        self._sent: set = set()  # slots whose pages went out once already
        n = int(n_slots)
        if self.shared:
            import torch

            torch_dtype = torch.from_numpy(np.zeros(0, self.dtype)).dtype
            self._tensors = [torch.zeros(self.shape, dtype=torch_dtype).share_memory_()
                             for _ in range(n)]
            self._busy_tensor = torch.zeros(n, dtype=torch.uint8).share_memory_()
            self._arrays = [t.numpy() for t in self._tensors]
            self._busy = self._busy_tensor.numpy()
        else:
            self._arrays = [np.zeros(self.shape, self.dtype) for _ in range(n)]
            self._busy = np.zeros(n, np.uint8)
        self.fresh = 0  # outputs that found every slot out

    def take(self) -> np.ndarray:
        """An array to draw into: a free slot, lent (freed when its last view is
        gone), or a fresh array when every slot is out."""
        free = np.flatnonzero(self._busy == 0)
        if len(free) == 0:
            self.fresh += 1
            return np.empty(self.shape, self.dtype)
        slot = int(free[0])
        self._busy[slot] = 1
        lease = _Lease(self._arrays[slot], self, slot)
        weakref.finalize(lease, _free, self._busy, slot, lease.state)
        return np.asarray(lease)

    def hand_over(self, lease: _Lease) -> "_SharedSlot":
        """A shared pool's lent slot as a handle for another process, which
        frees the slot (this process no longer does).  A slot's pages (and
        the pool's flags) go with its first handle only; later ones name it."""
        if not self.shared or lease.pool is not self:
            raise ValueError("only a shared pool's own slots can be handed over")
        lease.state[0] = True
        first = lease.slot not in self._sent
        self._sent.add(lease.slot)
        return _SharedSlot(self.owner, self.key, lease.slot,
                           (self._tensors[lease.slot], self._busy_tensor) if first else None)


class Pools:
    """One process's pools, by shape and dtype, made on first use in the process
    that draws (shared ones in a DataLoader worker); a pickled copy (a
    dataset sent to its workers) starts with none.

    Parameters
    ----------
    n_slots : int
        Slots per pool.
    """

    #: Pools kept (a batch and a smaller last batch, a few item shapes).
    MAX_POOLS = 4

    def __init__(self, n_slots: int = DEFAULT_SLOTS):
        if isinstance(n_slots, bool) or not isinstance(n_slots, int) or n_slots < 0:
            raise ValueError(f"reuse_slots must be an int >= 0, got {n_slots!r}")
        self.n_slots = n_slots
        self._pools: Dict[tuple, SlotPool] = {}

    def take(self, shape, dtype) -> np.ndarray:
        """An array of ``shape`` and ``dtype`` to draw into (``SlotPool.take``;
        always a fresh one with 0 slots)."""
        if self.n_slots == 0:
            return np.empty(shape, dtype)
        key = (os.getpid(), tuple(shape), np.dtype(dtype).str)
        pool = self._pools.get(key)
        if pool is None:
            if len(self._pools) >= self.MAX_POOLS:  # the oldest goes (lent slots stay valid)
                del self._pools[next(iter(self._pools))]
            pool = self._pools[key] = SlotPool(shape, dtype, self.n_slots, in_worker())
        return pool.take()

    def __getstate__(self):
        return {"n_slots": self.n_slots, "_pools": {}}


def whole_slot(parts) -> Optional[_Lease]:
    """The lease of one lent slot when ``parts`` are, in order, the consecutive
    equal parts that make it up whole (``slot[0], slot[1], ...``), else None."""
    if not parts or not all(isinstance(a, np.ndarray) and a.flags.c_contiguous
                            for a in parts):
        return None
    base = parts[0].base
    while isinstance(base, np.ndarray):
        base = base.base
    if not isinstance(base, _Lease):
        return None
    start, size = base.array.ctypes.data, parts[0].nbytes
    if size * len(parts) != base.array.nbytes or parts[0].dtype != base.array.dtype:
        return None
    for k, part in enumerate(parts):
        if part.nbytes != size or part.__array_interface__["data"][0] != start + k * size:
            return None
    return base


class _SharedSlot:
    """A shared pool's slot on its way to the main process: the first time with
    its pages and the pool's flags (torch's shared-memory pickling: no copy),
    then by name (no file descriptor to pass, nothing to map again)."""

    def __init__(self, owner: int, key: str, slot: int, pages):
        self.owner, self.key, self.slot, self.pages = owner, key, slot, pages

    def __reduce__(self):
        return _attach, (self.owner, self.key, self.slot, self.pages)


#: The shared slots this process has been handed, by (owner pid, pool key):
#: the pool's flags and each slot's tensor, kept so that their pages stay
#: mapped while the owner lives.
_MAPPED: Dict[tuple, dict] = {}


def _attach(owner: int, key: str, slot: int, pages):
    """Where a handed-over slot arrives: a tensor of its pages, owned by a lease
    that frees the slot in the owner's flags when its last view is gone."""
    import torch

    for known in [k for k in _MAPPED if not _alive(k[0])]:
        del _MAPPED[known]  # a finished worker's pages: unmapped once unused
    kept = _MAPPED.setdefault((owner, key), {})
    if pages is not None:
        tensor, busy = pages
        kept["flags"], kept[slot] = busy.numpy(), tensor
    if slot not in kept:
        raise RuntimeError(f"slot {slot} of pool {key} of process {owner} arrived before "
                           f"its pages: its first batch was not unpickled here")
    lease = _Lease(kept[slot].numpy(), None, slot)
    weakref.finalize(lease, _free, kept["flags"], slot, [False])
    return torch.from_numpy(np.asarray(lease))


class Delivery:
    """A batch on its way to the main process: its numpy arrays pickled by value
    (no file descriptors for small arrays) and turned into tensors where it
    arrives (when torch is there), its shared slots by handle
    (``SlotPool.hand_over``)."""

    def __init__(self, fields: dict):
        self.fields = fields

    def __reduce__(self):
        return _open_delivery, (self.fields,)

    def opened(self) -> dict:
        """The batch as it arrives (for a delivery that stays in this process)."""
        return _open_delivery(self.fields)


def deliver(fields: dict, name: str, parts: list, joined: Optional[np.ndarray] = None):
    """A batch for its user: ``fields`` with ``fields[name]`` the array that
    ``parts`` make up, stacked (``joined``, when the caller has it already).
    Parts that are, in order, one lent slot
    (``whole_slot``) are that slot as it lies (no copy): from a shared pool a
    ``Delivery`` that becomes the batch where it is unpickled (a DataLoader's
    main process), else the batch here; numpy arrays become tensors (with torch)."""
    lease = whole_slot(parts)
    if lease is not None and lease.pool is not None and lease.pool.shared:
        fields[name] = lease.pool.hand_over(lease)  # a tensor where it arrives
        return Delivery(fields)
    if lease is None:
        fields[name] = np.stack(parts) if joined is None else joined
    else:
        fields[name] = np.asarray(lease).reshape((len(parts),) + parts[0].shape)
    return Delivery(fields).opened()


def _open_delivery(fields: dict) -> dict:
    try:
        import torch
    except ImportError:  # outside torch (no DataLoader): numpy arrays as they are
        return dict(fields)
    return {name: torch.from_numpy(value) if isinstance(value, np.ndarray) else value
            for name, value in fields.items()}


def in_worker() -> bool:
    """This process is a torch DataLoader worker (torch already imported)."""
    import sys

    torch_data = sys.modules.get("torch.utils.data")
    return torch_data is not None and torch_data.get_worker_info() is not None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
