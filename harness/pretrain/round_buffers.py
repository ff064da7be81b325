"""Reusable round buffers that a consumer borrows, in this process or across processes.

A loader round decodes its chunks into one buffer; the trainer then gathers each step's views from it
(on the training device). Allocating and first touching a fresh buffer costs more than decoding into
one already touched (13 ms per 15 MB of shared memory on the 2-core reference machine, more than the
decode), so buffers are recycled, but only once every batch that borrowed one has said it is done:
a buffer is never overwritten while a consumer may still read it.

Each buffer counts the batches it lent (``issued``, written only by the producer) and the batches that
came back (``returned``, a one-element tensor written only by the consumer). In a DataLoader worker the
buffer and its counter live in shared memory (:func:`torch.Tensor.share_memory_`). Passing a shared
tensor between processes costs a file-descriptor hand-over per tensor (a socket connection each, in
torch's default sharing strategy), so a worker announces each buffer once, with the first batch that
borrows it, and later batches name it by ``serial``; batches also list the serials the worker has
forgotten, so the main process lets go of them too (:class:`WorkerBuffers`). The main process returns a
batch by bumping the buffer's counter; one writer per counter means no cross-process lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import torch


class RoundBuffer:
    """Rows of one round, whether the loader still fills or serves them, and how many batches hold them."""

    def __init__(self, rows: int, row_shape: tuple[int, ...], *, shared: bool, serial: int = 0) -> None:
        self.shared, self.serial = shared, serial
        self.announced = False  # a worker's buffer: the main process has been sent its tensors
        self.returned = torch.zeros(1, dtype=torch.int64)
        if shared:
            self.returned.share_memory_()
        self.issued = 0
        self.held = False  # filled or serving: the cache's own use
        self.tensor = self._allocate(rows, row_shape)

    def _allocate(self, rows: int, row_shape: tuple[int, ...]) -> torch.Tensor:
        if self.shared:  # allocated and touched once per buffer, then reused round after round
            return torch.empty((rows, *row_shape), dtype=torch.float32).share_memory_()
        # numpy's allocator: a fresh torch allocation would fault its pages in again on every first use
        return torch.from_numpy(np.empty((rows, *row_shape), dtype=np.float32))

    @property
    def capacity(self) -> int:
        return int(self.tensor.shape[0])

    @property
    def lent(self) -> int:
        """Batches that borrowed these rows and have not returned them."""
        return self.issued - int(self.returned[0])

    @property
    def busy(self) -> bool:
        return self.held or self.lent > 0

    def grow(self, rows: int, serial: int) -> None:
        """Room for ``rows`` (only while nobody borrows these rows): new memory, under a new serial."""
        self.tensor = self._allocate(rows, tuple(self.tensor.shape[1:]))
        self.serial, self.announced = serial, False

    def rows(self, n: int) -> np.ndarray:
        return self.tensor.numpy()[:n]

    def lend(self) -> None:
        self.issued += 1


def return_once(counter: torch.Tensor) -> Callable[[], None]:
    """A function that returns one borrowed batch to ``counter``'s buffer; calling it again does nothing."""
    done = False

    def release() -> None:
        nonlocal done
        if not done:
            done = True
            counter.add_(1)
    return release


class BufferPool:
    """The buffers of one loader process: a free one is reused, a busy one is never touched.

    When every buffer is busy (a consumer keeps its batches, or workers run ahead of the trainer), a new
    one is made; the pool remembers at most ``keep`` of them, forgetting borrowed ones first (their
    memory goes when the last borrower lets go), so a consumer that never returns batches costs memory
    only while it holds them.
    """

    def __init__(self, row_shape: tuple[int, ...], *, shared: bool = False, keep: int = 3, rows: int = 0) -> None:
        self.row_shape, self.shared, self.keep = row_shape, shared, max(2, int(keep))
        self.rows = int(rows)  # a new buffer's least capacity: the largest round, so none grows mid-run
        self.buffers: list[RoundBuffer] = []
        self.allocated = 0  # buffers made (or grown) so far: a steady stream stops making them
        self._forgotten: list[int] = []
        self._lock = threading.Lock()

    def take(self, n: int) -> RoundBuffer:
        """A buffer with room for ``n`` rows, held for filling until :meth:`put_back`."""
        with self._lock:
            free = [b for b in self.buffers if not b.busy]
            buffer = max(free, key=lambda b: b.capacity, default=None)
            if buffer is None:
                self.allocated += 1
                buffer = RoundBuffer(max(n, self.rows), self.row_shape, shared=self.shared, serial=self.allocated)
                self.buffers.append(buffer)
                self._trim()
            elif buffer.capacity < n:
                self._forgotten.append(buffer.serial)
                self.allocated += 1
                buffer.grow(max(n, self.rows), self.allocated)
            buffer.held = True
            return buffer

    def forgotten(self) -> list[int]:
        """Serials of buffers dropped (or regrown) since the last call: their memory is no longer used."""
        with self._lock:
            out, self._forgotten = self._forgotten, []
            return out

    def put_back(self, buffer: RoundBuffer) -> None:
        """The cache no longer serves ``buffer``; it is free again once its borrowers return it."""
        with self._lock:
            buffer.held = False

    def _trim(self) -> None:
        while len(self.buffers) > self.keep:
            idle = [b for b in self.buffers if not b.held]
            if not idle:
                return
            lent = [b for b in idle if b.lent > 0]
            dropped = (lent or idle)[0]
            self.buffers.remove(dropped)
            self._forgotten.append(dropped.serial)


class WorkerBuffers:
    """The main process's side of the workers' round buffers: resolves each batch's buffer reference
    to the shared rows and gives the batch its ``release``; forgets what the worker forgot."""

    def __init__(self) -> None:
        self._known: dict[tuple[int, int], tuple[torch.Tensor, torch.Tensor]] = {}

    def resolve(self, batch: dict[str, Any]) -> dict[str, Any]:
        ref = batch.pop("buffer", None)
        if ref is not None:
            worker, serial, n = ref
            announced = batch.pop("buffer_tensors", None)
            if announced is not None:
                self._known[(worker, serial)] = announced
            rows, returned = self._known[(worker, serial)]
            batch["rows"], batch["release"] = rows[:n], return_once(returned)
            for old in batch.pop("forget", ()):
                self._known.pop((worker, old), None)
        for key, value in batch.items():  # small arrays travel pickled, not as shared memory
            if isinstance(value, np.ndarray):
                batch[key] = torch.from_numpy(value)
        return batch


def to_wire(batch: dict[str, Any], buffer: RoundBuffer, n: int, worker: int, pool: BufferPool) -> dict[str, Any]:
    """A worker's consumer batch as it crosses to the main process: small arrays as numpy (pickled in
    the message), the round buffer's first ``n`` rows by reference (its tensors only the first time)."""
    wire = {k: v.numpy() if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
    wire["buffer"] = (worker, buffer.serial, n)
    if not buffer.announced:
        wire["buffer_tensors"] = (buffer.tensor, buffer.returned)
        buffer.announced = True
    wire["forget"] = pool.forgotten()
    return wire
