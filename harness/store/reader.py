"""Open, validate and read signal stores without loading them whole."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import zarr

from harness.errors import DataError
from harness.location import Location
from harness.store import segment_labels as seglabels
from harness.store.schema import (
    FORMAT_NAME,
    FORMAT_VERSION,
    REQUIRED_ATTRS,
    SEGMENT_ARRAYS,
    array,
    modality_problem,
)


def _open_group(path: str | Path | Location) -> zarr.Group:
    location = Location.parse(path)
    if not location.exists():
        output = "" if location.is_local else f" --output {location}"
        raise DataError(f"no store at {location}", f"build one with `harness data build NAME{output}`")
    try:
        return location.open_group("r")
    except Exception as exc:
        raise DataError(f"{location} is not a readable zarr v3 store ({type(exc).__name__}: {exc})",
                        "rebuild it with `harness data build`") from exc


def schema_problems(group: zarr.Group) -> list[str]:
    """Everything wrong with a store's metadata and array shapes (cheap: reads no signal chunks)."""
    problems: list[str] = []
    attrs: dict[str, Any] = dict(group.attrs)
    if attrs.get("format") != FORMAT_NAME:
        problems.append(f"attribute 'format' is {attrs.get('format')!r}, expected {FORMAT_NAME!r}")
        return problems
    version = attrs.get("format_version")
    if version != FORMAT_VERSION:
        problems.append(f"format version {version!r} is not supported (this harness reads {FORMAT_VERSION})")
    problems += [f"attribute '{name}' is missing" for name in REQUIRED_ATTRS if name not in attrs]
    modality = modality_problem(attrs.get("modality"))
    if modality:
        problems.append(modality)
    members = set(group.array_keys())
    for name in (*SEGMENT_ARRAYS, "participant"):
        if name not in members:
            problems.append(f"array '{name}' is missing")
    if problems:
        return problems
    sig = array(group, "signal")
    n = sig.shape[0]
    if sig.ndim != 3:
        problems.append(f"signal has {sig.ndim} dimensions, expected 3 (segment, channel, time)")
    elif sig.shape[1] != len(attrs["channel_names"]):
        problems.append(f"signal has {sig.shape[1]} channels but {len(attrs['channel_names'])} channel names")
    for name in SEGMENT_ARRAYS[1:]:
        if array(group, name).shape[0] != n:
            problems.append(f"array '{name}' has {array(group, name).shape[0]} entries for {n} segments")
    n_part = array(group, "participant").shape[0]
    for label in attrs.get("labels", []):
        if label not in members:
            problems.append(f"label array '{label}' is missing")
        elif array(group, label).shape[0] != n_part:
            problems.append(f"label '{label}' has {array(group, label).shape[0]} values for {n_part} participants")
    if "n_segments" in attrs and attrs["n_segments"] != n:
        problems.append(f"store says {attrs['n_segments']} segments but holds {n}")
    problems += seglabels.schema_problems(group, attrs, n)
    return problems


