"""Whole-chunk reads of a store's signal array straight from its shard files.

The pretraining loader reads a round's chunks whole, so per-call overhead in zarr (selection
planning, an event-loop round trip, a copy out of the decoded chunk) is most of what separates it
from the codec's own decode speed. Stores written by :mod:`harness.store.writer` have one fixed layout
(zarr v3 ``sharding_indexed``: inner chunks of ``bytes`` little-endian + ``zstd``, the shard index at
the end with ``bytes`` + ``crc32c``), so a chunk's compressed bytes are found from the shard index and
decoded by ``numcodecs.Zstd`` directly into the caller's buffer.

:func:`shard_reader` reads local stores with plain file reads and stores on object storage (``s3://``,
any fsspec URL) with ranged GETs: the shard index from each shard object's tail, then one GET per run
of chunks, so a round costs a few requests instead of zarr's per-chunk ones. It returns ``None`` for
any other layout: the caller then reads through zarr, which is always correct. The index checksum is
verified on every shard read, and a chunk whose decoded size is wrong is refused, so a damaged file is
an error, never data. Readers are safe to share between threads (the loader decodes in several).
"""

from __future__ import annotations

import json
import mmap
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

import google_crc32c
import numpy as np
from numcodecs import Zstd

from harness.errors import DataError

EMPTY = np.uint64(2**64 - 1)  # the index entry of a chunk that was never written (fill value)
_LITTLE_ENDIAN = {"name": "bytes", "configuration": {"endian": "little"}}
_INDEX = [_LITTLE_ENDIAN, {"name": "crc32c"}]
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def frame_content_size(frame: bytes | memoryview) -> int | None:
    """The decompressed size a zstd frame header declares (None if it declares none)."""
    head = bytes(frame[:18])
    if len(head) < 6 or head[:4] != _ZSTD_MAGIC:
        return None
    fhd = head[4]
    fcs_flag, single = fhd >> 6, (fhd >> 5) & 1
    pos = 5 + (0 if single else 1) + (0, 1, 2, 4)[fhd & 3]
    width = (1 if single else 0, 2, 4, 8)[fcs_flag]
    if width == 0 or len(head) < pos + width:
        return None
    value = int.from_bytes(head[pos:pos + width], "little")
    return value + 256 if width == 2 else value


def _layout(meta: dict[str, Any]) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """(shard shape, inner chunk shape) if ``meta`` is the layout this reader decodes, else None."""
    if meta.get("zarr_format") != 3 or meta.get("data_type") != "float32":
        return None
    if meta.get("chunk_key_encoding") != {"name": "default", "configuration": {"separator": "/"}}:
        return None
    if meta.get("chunk_grid", {}).get("name") != "regular" or meta.get("storage_transformers"):
        return None
    codecs = meta.get("codecs", [])
    if len(codecs) != 1 or codecs[0].get("name") != "sharding_indexed":
        return None
    conf = codecs[0]["configuration"]
    if conf.get("index_location", "end") != "end":
        return None
    inner_codecs = conf.get("codecs", [])
    if (len(inner_codecs) != 2 or inner_codecs[0] != _LITTLE_ENDIAN or inner_codecs[1].get("name") != "zstd"
            or conf.get("index_codecs") != _INDEX):
        return None
    shard = tuple(int(v) for v in meta["chunk_grid"]["configuration"]["chunk_shape"])
    inner = tuple(int(v) for v in conf["chunk_shape"])
    if len(shard) != 3 or shard[1:] != inner[1:] or shard[0] % inner[0]:
        return None
    return shard, inner


class ByteSource(Protocol):
    """Byte ranges of the files under one array folder (local files or objects)."""

    def read(self, path: str, start: int, stop: int) -> bytes | memoryview: ...

    def tail(self, path: str, n: int) -> bytes | None:
        """The last ``n`` bytes (fewer if the file is shorter); None if the file does not exist."""
        ...


class LocalBytes:
    """Local shard files, read through read-only memory maps: the decoder reads the page cache in place
    instead of a copy (5-11 % more loader throughput on one thread here). Published stores are never
    rewritten in place (a rebuild renames a new folder over the old one, whose mapped files stay valid),
    so a mapped file does not shrink under a reader. The few most recently used maps stay open (their
    touched pages count in RSS as shared, reclaimable page cache)."""

    MAPS = 8

    def __init__(self) -> None:
        self._maps: OrderedDict[str, memoryview] = OrderedDict()
        self._lock = threading.Lock()

    def _map(self, path: str) -> memoryview:
        with self._lock:
            view = self._maps.get(path)
            if view is not None:
                self._maps.move_to_end(path)
                return view
        with open(path, "rb") as fh:
            view = memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))
        with self._lock:
            self._maps[path] = view
            while len(self._maps) > self.MAPS:  # dropped, not closed: a decode may still read it
                self._maps.popitem(last=False)
        return view

    def read(self, path: str, start: int, stop: int) -> bytes | memoryview:
        if stop <= start:
            return b""
        try:
            return self._map(path)[start:stop]  # shorter than asked if the file is: the caller checks
        except ValueError:  # an empty file cannot be mapped
            return b""

    def tail(self, path: str, n: int) -> bytes | None:
        try:
            with open(path, "rb") as fh:
                size = fh.seek(0, os.SEEK_END)
                fh.seek(max(0, size - n))
                return fh.read(n)
        except FileNotFoundError:
            return None


