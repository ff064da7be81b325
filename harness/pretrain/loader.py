"""Chunk-aware participant-pair streaming for pretraining.

Stores keep each participant's segments contiguous and compress them in chunks of
``chunk_segments``. Random access would read one chunk per segment, so batches are drawn from a
shuffle buffer over chunks:

* every epoch, the chunks holding training segments are permuted (seeded by ``(seed, epoch)``) and
  dealt out to the ranks (``perm[rank::world]``), so DDP ranks read disjoint chunks;
* a *round* reads ``buffer_chunks`` of the rank's chunks whole (sorted, merged contiguous reads; decoded
  from the shard index where the store needs no adapting) and serves ``steps_per_round`` batches whose
  anchors are a permutation of the buffer's training segments;
* each anchor's partner comes from the pair policy (participant policy: another segment of the same
  participant, so within the same or an adjacent chunk; segment policy: the anchor itself).

Every random choice is a pure function of ``(seed, rank, step)``: batches do not depend on history,
worker count or interruptions, which is what makes ``--resume`` exact. Stores are opened lazily in the
process that reads them (each DataLoader worker opens its own; use spawn/forkserver, never fork, with
zarr). Nothing holds more than two rounds' buffers (the one serving, the one being prefetched) plus
the partners at a time; decoding runs in threads (zstd releases the GIL). Normalisation, crops
and augmentations happen on the training device (:mod:`harness.pretrain.views`), so the loader's work
per segment is a decode and a gather.
"""

from __future__ import annotations

import functools
import itertools
import os
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from harness.adapter import adapt, channel_plan
from harness.encoders import InputSpec
from harness.errors import DataError, UsageError
from harness.pairing import ParticipantIndex
from harness.pretrain.rank import holdout_mask
from harness.pretrain.round_buffers import BufferPool, RoundBuffer, WorkerBuffers, return_once, to_wire
from harness.store.chunks import ShardChunkReader, shard_reader


# -- seeds -------------------------------------------------------------------------------------------
def derive_seed(seed: int, tag: str, *parts: int) -> int:
    """A 63-bit seed for the stream named ``tag`` at ``parts`` (rank, step, ...)."""
    entropy = [int(seed) & 0xFFFFFFFF, zlib.crc32(tag.encode()), *(int(p) & 0xFFFFFFFF for p in parts)]
    words = np.random.SeedSequence(entropy).generate_state(2, dtype=np.uint32)
    return int((int(words[0]) << 31) ^ int(words[1])) & ((1 << 63) - 1)


def rng_for(seed: int, tag: str, *parts: int) -> np.random.Generator:
    return np.random.default_rng(derive_seed(seed, tag, *parts))


def torch_generator(seed: int, tag: str, *parts: int) -> torch.Generator:
    return torch.Generator().manual_seed(derive_seed(seed, tag, *parts))


# -- the segment table across stores -----------------------------------------------------------------
@dataclass(frozen=True)
class StoreSource:
    """A picklable description of one store (workers reopen it by path)."""

    path: str
    name: str
    revision: str
    modality: str
    fs: float
    channel_names: tuple[str, ...]
    offset: int
    n_segments: int
    chunk_segments: int


@dataclass
class SegmentTable:
    """All segments of the training stores, indexed globally (store offsets), plus the chunk list."""

    sources: list[StoreSource]
    participant: np.ndarray     # int64 code per segment, unique across stores
    participant_names: np.ndarray  # "<store>:<id>" per code
    train: np.ndarray           # bool per segment: not held out
    n_valid: np.ndarray         # int64 per segment
    chunks: np.ndarray          # (n_chunks, 3) int64: source index, global start, global stop

    @property
    def n_segments(self) -> int:
        return len(self.participant)

    def train_chunks(self) -> np.ndarray:
        """Indices of chunks that hold at least one training segment."""
        if not len(self.chunks):
            return np.zeros(0, dtype=np.int64)
        counts = np.add.reduceat(self.train.astype(np.int64), self.chunks[:, 1])
        return np.flatnonzero(counts > 0)

    def source_of(self, index: np.ndarray) -> np.ndarray:
        offsets = np.array([s.offset for s in self.sources])
        return np.searchsorted(offsets, index, side="right") - 1

    def summary(self) -> list[dict[str, Any]]:
        out = []
        for i, s in enumerate(self.sources):
            sl = slice(s.offset, s.offset + s.n_segments)
            codes = self.participant[sl]
            held = np.unique(codes[~self.train[sl]])
            out.append({"name": s.name, "revision": s.revision, "path": s.path, "segments": s.n_segments,
                        "participants": len(np.unique(codes)), "holdout_participants": len(held),
                        "holdout_segments": int((~self.train[sl]).sum()), "source_index": i})
        return out