class SignalStore:
    """A validated, read-only store. Signals are read in blocks; metadata is small and cached."""

    def __init__(self, path: str | Path | Location, group: zarr.Group) -> None:
        self.location = Location.parse(path)
        self.path: str | Path = self.location.target if isinstance(path, Location) else path
        self.group = group
        self.attrs: dict[str, Any] = dict(group.attrs)

    # metadata ------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.attrs["dataset"])

    @property
    def modality(self) -> str:
        return str(self.attrs["modality"])

    @property
    def fs(self) -> float:
        return float(self.attrs["fs"])

    @property
    def revision(self) -> str:
        return str(self.attrs["revision"])

    @property
    def channel_names(self) -> list[str]:
        return list(self.attrs["channel_names"])

    @property
    def labels(self) -> list[str]:
        return list(self.attrs.get("labels", []))

    @property
    def n_segments(self) -> int:
        return int(self.signal.shape[0])

    @property
    def samples(self) -> int:
        return int(self.signal.shape[2])

    @property
    def chunk_segments(self) -> int:
        return int(self.signal.chunks[0])

    @cached_property
    def signal(self) -> zarr.Array:
        """The signal array, opened once (re-opening reads its metadata again: a round trip on S3)."""
        return array(self.group, "signal")

    @cached_property
    def participant_ids(self) -> np.ndarray:
        """Participant id of every segment (small: one string per segment)."""
        return np.asarray(array(self.group, "participant_id")[:])

    @cached_property
    def n_valid(self) -> np.ndarray:
        return np.asarray(array(self.group, "n_samples")[:])

    @cached_property
    def t_start(self) -> np.ndarray:
        return np.asarray(array(self.group, "t_start")[:])

    @cached_property
    def participants(self) -> pd.DataFrame:
        """The participant table, indexed by participant id; one column per label."""
        ids = np.asarray(array(self.group, "participant")[:])
        data = {label: np.asarray(array(self.group, label)[:], dtype=np.float64) for label in self.labels}
        return pd.DataFrame(data, index=pd.Index(ids, name="participant_id"))

    @property
    def segment_labels(self) -> list[str]:
        """Names of the per-segment labels (empty for stores without any)."""
        return seglabels.declared(self.attrs)

    def segment_label_kind(self, name: str) -> str:
        return str(self.attrs.get("segment_label_kinds", {}).get(name, "numeric"))

    def segment_label_categories(self, name: str) -> list[str]:
        """Category names of a categorical segment label, in code order (empty otherwise)."""
        return [str(c) for c in self.attrs.get("segment_label_categories", {}).get(name, [])]

    def segment_label(self, name: str) -> np.ndarray:
        """One segment label as float64, one value per segment (NaN = missing)."""
        if name not in self.segment_labels:
            shown = ", ".join(self.segment_labels) or "none"
            raise DataError(f"dataset '{self.name}' has no segment label '{name}' (it has: {shown})",
                            "choose a task among those labels or another --dataset")
        return np.asarray(array(self.group, name)[:], dtype=np.float64)

    @cached_property
    def segment_label_table(self) -> pd.DataFrame:
        """Every segment label, one row per segment (index: segment number), plus ``participant_id``."""
        data: dict[str, Any] = {"participant_id": self.participant_ids}
        data.update({name: self.segment_label(name) for name in self.segment_labels})
        return pd.DataFrame(data, index=pd.RangeIndex(self.n_segments, name="segment"))

    @property
    def n_participants(self) -> int:
        return int(array(self.group, "participant").shape[0])

    def describe(self) -> dict[str, Any]:
        """Provenance of the store for result files."""
        return {
            "name": self.name, "revision": self.revision, "modality": self.modality, "fs": self.fs,
            "channels": self.channel_names, "samples": self.samples, "segments": self.n_segments,
            "participants": self.n_participants, "source": self.attrs.get("source"),
            "license": self.attrs.get("license"), "build": self.attrs.get("build", {}),
            "path": str(self.path),
        }

    # signals -------------------------------------------------------------------------------------
    def read(self, start: int, stop: int) -> np.ndarray:
        """Signals of segments ``start:stop`` as float32 ``(n, channels, samples)``."""
        try:
            return np.asarray(self.signal[start:stop], dtype=np.float32)
        except Exception as exc:
            raise DataError(f"store {self.path} has an unreadable chunk in segments {start}-{stop} "
                            f"({type(exc).__name__}: {exc})", "rebuild the store with `harness data build`") from exc

    def read_indices(self, indices: np.ndarray) -> np.ndarray:
        """Signals of arbitrary segments (sorted internally; one read per touched chunk)."""
        indices = np.asarray(indices)
        order = np.argsort(indices, kind="stable")
        try:
            data = np.asarray(self.signal.get_orthogonal_selection(
                (indices[order], slice(None), slice(None))), dtype=np.float32)
        except Exception as exc:
            raise DataError(f"store {self.path} has an unreadable chunk ({type(exc).__name__}: {exc})",
                            "rebuild the store with `harness data build`") from exc
        out = np.empty_like(data)
        out[order] = data
        return out

    def iter_blocks(self, block_segments: int | None = None) -> Iterator[tuple[int, int, np.ndarray]]:
        """Yield ``(start, stop, signal)`` over the whole store, aligned to chunks."""
        step = block_segments or max(self.chunk_segments * 8, 256)
        step = max(self.chunk_segments, step // self.chunk_segments * self.chunk_segments)
        for start in range(0, self.n_segments, step):
            stop = min(start + step, self.n_segments)
            yield start, stop, self.read(start, stop)

    def to_xarray(self) -> Any:
        """The store as an ``xarray.Dataset`` (lazy, dask-backed)."""
        import xarray as xr

        return xr.open_zarr(str(self.location), consolidated=False, zarr_format=3,
                            storage_options=self.location.xarray_storage_options())


def open_store(path: str | Path | Location) -> SignalStore:
    """Open a store and check its format version and schema; raise :class:`DataError` if unsuitable."""
    group = _open_group(path)
    problems = schema_problems(group)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DataError(f"store {path} is not valid: {problems[0]}{more}",
                        f"run `harness data validate {path}` for details, then rebuild it")
    return SignalStore(path, group)


def validate_store(path: str | Path | Location, *, deep: bool = True) -> list[str]:
    """Return a list of problems (empty = valid). ``deep`` also reads every chunk once."""
    try:
        group = _open_group(path)
    except DataError as exc:
        return [str(exc)]
    problems = schema_problems(group)
    if problems or not deep:
        return problems
    store = SignalStore(path, group)
    ids = store.participant_ids
    known = set(np.asarray(array(group, "participant")[:]).tolist())
    unknown = set(ids.tolist()) - known
    if unknown:
        problems.append(f"{len(unknown)} segment participant ids are not in the participant table")
    change = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    runs = np.split(ids, change) if len(ids) else []
    if len({r[0] for r in runs}) != len(runs):
        problems.append("segments are not grouped by participant")
    n_valid = store.n_valid
    if (n_valid <= 0).any() or (n_valid > store.samples).any():
        problems.append("n_samples has values outside 1..samples")
    try:
        for start, _stop, block in store.iter_blocks():
            lengths = n_valid[start:_stop]
            valid = np.arange(store.samples)[None, None, :] < lengths[:, None, None]
            bad = ~np.isfinite(block) & valid
            if bad.any():
                first = start + int(np.flatnonzero(bad.any(axis=(1, 2)))[0])
                problems.append(f"segment {first} holds NaN or inf inside its valid samples")
                break
    except DataError as exc:
        problems.append(str(exc))
    return problems
