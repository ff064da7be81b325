"""Embeddings, computed once per (encoder revision, store revision, input adaptation) and kept in zarr.

The key is a hash of the full resolved configuration, never of names, so a retrained encoder, a rebuilt
store or a different adapter policy can never reuse stale embeddings.

Work in progress is a zarr group ``KEY.partial`` beside the finished entries, cut into *units* of rows
(one zarr chunk each). A unit's rows are written in one piece and then its flag in the ``done`` array
(one object per flag) is set, so a unit is either marked complete or recomputed: an interrupted run,
or a killed ``torchrun`` rank, resumes with the units that are not marked. The units waiting to be
computed are dealt out over the ranks of a launch (:class:`harness.ranks.Ranks`; a single process is
a world of one), which write into the same ``.partial`` without sharing a chunk; rank 0 checks the
whole array and publishes it with :meth:`harness.location.Location.publish` (an atomic rename
locally). A lock file per key makes two runs on one machine that need the same embeddings compute
them once.

The root may be a URL (``HARNESS_EMBED_CACHE_URL``, e.g. ``s3://bucket/embeddings``): the ``.partial``
then lives there too, so ranks on several machines share it, and publication copies it server-side,
root metadata last, so no node ever reads a half-written entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import zarr
from filelock import FileLock

from harness.embedding_checks import all_finite
from harness.errors import DataError, UsageError
from harness.location import Location, quiet_zarr_warnings
from harness.ranks import SOLO, Ranks
from harness.settings import embedding_cache_dir, embedding_cache_url

#: rows per unit of work (and per zarr chunk) a caller gets unless it asks for another size
UNIT_ROWS = 1024
#: the layout of a ``.partial`` group; one written by another layout is discarded, not resumed
PARTIAL_LAYOUT = "units-v1"

Blocks = Callable[[int, int], Iterator[tuple[int, int, Any]]]
Verify = Callable[[Any, bool], None]


@dataclass(frozen=True)
class _Plan:
    """What rank 0 found: a finished entry, or the units still to compute."""

    hit: bool
    pending: tuple[int, ...] = ()


def cache_key(parts: dict[str, Any]) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


class EmbeddingCache:
    """A folder of zarr groups, one per key, each holding ``embeddings[segment, dim]``."""

    def __init__(self, root: str | Path | Location | None = None, enabled: bool = True) -> None:
        self.root = Location.parse(root or embedding_cache_url() or embedding_cache_dir())
        self.enabled = enabled

    def entry(self, key: str) -> Location:
        """Where the finished group of ``key`` is published."""
        return self.root.join(f"{key}.zarr")

    def path(self, key: str) -> Path | str:
        return self.entry(key).target

    def get(self, key: str, *, lazy: bool = False) -> Any:
        """The finished embeddings of ``key`` or ``None``. ``lazy``: the on-disk zarr array itself (read by
        row ranges, so a caller such as ``participant_means`` never holds the whole array), else NumPy."""
        if not self.enabled:
            return None
        entry = self.entry(key)
        try:
            if not entry.exists():
                return None
            embeddings = entry.open_group("r")["embeddings"]
            if not isinstance(embeddings, zarr.Array):
                return None
            values = embeddings if lazy else np.asarray(embeddings[:])  # read once either way
            # a lost chunk reads back as the NaN fill value: such an entry is damaged, so it is recomputed
            return values if all_finite(values) else None
        except Exception:
            return None  # an unreadable cache entry is recomputed, never trusted


    def partial(self, key: str) -> Location:
        """Where the work in progress of ``key`` lives (beside the entries: shared by every rank)."""
        return self.root.join(f"{key}.partial")

    def progress(self, key: str) -> tuple[int, int] | None:
        """``(units done, units)`` of the work in progress of ``key``, or ``None`` when there is none."""
        group = self._open_partial(key)
        if group is None:
            return None
        done = np.asarray(cast(zarr.Array, group["done"])[:])
        return int(done.sum()), len(done)

    def compute(self, key: str, meta: dict[str, Any], n_segments: int, dim: int, blocks: Blocks,
                verify: Verify | None = None, *, lazy: bool = False, unit: int = UNIT_ROWS,
                ranks: Ranks = SOLO) -> tuple[Any, bool]:
        """Return embeddings for ``key``, computing the missing units with ``blocks(lo, hi)``.

        ``blocks(lo, hi)`` yields ``(start, stop, embeddings)`` covering segments ``lo`` to ``hi``.
        ``verify(embeddings, hit)`` sees the whole array (cached, or just completed) on rank 0 before it is
        returned or published, and raises to refuse it: a refused computation is never published.
        Returns the embeddings and whether they came from the cache. ``lazy``: the entry's zarr array
        instead of a NumPy copy; without a cache the embeddings are in memory either way. ``unit``: rows
        per unit of work (callers align it with their reads; it is also the zarr chunk). ``ranks``: the
        processes of a ``torchrun`` launch, which share the units and all return the embeddings.
        """
        check = verify or (lambda embeddings, hit: None)
        if not self.enabled:
            if ranks.enabled:
                raise UsageError("the ranks of a torchrun launch share their embeddings through the cache",
                                 "drop --no-cache")
            out = np.empty((n_segments, dim), dtype=np.float32)
            for lo, hi, emb in blocks(0, n_segments):
                out[lo:hi] = emb
            check(out, False)
            return out, False
        entry = self.entry(key)
        lock = FileLock(entry.lock_path()) if ranks.is_main else contextlib.nullcontext()
        with lock:
            found: dict[str, Any] = {}

            def plan() -> _Plan:
                cached = self.get(key, lazy=lazy)
                if cached is not None:
                    check(cached, True)
                    found["embeddings"] = cached
                    return _Plan(hit=True)
                group = self._start_partial(key, meta, n_segments, dim, unit)
                done = np.asarray(cast(zarr.Array, group["done"])[:])
                return _Plan(hit=False, pending=tuple(int(u) for u in np.flatnonzero(done == 0)))

            decided = ranks.decide(plan)
            if not decided.hit:
                ranks.agree(lambda: self._compute_units(key, n_segments, unit, ranks.share(list(decided.pending)),
                                                        blocks))
                ranks.decide(lambda: found.update(embeddings=self._finish(key, lazy, check)))
            if "embeddings" in found:  # rank 0
                return found["embeddings"], decided.hit
            embeddings = self.entry(key).open_group("r")["embeddings"]  # published and checked by rank 0
            return (embeddings if lazy else np.asarray(cast(zarr.Array, embeddings)[:])), decided.hit

    # -- the work in progress -------------------------------------------------------------------------
    def _open_partial(self, key: str, mode: str = "r") -> zarr.Group | None:
        partial = self.partial(key)
        try:
            if partial.is_local and not partial.path.exists():
                return None
            group = partial.open_group(cast(Any, mode))
            if group.attrs.get("key") != key or group.attrs.get("layout") != PARTIAL_LAYOUT:
                return None
            if not all(isinstance(group[name], zarr.Array) for name in ("done", "embeddings")):
                return None
            return group
        except Exception:
            return None

    def _start_partial(self, key: str, meta: dict[str, Any], n_segments: int, dim: int, unit: int) -> zarr.Group:
        """The ``.partial`` of ``key`` for this shape (kept if it matches, else made afresh)."""
        quiet_zarr_warnings()
        group = self._open_partial(key, "r+")
        if group is not None:
            attrs = group.attrs
            if (cast(zarr.Array, group["embeddings"]).shape == (n_segments, dim) and attrs.get("unit") == unit):
                return group
        partial = self.partial(key)
        partial.remove()
        group = partial.open_group("w")
        group.create_array("embeddings", shape=(n_segments, dim), chunks=(unit, dim), dtype="float32",
                           fill_value=np.nan)
        group.create_array("done", shape=(-(-n_segments // unit),), chunks=(1,), dtype="uint8", fill_value=0)
        group.attrs.update({"key": key, "meta": meta, "layout": PARTIAL_LAYOUT, "unit": unit})
        return group

    def _compute_units(self, key: str, n_segments: int, unit: int, mine: list[int], blocks: Blocks) -> None:
        """Compute and write this rank's units: rows first, in one piece, then the unit's done flag."""
        if not mine:
            return
        group = self._open_partial(key, "r+")
        if group is None:
            raise DataError(f"the work in progress of embedding-cache entry {key} disappeared",
                            "run the same command again (another run may have replaced it)")
        array, done = cast(zarr.Array, group["embeddings"]), cast(zarr.Array, group["done"])
        for u in mine:
            lo, hi = u * unit, min((u + 1) * unit, n_segments)
            rows = np.empty((hi - lo, array.shape[1]), dtype=np.float32)
            for start, stop, emb in blocks(lo, hi):
                rows[start - lo:stop - lo] = emb
            array[lo:hi] = rows
            done[u] = 1

    def _finish(self, key: str, lazy: bool, check: Verify) -> Any:
        """Rank 0, once every unit is marked: check the whole array, publish it, hand back the entry's."""
        group = self._open_partial(key)
        if group is None:
            raise DataError(f"the work in progress of embedding-cache entry {key} disappeared",
                            "run the same command again (another run may have replaced it)")
        done = np.asarray(cast(zarr.Array, group["done"])[:])
        if not done.all():
            raise DataError(f"embedding-cache entry {key}: {int((done == 0).sum())} of {len(done)} units were "
                            "not written", "run the same command again to compute them")
        array = cast(zarr.Array, group["embeddings"])
        values = array if lazy else np.asarray(array[:])
        check(values, False)
        partial, entry = self.partial(key), self.entry(key)
        partial.join("done").remove()  # the done flags are bookkeeping, not part of the entry
        entry.publish(partial)
        return entry.open_group("r")["embeddings"] if lazy else values