class ObjectBytes:
    """Ranged GETs through a synchronous fsspec filesystem (s3fs for ``s3://``)."""

    def __init__(self, fs: Any) -> None:
        self.fs = fs

    def read(self, path: str, start: int, stop: int) -> bytes:
        return bytes(self.fs.cat_file(path, start=start, end=stop))

    def tail(self, path: str, n: int) -> bytes | None:
        try:
            size = int(self.fs.size(path))
        except FileNotFoundError:
            return None
        return bytes(self.fs.cat_file(path, start=max(0, size - n), end=size))


class ShardChunkReader:
    """Decodes inner chunks ``[first, stop)`` of a sharded float32 array into a buffer."""

    def __init__(self, array_dir: Path | str, shape: tuple[int, ...], shard: tuple[int, ...],
                 inner: tuple[int, ...], fill_value: float, source: ByteSource | None = None) -> None:
        self.dir, self.shape = str(array_dir).rstrip("/"), shape
        self.source: ByteSource = source or LocalBytes()
        self.chunk = inner[0]
        self.per_shard = shard[0] // inner[0]
        self.row_shape = inner[1:]
        self.chunk_bytes = int(np.prod(inner)) * 4
        self.fill = np.float32(fill_value)
        self.codec = Zstd()
        self._index: dict[int, np.ndarray | None] = {}
        self._lock = threading.Lock()  # the index cache is shared by the loader's decode threads

    def _shard_path(self, shard: int) -> str:
        return f"{self.dir}/c/{shard}/0/0"

    def index(self, shard: int) -> np.ndarray | None:
        """(offset, nbytes) per inner chunk of ``shard``; None when the shard was never written."""
        with self._lock:
            if shard in self._index:
                return self._index[shard]
        size = self.per_shard * 16
        try:
            raw = self.source.tail(self._shard_path(shard), size + 4)
        except OSError as exc:
            raise self._damaged(shard, f"its index cannot be read ({exc})") from exc
        entries = None
        if raw is not None:
            if len(raw) != size + 4 or google_crc32c.value(raw[:size]) != int.from_bytes(raw[size:], "little"):
                raise self._damaged(shard, "its index checksum does not match")
            entries = np.frombuffer(raw[:size], dtype="<u8").reshape(self.per_shard, 2)
        with self._lock:
            while len(self._index) > 64:  # a long run visits many shards; keep the recent ones
                self._index.pop(next(iter(self._index)))
            self._index[shard] = entries
        return entries

    def _damaged(self, shard: int, why: str) -> DataError:
        return DataError(f"shard file {self._shard_path(shard)} is damaged: {why}",
                         "run `harness data validate` on the store and rebuild it with `harness data build`")

    def read_chunks(self, first: int, stop: int, out: np.ndarray) -> None:
        """Fill ``out`` (rows of chunks ``first..stop-1``, the last possibly partial) with their signal."""
        rows_total = self.shape[0]
        row = 0
        c = first
        while c < stop:
            shard, inner = divmod(c, self.per_shard)
            last = min(stop, (shard + 1) * self.per_shard)  # chunks of this shard in the range
            entries = self.index(shard)
            if entries is None:
                n = min(last * self.chunk, rows_total) - c * self.chunk
                out[row:row + n] = self.fill
                row, c = row + n, last
                continue
            span = entries[inner: inner + (last - c)]
            written = span[:, 0] != EMPTY
            blob: bytes | memoryview = b""
            base = 0
            if written.any():
                base = int(span[written, 0].min())
                end = int((span[written, 0] + span[written, 1]).max())
                try:
                    blob = self.source.read(self._shard_path(shard), base, end)
                except OSError as exc:
                    raise self._damaged(shard, f"it cannot be read ({exc})") from exc
                if len(blob) != end - base:
                    raise self._damaged(shard, "it is shorter than its index says")
            view = memoryview(blob)
            for k in range(last - c):
                start_row = (c + k) * self.chunk
                n = min(self.chunk, rows_total - start_row)
                dest = out[row:row + n]
                if not written[k]:
                    dest[...] = self.fill
                else:
                    off, size = int(span[k, 0]) - base, int(span[k, 1])
                    self._decode(view[off:off + size], dest, n, shard)
                row += n
            c = last

    def _decode(self, data: memoryview, dest: np.ndarray, n: int, shard: int) -> None:
        try:
            if (n == self.chunk and dest.flags.c_contiguous
                    and frame_content_size(data) == self.chunk_bytes):
                self.codec.decode(data, out=dest)  # straight into the buffer, no copy
                return
            full = np.frombuffer(self.codec.decode(data), dtype="<f4")
        except Exception as exc:
            raise self._damaged(shard, f"a chunk does not decode ({type(exc).__name__}: {exc})") from exc
        if full.size * 4 != self.chunk_bytes:
            raise self._damaged(shard, "a chunk decodes to the wrong size")
        dest[...] = full.reshape(self.chunk, *self.row_shape)[:n]


def shard_reader(store: Any) -> ShardChunkReader | None:
    """A direct reader for ``store``'s signal array, or None where zarr must read it."""
    location = getattr(store, "location", None)
    if location is None:
        return None
    try:
        if location.is_local:
            array_dir: str = str(Path(str(location.target)) / "signal")
            source: ByteSource = LocalBytes()
            meta = json.loads(Path(array_dir, "zarr.json").read_text())
        else:
            fs, root = location.filesystem()
            array_dir = f"{str(root).rstrip('/')}/signal"
            source = ObjectBytes(fs)
            meta = json.loads(fs.cat_file(f"{array_dir}/zarr.json"))
    except (OSError, ValueError):
        return None
    layout = _layout(meta)
    if layout is None:
        return None
    fill = meta.get("fill_value")
    fill_value = float("nan") if fill in ("NaN", None) else float(fill)
    return ShardChunkReader(array_dir, tuple(int(v) for v in meta["shape"]), *layout, fill_value, source)
