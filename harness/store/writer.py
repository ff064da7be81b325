"""Streaming, atomic store writer.

Segments are appended in blocks; the writer buffers up to one shard, writes whole shards, and hashes
everything it writes into the content revision. The store is built in a temporary sibling folder and
published only when :meth:`close` succeeds, so a reader never sees a half-built store. Publication is
:meth:`harness.location.Location.publish`: an atomic rename for a folder; for a URL target
(``s3://bucket/x``), built in the local staging folder, an upload with the root metadata last.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import zarr
from zarr.codecs import ZstdCodec

from harness import __version__
from harness.atomic import TMP_MARK
from harness.errors import DataError
from harness.location import Location, quiet_zarr_warnings
from harness.store.schema import FORMAT_NAME, FORMAT_VERSION, array, modality_problem
from harness.store.segment_labels import SegmentLabels

ID_WIDTH = 32


def _str_array(values: npt.ArrayLike) -> np.ndarray:
    arr = np.asarray([str(v) for v in np.asarray(values, dtype=object).reshape(-1)], dtype=f"<U{ID_WIDTH}")
    return arr


class StoreWriter:
    """Write one store. Use as a context manager; leaving the block with an error discards everything.

    Parameters mirror the schema (see :mod:`harness.store.schema`). ``samples`` is the fixed length of
    the time axis; shorter segments are NaN-padded and their length recorded in ``n_samples``.
    """

    def __init__(self, path: str | Path | Location, *, dataset: str, modality: str, fs: float,
                 channel_names: Sequence[str], samples: int, units: str, source: str,
                 license: str, citation: str = "", chunk_segments: int = 32,
                 shard_segments: int = 512, build: Mapping[str, Any] | None = None,
                 extra_attrs: Mapping[str, Any] | None = None,
                 segment_labels: Mapping[str, str] | None = None,
                 segment_categories: Mapping[str, Sequence[str]] | None = None) -> None:
        problem = modality_problem(modality)
        if problem:
            raise DataError(problem, "name the modality in lowercase, e.g. ppg, ecg or acc")
        self.location = Location.parse(path)
        self.path: Path | str = self.location.target
        self.channels = len(channel_names)
        self.samples = int(samples)
        self.chunk = int(chunk_segments)
        self.shard = max(self.chunk, int(shard_segments) // self.chunk * self.chunk)
        self.attrs: dict[str, Any] = {
            "format": FORMAT_NAME, "format_version": FORMAT_VERSION, "dataset": dataset,
            "modality": modality, "fs": float(fs), "units": units, "channel_names": list(channel_names),
            "source": source, "license": license, "citation": citation, "created_with": __version__,
            "build": dict(build or {}), **dict(extra_attrs or {}),
        }
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{self.location.name}{TMP_MARK}", dir=self.location.staging_dir()))
        self._hash = hashlib.blake2b(digest_size=12)
        self._hash.update(json.dumps({k: self.attrs[k] for k in ("dataset", "modality", "fs",
                                                              "channel_names")}).encode())
        self.segment_labels = SegmentLabels.declare(segment_labels or {}, segment_categories or {})
        self._buf: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._label_buf: list[dict[str, np.ndarray]] = []
        self._buffered = 0
        self._written = 0
        self._participants_seen: list[str] = []
        self._last_pid: str | None = None
        self._table: dict[str, np.ndarray] | None = None
        self._label_kinds: dict[str, str] = {}
        self._closed = False
        quiet_zarr_warnings()
        self.root = zarr.open_group(self.tmp / "store.zarr", mode="w", zarr_format=3)
        self._create_segment_arrays()

    # -- creation ------------------------------------------------------------------------------------
    def _create_segment_arrays(self) -> None:
        c, t = self.channels, self.samples
        self.root.create_array(
            "signal", shape=(0, c, t), chunks=(self.chunk, c, t), shards=(self.shard, c, t),
            dtype="float32", fill_value=np.nan, dimension_names=("segment", "channel", "time"),
            compressors=ZstdCodec(level=3),
            attributes={"coordinates": "participant_id t_start", "units": self.attrs["units"]},
        )
        for name, dtype, fill in (("n_samples", "int32", 0), ("t_start", "float64", 0.0),
                                  ("participant_id", f"<U{ID_WIDTH}", "")):
            self.root.create_array(name, shape=(0,), chunks=(self.shard * 8,), dtype=dtype,
                                   fill_value=fill, dimension_names=("segment",),
                                   compressors=ZstdCodec(level=3))
        ch = self.root.create_array("channel", shape=(c,), chunks=(c,), dtype=f"<U{ID_WIDTH}",
                                    fill_value="", dimension_names=("channel",))
        ch[:] = _str_array(self.attrs["channel_names"])
        for name in self.segment_labels.kinds:
            self.root.create_array(name, shape=(0,), chunks=(self.shard * 8,), dtype="float32", fill_value=np.nan,
                                   dimension_names=("segment",), compressors=ZstdCodec(level=3))

    # -- segments ------------------------------------------------------------------------------------
    def append(self, signal: np.ndarray, participant_id: npt.ArrayLike, t_start: npt.ArrayLike | None = None,
               n_samples: npt.ArrayLike | None = None,
               segment_labels: Mapping[str, npt.ArrayLike] | None = None) -> None:
        """Append segments ``(n, channels, time<=samples)``; participants must arrive grouped.

        ``segment_labels`` gives one value per segment for labels declared at construction (a declared
        label left out is missing, NaN, for these segments; categorical values are codes or names).
        """
        signal = np.asarray(signal, dtype=np.float32)
        if signal.ndim == 2:
            signal = signal[:, None, :]
        if signal.ndim != 3 or signal.shape[1] != self.channels or signal.shape[2] > self.samples:
            raise DataError(f"segments of shape {signal.shape} do not fit the store's "
                            f"(n, {self.channels}, {self.samples})", "crop or resample before appending")
        n = signal.shape[0]
        pids = _str_array(participant_id)
        if len(pids) != n:
            raise DataError(f"{len(pids)} participant ids for {n} segments", "pass one id per segment")
        if signal.shape[2] < self.samples:
            padded = np.full((n, self.channels, self.samples), np.nan, dtype=np.float32)
            padded[:, :, : signal.shape[2]] = signal
            lengths = np.full(n, signal.shape[2], dtype=np.int32)
            signal = padded
        else:
            lengths = np.full(n, self.samples, dtype=np.int32)
        if n_samples is not None:
            lengths = np.minimum(np.asarray(n_samples, dtype=np.int32), self.samples)
        starts = np.zeros(n) if t_start is None else np.asarray(t_start, dtype=np.float64)
        for pid in pids:
            if pid != self._last_pid:
                self._participants_seen.append(pid)
                self._last_pid = pid
        self._label_buf.append(self.segment_labels.block(segment_labels or {}, n))
        self._buf.append((signal, lengths, starts, pids))
        self._buffered += n
        while self._buffered >= self.shard:
            self._flush(self.shard)

    def _flush(self, count: int) -> None:
        if count == 0:
            return
        sig = np.concatenate([b[0] for b in self._buf])
        lens = np.concatenate([b[1] for b in self._buf])
        starts = np.concatenate([b[2] for b in self._buf])
        pids = np.concatenate([b[3] for b in self._buf])
        head = slice(0, count)
        lo, hi = self._written, self._written + count
        for name, values in (("signal", sig[head]), ("n_samples", lens[head]), ("t_start", starts[head]),
                             ("participant_id", pids[head])):
            arr = array(self.root, name)
            arr.resize((hi, *arr.shape[1:]))
            arr[lo:hi] = values
            self._hash.update(np.ascontiguousarray(values).tobytes())
        rest_labels: dict[str, np.ndarray] = {}
        for name in self.segment_labels.kinds:  # none declared: the hash is what it always was
            values = np.concatenate([b[name] for b in self._label_buf])
            arr = array(self.root, name)
            arr.resize((hi,))
            arr[lo:hi] = values[head]
            self._hash.update(name.encode() + np.ascontiguousarray(values[head]).tobytes())
            rest_labels[name] = values[count:]
        self._written = hi
        rest = (sig[count:], lens[count:], starts[count:], pids[count:])
        self._buf = [rest] if len(rest[0]) else []
        self._label_buf = [rest_labels] if len(rest[0]) else []
        self._buffered = len(rest[0])

    # -- participants ----------------------------------------------------------------------------------
    def set_participants(self, table: Mapping[str, npt.ArrayLike], kinds: Mapping[str, str] | None = None) -> None:
        """Set the participant table: a ``participant_id`` column plus one column per label.

        Labels are stored as float32 (NaN = missing); ``kinds`` names each label's kind
        (``numeric``, ``binary`` or ``categorical``), guessed from the values when absent.
        """
        if "participant_id" not in table:
            raise DataError("participant table has no 'participant_id' column", "add one")
        ids = _str_array(table["participant_id"])
        if len(set(ids.tolist())) != len(ids):
            raise DataError("participant table has duplicate participant ids", "make ids unique")
        columns: dict[str, np.ndarray] = {}
        for name, values in table.items():
            if name == "participant_id":
                continue
            if name in self.segment_labels.kinds:
                raise DataError(f"label '{name}' is both a participant label and a segment label",
                                "give the segment label another name (e.g. hr-window)")
            try:
                col = np.asarray(values, dtype=np.float32)
            except (TypeError, ValueError) as exc:
                raise DataError(f"label '{name}' is not numeric ({exc})",
                                "encode labels as numbers (sex as 1 = female, 0 = male; flags as 0/1)") from exc
            if len(col) != len(ids):
                raise DataError(f"label '{name}' has {len(col)} values for {len(ids)} participants",
                                "give one value per participant")
            columns[name] = col
            kind = (kinds or {}).get(name)
            if kind is None:
                finite = col[np.isfinite(col)]
                kind = "binary" if finite.size and np.isin(finite, (0.0, 1.0)).all() else "numeric"
            self._label_kinds[name] = kind
        self._table = {"participant_id": ids, **columns}

    # -- finish ----------------------------------------------------------------------------------------
    def close(self) -> Path | str:
        """Flush, write the participant table and attributes, and publish the store atomically.

        Returns the store's location: a ``Path``, or the URL string for an object-storage target.
        """
        if self._closed:
            return self.path
        self._flush(self._buffered)
        if self._written == 0:
            self.abort()
            raise DataError(f"dataset '{self.attrs['dataset']}' produced no segments",
                            "check the source folder holds recordings")
        seen = list(dict.fromkeys(self._participants_seen))
        if len(seen) != len(self._participants_seen):
            self.abort()
            raise DataError("segments of one participant were not appended together",
                            "append segments grouped by participant")
        table = self._table or {"participant_id": _str_array(seen)}
        ids = table["participant_id"]
        missing = set(seen) - set(ids.tolist())
        if missing:
            self.abort()
            example = sorted(missing)[:3]
            raise DataError(f"{len(missing)} participants have segments but no row in the participant table "
                            f"(e.g. {example})", "add them to the label table")
        keep = np.isin(ids, np.asarray(seen))  # drop participants without any segment
        n_part = int(keep.sum())
        part = self.root.create_array("participant", shape=(n_part,), chunks=(max(n_part, 1),),
                                      dtype=f"<U{ID_WIDTH}", fill_value="", dimension_names=("participant",))
        part[:] = ids[keep]
        self._hash.update(ids[keep].tobytes())
        labels = []
        for name, col in table.items():
            if name == "participant_id":
                continue
            arr = self.root.create_array(name, shape=(n_part,), chunks=(max(n_part, 1),), dtype="float32",
                                         fill_value=np.nan, dimension_names=("participant",))
            arr[:] = col[keep]
            self._hash.update(name.encode() + col[keep].tobytes())
            labels.append(name)
        self.attrs.update(self.segment_labels.attrs())
        self.attrs.update(labels=labels, label_kinds=self._label_kinds, revision=self._hash.hexdigest(),
                          n_segments=self._written, n_participants=n_part,
                          chunk_segments=self.chunk, shard_segments=self.shard)
        self.root.attrs.update(self.attrs)
        self._closed = True
        try:
            self.location.publish(self.tmp / "store.zarr")
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return self.path

    def abort(self) -> None:
        self._closed = True
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.close()
            except BaseException:
                self.abort()  # e.g. disk full during the last flush: leave no temporary folder behind
                raise
        else:
            self.abort()