def build_table(stores: Sequence[Any], *, holdout_fraction: float = 0.1) -> SegmentTable:
    """Index ``SignalStore`` objects of one modality; hold out participants by a hash of their id."""
    if not stores:
        raise UsageError("no store to pretrain on", "pass --dataset")
    modalities = {s.modality for s in stores}
    if len(modalities) > 1:
        raise UsageError(f"stores mix modalities {sorted(modalities)}", "pretrain on stores of one modality")
    sources, codes, names, train, n_valid, chunks = [], [], [], [], [], []
    offset = code_base = 0
    for i, store in enumerate(stores):
        ids = np.asarray(store.participant_ids).astype(str)
        if len(ids) == 0:
            raise DataError(f"store {store.path} holds no segments", "rebuild it")
        # Codes follow runs of the (grouped) participant ids.
        uniq, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
        order = np.argsort(first)
        remap = np.empty(len(uniq), dtype=np.int64)
        remap[order] = np.arange(len(uniq))
        local = remap[inverse]
        held = holdout_mask(uniq[order], holdout_fraction, salt=store.name)
        codes.append(local + code_base)
        names.append(np.array([f"{store.name}:{p}" for p in uniq[order]]))
        train.append(~held[local])
        n_valid.append(np.asarray(store.n_valid, dtype=np.int64))
        cs = int(store.chunk_segments)
        starts = np.arange(0, len(ids), cs)
        chunks.append(np.stack([np.full(len(starts), i), starts + offset,
                                np.minimum(starts + cs, len(ids)) + offset], axis=1))
        sources.append(StoreSource(str(store.path), store.name, store.revision, store.modality, store.fs,
                                   tuple(store.channel_names), offset, len(ids), cs))
        offset += len(ids)
        code_base += len(uniq)
    return SegmentTable(sources, np.concatenate(codes), np.concatenate(names), np.concatenate(train),
                        np.concatenate(n_valid), np.concatenate(chunks).astype(np.int64))


# -- the deterministic plan -----------------------------------------------------------------------
@dataclass
class StepPlan:
    step: int
    anchors: np.ndarray
    partners: np.ndarray
    buffer_chunks: np.ndarray


