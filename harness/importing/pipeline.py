"""The one import path every format takes: scan headers, match labels, choose channels and the rate,
check every record (pass 1, nothing written), then stream the kept segments record by record into a
:class:`~harness.store.StoreWriter` (pass 2). Memory holds a few records, never the whole import."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.errors import DataError
from harness.importing import channels as channel_choice
from harness.importing.formats import reader
from harness.importing.labels import names, participant_table, read_labels
from harness.importing.options import ReadOptions, SegmentOptions, positive
from harness.importing.parallel import Workers
from harness.importing.records import RecordInfo, match_rows, refuse_ambiguous
from harness.importing.segments import Prepared, Task, prepare

Warn = Callable[[str], None]
KIND = {"wfdb": "WFDB", "csv": "CSV", "edf": "EDF/BDF", "e4": "E4"}
ID_WIDTH = 32  # the store's id width (harness.store.writer.ID_WIDTH)
CHUNK_BYTES = 4 << 20
SHARD_BYTES = 16 << 20


def default_warn(line: str) -> None:
    print(f"warning: {line}", file=sys.stderr)


def _layout(n_channels: int, samples: int) -> tuple[int, int]:
    """(chunk, shard) segments so one shard stays under SHARD_BYTES however long the segments are."""
    per_segment = max(1, n_channels * samples * 4)
    chunk = int(np.clip(CHUNK_BYTES // per_segment, 1, 32))
    shard = chunk * int(np.clip(SHARD_BYTES // (chunk * per_segment), 1, 16))
    return chunk, shard


def run_import(fmt: str, source_dir: str | Path, labels_csv: str | Path, name: str, out_path: str | Path, *,
               modality: str, read_options: ReadOptions, segment_options: SegmentOptions,
               channels: list[str] | None = None, units: str | None = None, license: str = "user-supplied",
               citation: str = "", jobs: int = 1, warn: Warn = default_warn) -> Path:
    """Import every ``fmt`` record under ``source_dir`` labelled in ``labels_csv``; see harness.importing."""
    from harness.plugins import known_modalities

    positive(jobs, "--jobs", integer=True)
    kind = KIND[fmt]
    source = Path(source_dir).resolve()
    labels_path = Path(labels_csv).resolve()
    if not source.is_dir():
        raise DataError(f"{source_dir} is not a folder", "pass the folder that holds the record files")
    known = known_modalities()
    if modality not in known:
        raise DataError(f"no installed plugin declares modality '{modality}'",
                        f"use one of {', '.join(sorted(known))}, or install a plugin for it")
    raw = read_labels(labels_path)
    files = reader(fmt).find(source, read_options)
    if not files:
        raise DataError(f"no {kind} records found in {source_dir}",
                        "point SOURCE_DIR at the folder holding the record files")
    with Workers(jobs) as workers:
        described = workers.map(describe, [(fmt, rid, path, read_options) for rid, path in files.items()])
        records = {r.id: r for r in described}
        return _import(fmt, records, raw, source, labels_path, name, out_path, modality=modality,
                       read_options=read_options, segment_options=segment_options, channels=channels,
                       units=units, license=license, citation=citation, workers=workers, warn=warn)


def describe(job: tuple[str, str, Path, ReadOptions]) -> RecordInfo:
    """One record's header (in a worker process with ``--jobs``)."""
    fmt, rid, path, options = job
    return reader(fmt).describe(rid, path, options)


