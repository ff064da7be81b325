"""Embeddings, computed once per (encoder revision, store revision, input adaptation) and kept in zarr.

The key is a hash of the full resolved configuration, never of names, so a retrained encoder, a rebuilt
store or a different adapter policy can never reuse stale embeddings. Work in progress lives in a
``.partial`` folder and records how many segments are done, so an interrupted run resumes where it
stopped; the finished cache is published with :meth:`harness.location.Location.publish` (an atomic
rename). A lock file per key makes two processes that need the same embeddings compute them once.

The root may be a URL (``HARNESS_EMBED_CACHE_URL``, e.g. ``s3://bucket/embeddings``): work in progress
then stays in the local staging folder and the finished group is uploaded root metadata last (the
same ``publish``), so no node ever reads a half-written entry.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np
import zarr
from filelock import FileLock

from harness.embedding_checks import all_finite
from harness.location import Location, quiet_zarr_warnings
from harness.settings import embedding_cache_dir, embedding_cache_url


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

    def compute(self, key: str, meta: dict[str, Any], n_segments: int, dim: int,
                blocks: Callable[[int], Any], verify: Callable[[Any, int], None] | None = None, *,
                lazy: bool = False) -> tuple[Any, bool]:
        """Return embeddings for ``key``, computing missing blocks with ``blocks(start)``.

        ``blocks(start)`` yields ``(start, stop, embeddings)`` from segment ``start`` on. ``verify(embeddings,
        start)`` sees the whole array (cached, or computed from ``start`` on) before it is returned or
        published, and raises to refuse it: a refused computation is never published. Returns the
        embeddings and whether they came from the cache. ``lazy``: the cached or published entry's zarr
        array instead of a NumPy copy (``verify`` then reads it by row ranges too); without a cache the
        embeddings are in memory either way.
        """
        check = verify or (lambda embeddings, start: None)
        if not self.enabled:
            out = np.empty((n_segments, dim), dtype=np.float32)
            for lo, hi, emb in blocks(0):
                out[lo:hi] = emb
            check(out, 0)
            return out, False
        entry = self.entry(key)
        with FileLock(entry.lock_path()):
            cached = self.get(key, lazy=lazy)
            if cached is not None:
                check(cached, n_segments)
                return cached, True
            quiet_zarr_warnings()
            partial = entry.staging_dir() / f"{key}.partial"
            group = None
            if partial.exists():
                try:
                    group = zarr.open_group(str(partial), mode="r+")
                    shape = cast(zarr.Array, group["embeddings"]).shape
                    if group.attrs.get("key") != key or shape != (n_segments, dim):
                        group = None
                except Exception:
                    group = None
                if group is None:
                    shutil.rmtree(partial, ignore_errors=True)
            if group is None:
                group = zarr.open_group(str(partial), mode="w", zarr_format=3)
                group.create_array("embeddings", shape=(n_segments, dim), chunks=(4096, dim),
                                   dtype="float32", fill_value=np.nan)
                group.attrs.update({"key": key, "meta": meta, "done": 0})
            done = int(cast(int, group.attrs.get("done", 0)))
            array = cast(zarr.Array, group["embeddings"])
            for lo, hi, emb in blocks(done):
                array[lo:hi] = emb
                group.attrs["done"] = hi
            result: Any = array if lazy else np.asarray(array[:])
            check(result, done)
            entry.publish(partial)  # a local entry takes the folder over; an upload leaves it behind
            shutil.rmtree(partial, ignore_errors=True)
            if lazy:  # the staging array is gone: read the published entry
                result = entry.open_group("r")["embeddings"]
            return result, False