class PairPlanner:
    """Which segments each step uses: a pure function of ``(seed, rank, step)``."""

    def __init__(self, table: SegmentTable, policy: Any, *, batch_size: int, seed: int, rank: int = 0,
                 world_size: int = 1, buffer_chunks: int | None = None) -> None:
        self.table, self.policy = table, policy
        self.batch_size, self.seed, self.rank, self.world_size = int(batch_size), int(seed), int(rank), int(world_size)
        self.chunk_ids = table.train_chunks()
        if len(self.chunk_ids) == 0:
            raise DataError("no training segments left after the participant hold-out",
                            "use more participants or a smaller hold-out fraction")
        train_per_chunk = table.train.sum() / len(self.chunk_ids)
        default = int(np.ceil(2 * self.batch_size / max(train_per_chunk, 1.0)))
        k = buffer_chunks or max(4, default)
        self.per_rank = max(1, len(self.chunk_ids) // self.world_size)
        self.buffer_chunks = int(min(k, self.per_rank))
        self.steps_per_round = max(1, int(self.buffer_chunks * train_per_chunk) // self.batch_size)
        self.rounds_per_epoch = max(1, self.per_rank // self.buffer_chunks)
        self.index = ParticipantIndex.from_codes(table.participant, table.participant_names)

    def describe(self) -> dict[str, Any]:
        return {"buffer_chunks": self.buffer_chunks, "steps_per_round": self.steps_per_round,
                "rounds_per_epoch": self.rounds_per_epoch, "train_chunks": len(self.chunk_ids),
                "batch_size": self.batch_size, "rank": self.rank, "world_size": self.world_size}

    def round_of(self, step: int) -> int:
        return step // self.steps_per_round

    def worker_of(self, round_: int, workers: int) -> int:
        """Which of ``workers`` loader workers makes ``round_``: dealt in turn within an epoch, starting
        one worker later each epoch. The epoch's last round takes the chunks left over (up to twice a
        round's decoding for the same steps); dealt plainly (``r % W``) it would fall on the same worker
        every epoch whenever the rounds per epoch divide by ``W``, and the others would wait for it."""
        epoch, j = divmod(round_, self.rounds_per_epoch)
        return (j + epoch) % workers

    def next_round_of(self, round_: int, worker: int, workers: int) -> int:
        """The first round after ``round_`` that ``worker`` makes (what its prefetch reads next)."""
        return next(r for r in itertools.count(round_ + 1) if self.worker_of(r, workers) == worker)

    def round_chunks(self, round_: int) -> np.ndarray:
        epoch, j = divmod(round_, self.rounds_per_epoch)
        perm = self.chunk_ids[rng_for(self.seed, "epoch", epoch).permutation(len(self.chunk_ids))]
        mine = perm[self.rank::self.world_size][: self.per_rank]
        if len(mine) == 0:
            mine = perm[[self.rank % len(perm)]]
        stop = len(mine) if j == self.rounds_per_epoch - 1 else (j + 1) * self.buffer_chunks
        return np.sort(mine[j * self.buffer_chunks: stop])

    def max_round_rows(self) -> int:
        """At least the rows of any round: the epoch's last round takes the chunks left over."""
        last = self.per_rank - (self.rounds_per_epoch - 1) * self.buffer_chunks
        chunk_rows = np.sort(self.table.chunks[:, 2] - self.table.chunks[:, 1])[::-1]
        return int(chunk_rows[:max(self.buffer_chunks, last)].sum())

    def round_segments(self, chunks: np.ndarray) -> np.ndarray:
        spans = [np.arange(self.table.chunks[c, 1], self.table.chunks[c, 2]) for c in chunks]
        segs = np.concatenate(spans)
        return segs[self.table.train[segs]]

    def plan(self, step: int) -> StepPlan:
        round_ = self.round_of(step)
        chunks = self.round_chunks(round_)
        segs = self.round_segments(chunks)
        need = self.steps_per_round * self.batch_size
        rng = rng_for(self.seed, "round", self.rank, round_)
        order = np.concatenate([rng.permutation(segs) for _ in range(-(-need // len(segs)))])
        pos = (step - round_ * self.steps_per_round) * self.batch_size
        anchors = order[pos: pos + self.batch_size]
        partners = np.asarray(self.policy.partners(self.index, anchors, rng_for(self.seed, "pairs",
                                                                                 self.rank, step)))
        return StepPlan(step, anchors, partners.astype(np.int64), chunks)


# -- reading and adapting ---------------------------------------------------------------------------
def unnormalised(spec: InputSpec) -> InputSpec:
    """``spec`` without its normalisation: the loader's views are normalised on the training device."""
    return replace(spec, normalise="none")


class SegmentReader:
    """Reads global segment indices from the stores, adapted to an encoder's input (opened lazily)."""

    def __init__(self, table: SegmentTable, spec: InputSpec) -> None:
        self.table, self.spec = table, spec
        self._stores: dict[int, Any] = {}
        self._direct: dict[int, ShardChunkReader | None] = {}

    def _store(self, i: int) -> Any:
        if i not in self._stores:
            from harness.store.reader import open_store

            self._stores[i] = open_store(self.table.sources[i].path)
        return self._stores[i]

    def direct(self, i: int) -> ShardChunkReader | None:
        """A shard-index reader for store ``i`` when its segments need no adapting for ``spec`` but
        (possibly) normalisation: same rate, window and channels. None otherwise (zarr + the adapter)."""
        if i not in self._direct:
            src, spec = self.table.sources[i], self.spec
            store = self._store(i)
            op, picked, _ = channel_plan(len(src.channel_names), spec.channels, list(src.channel_names),
                                         spec.preferred_channels, spec.fewer_channels)
            same_channels = op == "identity" or (op == "pick" and picked == list(range(spec.channels)))
            fits = (same_channels and abs(src.fs - spec.fs) < 1e-9 and store.samples == spec.samples
                    and spec.normalise == "none")
            direct = shard_reader(store) if fits else None
            self._direct[i] = direct if direct is not None and direct.chunk == src.chunk_segments else None
        return self._direct[i]

    def _adapt(self, src: StoreSource, signal: np.ndarray, n_valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        adapted = adapt(signal, n_valid, src.fs, self.spec, channel_names=list(src.channel_names),
                        long_policy="crop")
        if len(adapted.row_of) != len(signal):
            raise DataError("the input adapter returned several windows per segment during pretraining",
                            "use long_policy='crop'")
        return adapted.signal, adapted.n_valid

    def read_range(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Contiguous global range within one store (one read of whole chunks): signal, valid lengths."""
        i = int(self.table.source_of(np.array([start]))[0])
        src = self.table.sources[i]
        raw = self._store(i).read(start - src.offset, stop - src.offset)
        return self._adapt(src, raw, self.table.n_valid[start:stop])

    def read(self, indices: np.ndarray) -> np.ndarray:
        """Arbitrary global indices, one orthogonal read per store."""
        return self.read_with_lengths(indices)[0]

    def read_with_lengths(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        indices = np.asarray(indices, dtype=np.int64)
        out = np.empty((len(indices), self.spec.channels, self.spec.samples), dtype=np.float32)
        valid = np.empty(len(indices), dtype=np.int64)
        which = self.table.source_of(indices)
        for i in np.unique(which):
            sel = np.flatnonzero(which == i)
            src = self.table.sources[int(i)]
            raw = self._store(int(i)).read_indices(indices[sel] - src.offset)
            out[sel], valid[sel] = self._adapt(src, raw, self.table.n_valid[indices[sel]])
        return out, valid


def contiguous_runs(chunks: np.ndarray, table: SegmentTable) -> list[tuple[int, int]]:
    """Merge sorted chunks into (start, stop) global ranges that stay within one store."""
    runs: list[tuple[int, int]] = []
    for c in chunks:
        src, start, stop = (int(v) for v in table.chunks[c])
        if runs and runs[-1][1] == start and int(table.source_of(np.array([runs[-1][0]]))[0]) == src:
            runs[-1] = (runs[-1][0], stop)
        else:
            runs.append((start, stop))
    return runs


class BufferCache:
    """The current round's chunks, read whole into one reused buffer; other segments on demand.

    Where a store needs no adapting (see :meth:`SegmentReader.direct`), its chunks are decoded from the
    shard files straight into the buffer; the NaN padding of short segments stays in it (the views are
    cleaned and normalised on the device, which knows each row's valid length). Otherwise zarr reads
    the run and the adapter fits it, as for evaluation.

    ``threads`` > 1 decodes a round's chunks and gathers a batch's rows in that many threads (zstd and
    numpy's take release the GIL, so one process uses several cores without handing batches between
    processes). :meth:`prefetch` loads the next round into another buffer in the background while the
    current one serves its steps, so decoding overlaps training. Neither changes a byte of any batch:
    every row has a fixed place in the buffer whatever the threads' timing. :meth:`lend` hands the
    serving rows to a consumer that gathers them itself (on the training device); buffers come from a
    :class:`~harness.pretrain.round_buffers.BufferPool` (``shared``: in shared memory, for a DataLoader
    worker), so lent rows are never overwritten before they are returned.
    """

    def __init__(self, reader: SegmentReader, *, threads: int = 1, shared: bool = False, round_rows: int = 0) -> None:
        self.reader = reader
        self.key: tuple[int, ...] | None = None
        self.index = np.zeros(0, dtype=np.int64)
        self.valid = np.zeros(0, dtype=np.int64)
        row_shape = (reader.spec.channels, reader.spec.samples)
        # serving + prefetching + one returning late; a worker's batches wait in queues a while longer
        # (sized for the largest round, ``round_rows``: growing one mid-run allocates and first-touches
        # tens of MB, 13 ms per 15 MB of shared memory here)
        self.pool = BufferPool(row_shape, shared=shared, keep=5 if shared else 3, rows=round_rows)
        self.current: RoundBuffer | None = None
        self.data = np.zeros((0, *row_shape), dtype=np.float32)
        self.chunk_reads = 0
        self.threads = max(1, int(threads))
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="harness-decode") \
            if self.threads > 1 else None
        self._prefetcher: ThreadPoolExecutor | None = None
        self._pending: tuple[tuple[int, ...], Future[Any]] | None = None

    def close(self) -> None:
        """Finish any prefetch and stop the threads (the stream calls this when it ends)."""
        self._drop_pending()
        for pool in (self._prefetcher, self._pool):
            if pool is not None:
                pool.shutdown(wait=True)
        self._pool = self._prefetcher = None

    def _drop_pending(self) -> None:
        """Let a prefetch nobody asked for finish (it writes into its buffer), then free its buffer."""
        pending, self._pending = self._pending, None
        if pending is not None:
            wait([pending[1]])
            if pending[1].exception() is None:
                self.pool.put_back(pending[1].result()[0])

    def lend(self) -> tuple[RoundBuffer, np.ndarray]:
        """The serving buffer and its rows, counted as lent to one more batch: until that batch is
        returned (:func:`~harness.pretrain.round_buffers.return_once` on ``buffer.returned``) they are
        never refilled (a later round gets another buffer instead)."""
        if self.current is None:
            raise RuntimeError("lend() before any round was loaded")
        self.current.lend()
        return self.current, self.data

    def _positions(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each index's row in the serving buffer (clipped into range) and whether it is there."""
        pos = np.searchsorted(self.index, indices)
        pos = np.minimum(pos, max(len(self.index) - 1, 0))
        return pos, (len(self.index) > 0) & (self.index[pos] == indices)

    def locate(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Rows of ``indices`` in the serving buffer (-1 where not in it), their valid lengths, and the
        signals of those not in it (read now, in order), for a consumer that gathers itself."""
        pos, hit = self._positions(indices)
        valid = self.valid[pos] if len(self.index) else np.zeros(len(indices), dtype=np.int64)
        extra = None
        if not hit.all():
            extra, valid[~hit] = self.reader.read_with_lengths(indices[~hit])
        return np.where(hit, pos, -1), valid, extra

    def _run_all(self, jobs: list[Callable[[], None]]) -> None:
        """Run ``jobs`` (in the pool when there is one); the first failure is raised after all finish,
        so no job is still writing into a buffer that is then reused."""
        if self._pool is None or len(jobs) < 2:
            for job in jobs:
                job()
            return
        futures = [self._pool.submit(job) for job in jobs]
        wait(futures)
        for future in futures:
            future.result()

    def _fill(self, chunks: np.ndarray) -> tuple[RoundBuffer, np.ndarray, np.ndarray, np.ndarray]:
        """Read ``chunks`` into a free buffer: the buffer (held), its rows, valid lengths and global
        segment indices. On failure the buffer goes back to the pool."""
        table = self.reader.table
        runs = contiguous_runs(chunks, table)
        total = sum(b - a for a, b in runs)
        buffer = self.pool.take(total)
        try:
            data = buffer.rows(total)
            valid = np.empty(total, dtype=np.int64)
            self._run_all(self._read_jobs(runs, data, valid, len(chunks)))
        except BaseException:
            self.pool.put_back(buffer)
            raise
        return buffer, data, valid, np.concatenate([np.arange(a, b) for a, b in runs])

    def _read_jobs(self, runs: list[tuple[int, int]], data: np.ndarray, valid: np.ndarray,
                   n_chunks: int) -> list[Callable[[], None]]:
        """One job per piece of the round, each writing its own rows of ``data`` and ``valid``."""
        table = self.reader.table
        jobs: list[Callable[[], None]] = []
        row = 0
        # Jobs of about a quarter of a thread's share, so the threads finish together.
        piece = max(1, n_chunks // (4 * self.threads))
        for a, b in runs:
            i = int(table.source_of(np.array([a]))[0])
            src = table.sources[i]
            direct = self.reader.direct(i)  # resolved here, in one thread (it opens the store)
            if direct is not None:
                chunk = src.chunk_segments
                first, stop = (a - src.offset) // chunk, -(-(b - src.offset) // chunk)
                for c in range(first, stop, piece):
                    lo = row + (c - first) * chunk
                    hi = min(row + (min(c + piece, stop) - first) * chunk, row + b - a)
                    jobs.append(functools.partial(direct.read_chunks, c, min(c + piece, stop), data[lo:hi]))
                valid[row:row + b - a] = np.minimum(table.n_valid[a:b], self.reader.spec.samples)
            else:
                def read(a: int = a, b: int = b, row: int = row) -> None:
                    data[row:row + b - a], valid[row:row + b - a] = self.reader.read_range(a, b)
                jobs.append(read)
            row += b - a
        return jobs

    def prefetch(self, chunks: np.ndarray) -> None:
        """Start reading ``chunks`` (a later round) into a spare buffer in the background."""
        key = tuple(int(c) for c in chunks)
        if key == self.key or (self._pending is not None and self._pending[0] == key):
            return
        self._drop_pending()
        if self._prefetcher is None:
            self._prefetcher = ThreadPoolExecutor(1, thread_name_prefix="harness-prefetch")
        self._pending = (key, self._prefetcher.submit(self._fill, np.asarray(chunks)))

    def load(self, chunks: np.ndarray) -> None:
        key = tuple(int(c) for c in chunks)
        if key == self.key:
            return
        if self.current is not None:  # no longer served: free once its borrowers return it (or now)
            self.pool.put_back(self.current)
            self.current, self.key = None, None
        if self._pending is not None and self._pending[0] == key:
            pending, self._pending = self._pending, None
            filled = pending[1].result()  # a read error surfaces here, for the round that needs it
        else:
            self._drop_pending()
            filled = self._fill(chunks)
        self.current, self.data, self.valid, self.index = filled
        self.key = key
        self.chunk_reads += len(chunks)

    def get(self, indices: np.ndarray, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Signals and valid lengths of ``indices`` (into ``out`` when given)."""
        pos, hit = self._positions(indices)
        if out is None:
            out = np.empty((len(indices), *self.data.shape[1:]), dtype=np.float32)
        if hit.all():  # the usual case: one gather (in slices over the threads), no masked copies
            data, n = self.data, len(indices)
            bounds = np.linspace(0, n, min(self.threads, max(1, n // 32)) + 1).astype(int)
            # mode="clip": with the default "raise" numpy buffers `out`, 3x slower
            self._run_all([functools.partial(np.take, data, pos[lo:hi], axis=0, out=out[lo:hi], mode="clip")
                           for lo, hi in itertools.pairwise(bounds) if hi > lo])
            return out, self.valid[pos]
        valid = np.empty(len(indices), dtype=np.int64)
        out[hit], valid[hit] = self.data[pos[hit]], self.valid[pos[hit]]
        if (~hit).any():
            out[~hit], valid[~hit] = self.reader.read_with_lengths(indices[~hit])
        return out, valid


def chunks_touched(table: SegmentTable, indices: np.ndarray) -> int:
    starts = table.chunks[:, 1]
    return len(np.unique(np.searchsorted(starts, indices, side="right") - 1))


def batch_views(batch: dict[str, Any], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The anchor and partner segments of a loader batch on ``device`` (raw: NaN padding included),
    gathered there when the batch carries the round's rows (``gather="consumer"``)."""
    nb = device.type == "cuda"
    if "rows" not in batch:
        return batch["x1"].to(device, non_blocking=nb), batch["x2"].to(device, non_blocking=nb)
    rows = batch["rows"].to(device)  # a synchronous copy: the rows are read before they are released
    views = []
    for key in ("1", "2"):
        pos = batch["pos" + key].to(device, non_blocking=nb)
        x = rows.index_select(0, pos.clamp_min(0))
        extra = batch["extra" + key]
        if extra is not None:
            x[pos < 0] = extra.to(device)
        views.append(x)
    batch["release"]()
    return views[0], views[1]


# -- the torch dataset ------------------------------------------------------------------------------
class PairStream(IterableDataset):
    """Yields one ready batch per step (``batch_size=None`` in the DataLoader).

    A batch is a dict: ``x1``/``x2`` float32 (B, C, T) anchor and partner segments fitted to the
    encoder's window but **not normalised, cleaned or augmented** (NaN padding beyond ``valid1``/
    ``valid2`` samples): :class:`harness.pretrain.views.ViewMaker` does that on the training device, so
    the loader only decodes and gathers. Also ``participant`` int64 codes, ``step``, and loader
    statistics (``chunks``, ``participants``). With ``W`` workers, worker ``w`` makes every step of the
    rounds that :meth:`PairPlanner.worker_of` deals it (so each round's chunks are decoded by one
    worker, once, and the larger last round of each epoch falls on each worker in turn);
    :func:`make_loader` puts the batches back in step order. ``threads`` and ``prefetch`` are
    :class:`BufferCache`'s (per process: each worker has its own); batches are the same for any values.
    With ``gather="consumer"`` a batch carries the round's buffer instead of ``x1``/``x2``: ``rows``
    (R, C, T), ``pos1``/``pos2`` (row per view, -1 where the segment is not in the buffer),
    ``extra1``/``extra2`` (those segments, in order, or None) and ``release``, to call once the views
    are copied; :func:`batch_views` makes the two views from either form, so on a GPU the gather runs
    on the device and the loader only decodes. In a worker the buffer is shared memory that the worker
    reuses once the main process has released every batch that borrowed it, so handing a batch over
    copies nothing (:mod:`harness.pretrain.round_buffers`).
    """

    def __init__(self, table: SegmentTable, spec: InputSpec, policy: Any, *,
                 batch_size: int, seed: int, start_step: int, stop_step: int, rank: int = 0,
                 world_size: int = 1, buffer_chunks: int | None = None, threads: int = 1,
                 prefetch: bool = False, gather: str = "loader") -> None:
        super().__init__()
        if gather not in ("loader", "consumer"):
            raise UsageError(f"unknown gather mode '{gather}'", "use 'loader' or 'consumer'")
        self.table, self.spec, self.policy = table, spec, policy
        self.threads, self.prefetch, self.gather = threads, prefetch, gather
        self.batch_size, self.seed = batch_size, seed
        self.start_step, self.stop_step = start_step, stop_step
        self.rank, self.world_size, self.buffer_chunks = rank, world_size, buffer_chunks

    def planner(self) -> PairPlanner:
        return PairPlanner(self.table, self.policy, batch_size=self.batch_size, seed=self.seed,
                           rank=self.rank, world_size=self.world_size, buffer_chunks=self.buffer_chunks)

    def _views(self, cache: BufferCache, indices: np.ndarray, shared: bool) -> tuple[torch.Tensor, torch.Tensor]:
        spec = cache.reader.spec
        shape = (len(indices), spec.channels, spec.samples)
        if shared:  # in a worker: gather straight into shared memory, so handing it over copies nothing
            out = torch.empty(shape, dtype=torch.float32).share_memory_()
        else:  # numpy's allocator re-uses freed batch memory; a fresh torch allocation faults every page
            out = torch.from_numpy(np.empty(shape, dtype=np.float32))
        _, valid = cache.get(indices, out=out.numpy())
        return out, torch.from_numpy(valid)

    def make_batch(self, plan: StepPlan, cache: BufferCache, *, shared: bool = False) -> dict[str, Any]:
        cache.load(plan.buffer_chunks)
        both = np.concatenate([plan.anchors, plan.partners])
        codes = self.table.participant[plan.anchors]
        batch: dict[str, Any] = {
            "step": plan.step, "participant": torch.from_numpy(codes.astype(np.int64)),
            "partner_participant": torch.from_numpy(self.table.participant[plan.partners].astype(np.int64)),
            "chunks": chunks_touched(self.table, both), "participants": len(np.unique(codes)),
        }
        if self.gather == "consumer":
            buffer, rows = cache.lend()
            for key, indices in (("1", plan.anchors), ("2", plan.partners)):
                pos, valid, extra = cache.locate(indices)
                batch["pos" + key], batch["valid" + key] = torch.from_numpy(pos), torch.from_numpy(valid)
                batch["extra" + key] = None if extra is None else torch.from_numpy(extra)
            if shared:  # a worker's batch: the buffer by reference; make_loader gives it `release`
                return to_wire(batch, buffer, len(rows), os.getpid(), cache.pool)
            batch.update(rows=buffer.tensor[:len(rows)], release=return_once(buffer.returned))
            return batch
        x1, valid1 = self._views(cache, plan.anchors, shared)
        x2, valid2 = self._views(cache, plan.partners, shared)
        batch.update(x1=x1, x2=x2, valid1=valid1, valid2=valid2)
        return batch

    def __iter__(self) -> Iterator[dict[str, Any]]:
        info = get_worker_info()
        wid, nworkers = (info.id, info.num_workers) if info is not None else (0, 1)
        planner = self.planner()
        cache = BufferCache(SegmentReader(self.table, unnormalised(self.spec)), threads=self.threads,
                            shared=info is not None and self.gather == "consumer",
                            round_rows=planner.max_round_rows())
        started = None
        try:
            for step in range(self.start_step, self.stop_step):
                round_ = planner.round_of(step)
                if planner.worker_of(round_, nworkers) != wid:  # whole rounds: each buffer is decoded once
                    continue
                batch = self.make_batch(planner.plan(step), cache, shared=info is not None)
                if self.prefetch and started != round_:
                    following = planner.next_round_of(round_, wid, nworkers)  # this process's next round
                    if following * planner.steps_per_round < self.stop_step:
                        cache.prefetch(planner.round_chunks(following))
                started = round_
                yield batch
        finally:
            cache.close()


def make_loader(stream: PairStream, *, workers: int = 0, context: str | None = None) -> Any:
    """Iterate ``stream`` in-process (``workers=0``) or through a DataLoader with spawned workers."""
    if workers <= 0:
        return iter(stream)
    if context is None:
        import multiprocessing as mp

        context = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    if context == "fork":
        raise UsageError("DataLoader workers under 'fork' can deadlock on zarr's event-loop thread",
                         "use spawn or forkserver")
    # collate_fn: batches leave a worker as made (the default would turn the small numpy arrays of a
    # consumer batch into tensors, each then passed through its own shared memory and file descriptor).
    # A consumer batch is a reference to a round buffer, so a worker may run 4 batches ahead; a batch
    # gathered in the worker is two fresh (B, C, T) arrays, so torch's default 2 bounds that memory.
    ahead = 4 if stream.gather == "consumer" else 2
    loader = DataLoader(stream, batch_size=None, num_workers=workers, multiprocessing_context=context,
                        prefetch_factor=ahead, persistent_workers=False, collate_fn=_as_made)
    buffers = WorkerBuffers()  # resolved as each batch arrives: a worker's batches come in its order
    return in_step_order((buffers.resolve(batch) for batch in loader), stream.start_step)


def _as_made(batch: Any) -> Any:
    return batch


def in_step_order(batches: Iterator[dict[str, Any]], first: int) -> Iterator[dict[str, Any]]:
    """Yield batches by ``step`` from workers that each make whole rounds (a few batches wait at most)."""
    waiting: dict[int, dict[str, Any]] = {}
    expected = first
    for batch in batches:
        waiting[int(batch["step"])] = batch
        while expected in waiting:
            yield waiting.pop(expected)
            expected += 1
    if waiting:
        raise RuntimeError(f"loader workers skipped step {expected} (have {sorted(waiting)[:3]}...)")