def _import(fmt: str, records: dict[str, RecordInfo], raw: pd.DataFrame, source: Path, labels_path: Path, name: str,
            out_path: str | Path, *, modality: str, read_options: ReadOptions, segment_options: SegmentOptions,
            channels: list[str] | None, units: str | None, license: str, citation: str, workers: Workers,
            warn: Warn) -> Path:
    from harness.store import StoreWriter

    source_dir = source
    mapping, ambiguous = match_rows(raw["record"], records)
    refuse_ambiguous(ambiguous, records)
    absent = sorted(c for c in raw["record"] if c not in mapping)
    labels = raw[raw["record"].isin(mapping)].assign(record=lambda t: t["record"].map(mapping))
    dupes = sorted(set(labels.loc[labels["record"].duplicated(), "record"]))
    if dupes:
        raise DataError(f"{labels_path.name} names records {names(dupes)} twice (by path and by file name)",
                        "keep one row per record")
    unlabelled = sorted(set(records) - set(labels["record"]))
    if unlabelled:
        warn(f"{len(unlabelled)} records have no row in {labels_path.name} and are skipped: "
             f"{names(unlabelled)} (add rows to import them)")
    if absent:
        warn(f"{len(absent)} rows of {labels_path.name} have no record file and are skipped: "
             f"{names(absent)} (check the 'record' column matches the file names without extension)")
    if labels.empty:
        raise DataError(f"no record in {source_dir} has a row in {labels_path.name}",
                        "make the 'record' column hold the file names without extension")
    long_ids = sorted(p for p in set(labels["participant_id"]) if len(p) > ID_WIDTH)
    if long_ids:
        raise DataError(f"participant ids {names(long_ids, 2)} are longer than {ID_WIDTH} characters",
                        "give shorter ids in a participant_id column of labels.csv")
    chosen = [records[r] for r in labels["record"]]
    empty = [r.id for r in chosen if r.samples == 0 or not r.channels]
    if empty:
        warn(f"{len(empty)} records are empty (no samples) and are skipped: {names(empty)} "
             "(remove them or export them again)")
        chosen = [r for r in chosen if r.id not in empty]
        if not chosen:
            raise DataError("every labelled record is empty", "export the recordings again")
    store_channels, picks, lacking, note = channel_choice.choose(chosen, channels)
    if lacking:
        warn(f"{len(lacking)} records lack channel(s) {', '.join(store_channels)} and are skipped: "
             f"{names(lacking)}")
    if note:
        warn(note)
    chosen = [r for r in chosen if r.id in picks]
    rate_of = {r.id: sorted({r.channel_fs[i] for i in picks[r.id]}) for r in chosen}
    fs = _target_rate(chosen, rate_of, segment_options)
    resampled = sorted({x for v in rate_of.values() for x in v if x != fs})

    tasks = [Task(r, tuple(picks[r.id]), fs, read_options, segment_options, summary=True) for r in chosen]
    summary = dict(zip((r.id for r in chosen), workers.map(prepare, tasks)))
    kept = _report_skips(summary, segment_options, warn)
    labels = labels[labels["record"].isin(kept)]
    if labels.empty:
        raise DataError("every labelled record was skipped (empty, NaN/inf or flat signals"
                        + (", or shorter than one window" if segment_options.window_seconds else "") + ")",
                        "fix the recordings")
    labels = _order(labels, records)
    table = participant_table(labels)
    samples = max(summary[r].length for r in labels["record"])
    chunk, shard = _layout(len(store_channels), samples)
    dropped = {k: sum(getattr(p, k) for p in summary.values()) for k in ("dropped_nonfinite", "dropped_flat")}
    build: dict[str, Any] = {
        "importer": fmt, "records": len(labels), "skipped_unlabelled": len(unlabelled),
        "skipped_rows_without_record": len(absent),
        "skipped_nonfinite": [r for r, p in summary.items() if p.status == "nonfinite"],
        "skipped_flat": [r for r, p in summary.items() if p.status == "flat"],
        "skipped_empty": empty, "skipped_lacking_channels": lacking,
        "skipped_short": [r for r, p in summary.items() if p.status == "short"],
        "channels": store_channels, "labels_csv": str(labels_path), "source": str(source),
    }
    if resampled:
        build["resampled"] = {"from_hz": resampled, "to_hz": fs, "method": "scipy.signal.resample_poly"}
    if segment_options.window_seconds is not None:
        build["windows"] = {"seconds": segment_options.window_seconds,
                            "hop_seconds": segment_options.hop_seconds or segment_options.window_seconds,
                            "max_per_record": segment_options.max_windows, **dropped}
    first_units = chosen[0].units
    writer = StoreWriter(out_path, dataset=name, modality=modality, fs=fs, channel_names=store_channels,
                         samples=samples, units=units or first_units, source=str(source), license=license,
                         citation=citation, chunk_segments=chunk, shard_segments=shard, build=build)
    with writer:
        order = list(labels["record"])
        write_tasks = [Task(records[r], tuple(picks[r]), fs, read_options, segment_options, summary=False)
                       for r in order]
        bar = _progress(sum(summary[r].samples_in for r in order))
        for rid, pid, t0, prepared in zip(order, labels["participant_id"], labels["t_start"],
                                          workers.map(prepare, write_tasks)):
            expected = summary[rid]
            if prepared.kept != expected.kept or prepared.segments is None or prepared.offsets is None:
                raise DataError(f"record {rid} changed while it was imported", "import it again")
            n = prepared.segments.shape[0]
            writer.append(prepared.segments, [pid] * n, float(t0) + prepared.offsets,
                          n_samples=[prepared.length] * n)
            bar.update(prepared.samples_in)
        bar.close()
        writer.set_participants(table)
    return Path(out_path)


def _target_rate(chosen: list[RecordInfo], rate_of: dict[str, list[float]], opts: SegmentOptions) -> float:
    broken = [rid for rid, v in rate_of.items() if not all(np.isfinite(x) and x > 0 for x in v)]
    if broken:
        raise DataError(f"records {names(broken)} state a sampling rate that is not a positive number "
                        f"({names([f'{x:g}' for x in rate_of[broken[0]]])} Hz)",
                        "fix the rate in their headers, or remove them")
    rates = sorted({x for v in rate_of.values() for x in v})
    if opts.fs is not None:
        if not opts.resample and rates != [float(opts.fs)]:
            off = [rid for rid, v in rate_of.items() if v != [float(opts.fs)]]
            raise DataError(f"records {names(off)} are not sampled at {opts.fs:g} Hz "
                            f"(found {names([f'{x:g}' for x in rates])} Hz)",
                            "resample them to one rate first, or pass the matching --fs")
        return float(opts.fs)
    if len(rates) > 1:
        by_rate = {rate: [rid for rid, v in rate_of.items() if rate in v] for rate in rates}
        detail = "; ".join(f"{rate:g} Hz: {names(v, 3)}" for rate, v in by_rate.items())
        raise DataError(f"records have different sampling rates ({detail})",
                        "pass --fs HZ to resample them to one rate, or import each rate as its own dataset")
    return float(rates[0])


def _report_skips(summary: dict[str, Prepared], opts: SegmentOptions, warn: Warn) -> list[str]:
    by = {s: [r for r, p in summary.items() if p.status == s] for s in ("nonfinite", "flat", "empty", "short")}
    windowed = opts.window_seconds is not None
    if by["empty"]:
        warn(f"{len(by['empty'])} records are empty (no samples) and are skipped: {names(by['empty'])} "
             "(remove them or export them again)")
    if by["nonfinite"]:
        what = "have only windows with NaN or inf samples" if windowed else "hold NaN or inf samples"
        warn(f"{len(by['nonfinite'])} records {what} and are skipped: {names(by['nonfinite'])} "
             "(interpolate or crop the gaps to import them)")
    if by["flat"]:
        what = "have only mostly flat windows" if windowed else "are flat (constant) on a channel"
        warn(f"{len(by['flat'])} records {what} and are skipped: {names(by['flat'])} "
             "(check the sensor or drop the channel)")
    if by["short"]:
        warn(f"{len(by['short'])} records are shorter than one {opts.window_seconds:g} s window and are "
             f"skipped: {names(by['short'])} (use a shorter --window-seconds to keep them)")
    if windowed:
        kept = [p for p in summary.values() if p.status == "ok"]
        nonfinite = sum(p.dropped_nonfinite for p in kept)
        flat = sum(p.dropped_flat for p in kept)
        if nonfinite or flat:
            total = nonfinite + flat + sum(p.kept for p in kept)
            warn(f"{nonfinite + flat} of {total} windows were dropped: {nonfinite} hold NaN or inf samples, "
                 f"{flat} are mostly flat (one constant stretch over half the window)")
    return [r for r, p in summary.items() if p.status == "ok"]


def _order(labels: pd.DataFrame, records: dict[str, RecordInfo]) -> pd.DataFrame:
    """Group by participant (first-seen order), then by start time: ``t_start`` from labels.csv, else the
    file's own start relative to the participant's first file, else 0."""
    starts = labels["record"].map(lambda r: records[r].start).astype(float)
    first = starts.groupby(labels["participant_id"]).transform("min")
    own = (starts - first).astype(float)
    t_start = labels["t_start"].astype(float).fillna(own).fillna(0.0)
    labels = labels.assign(t_start=t_start, _first=labels.groupby("participant_id", sort=False).cumcount())
    order = list(dict.fromkeys(labels["participant_id"]))
    labels = labels.assign(_p=labels["participant_id"].map({p: i for i, p in enumerate(order)}))
    return labels.sort_values(["_p", "t_start", "_first"], kind="stable").drop(columns=["_p", "_first"])


def _progress(total: int) -> Any:
    """Progress in input samples (a few long records no longer sit at 0 %); silent when not a terminal."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="import", unit="sample", unit_scale=True, disable=None, file=sys.stderr,
                leave=False)
