"""Bring your own recordings: a folder of WFDB or CSV records plus a ``labels.csv`` -> a signal store.

``labels.csv`` has a ``record`` column (the file stem), an optional ``participant_id`` column (default:
the record), an optional ``t_start`` column (seconds since the participant's first recording) and any
label columns: ``sex`` as M/F or 1/0 (stored 1 = female, 0 = male), numbers such as ``age`` or ``bmi``,
condition flags as 0/1. Empty cells are missing labels.

What is fatal and what is skipped (each reported as one line naming the records and the fix):

* fatal (:class:`DataError`, nothing is written): no records, no labelled record left, a duplicate
  ``record`` row, a label that is not numeric, sex values other than M/F/1/0, labels that differ between
  records of one participant, sampling rates that differ between records or from ``fs``, channel
  counts/names that differ between records, an unreadable file;
* skipped with a warning: records without a row in ``labels.csv``, rows without a record, and records
  whose signal holds NaN/inf or is flat (constant) on a channel.

The store is written with :class:`~harness.store.StoreWriter`, so a failure leaves nothing half-built.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.errors import DataError
from harness.store import StoreWriter

TIME_COLUMNS = ("time", "t", "timestamp", "seconds", "time_s")
SEX = {"f": 1.0, "female": 1.0, "1": 1.0, "1.0": 1.0, "m": 0.0, "male": 0.0, "0": 0.0, "0.0": 0.0}
Warn = Callable[[str], None]


def _default_warn(line: str) -> None:
    print(f"warning: {line}", file=sys.stderr)


def _names(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


@dataclass
class _Record:
    name: str
    path: Path
    fs: float
    channels: list[str]
    samples: int
    units: str


# -- labels ------------------------------------------------------------------------------------------
def read_labels(labels_csv: Path) -> pd.DataFrame:
    """Parse ``labels.csv`` into record, participant_id, t_start and numeric label columns."""
    labels_csv = Path(labels_csv)
    if not labels_csv.is_file():
        raise DataError(f"labels file {labels_csv} does not exist", "pass --labels PATH to a labels.csv")
    try:
        table = pd.read_csv(labels_csv, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise DataError(f"cannot read {labels_csv} ({type(exc).__name__}: {exc})",
                        "save it as a comma-separated file with a header row") from exc
    table.columns = [str(c).strip() for c in table.columns]
    if "record" not in table.columns:
        raise DataError(f"{labels_csv.name} has no 'record' column (columns: {list(table.columns)})",
                        "add a 'record' column holding each file's name without extension")
    table["record"] = table["record"].str.strip()
    dupes = sorted(set(table.loc[table["record"].duplicated(), "record"]))
    if dupes:
        raise DataError(f"{labels_csv.name} lists records {_names(dupes)} more than once",
                        "keep one row per record")
    if "participant_id" not in table.columns:
        table["participant_id"] = table["record"]
    table["participant_id"] = table["participant_id"].str.strip()
    table.loc[table["participant_id"] == "", "participant_id"] = table["record"]
    out = table[["record", "participant_id"]].copy()
    t_start = pd.to_numeric(table["t_start"], errors="coerce") if "t_start" in table.columns else None
    out["t_start"] = 0.0 if t_start is None else t_start.fillna(0.0)
    for column in table.columns:
        if column in ("record", "participant_id", "t_start"):
            continue
        raw = table[column].str.strip()
        if column.lower() == "sex":
            mapped = raw.str.lower().map(lambda v: np.nan if v in ("", "nan", "na") else SEX.get(v, "bad"))
            bad = sorted(set(table.loc[mapped == "bad", "record"]))
            if bad:
                raise DataError(f"sex of records {_names(bad)} is not M/F or 1/0",
                                "write sex as M/F (or 1 = female, 0 = male)")
            out["sex"] = mapped.astype(float)
            continue
        values = pd.to_numeric(raw.replace({"": np.nan, "NA": np.nan, "nan": np.nan}), errors="coerce")
        bad = sorted(set(table.loc[values.isna() & raw.ne("") & ~raw.isin(["NA", "nan"]), "record"]))
        if bad:
            raise DataError(f"label '{column}' is not numeric for records {_names(bad)}",
                            "write numbers (flags as 0/1); leave the cell empty when unknown")
        out[column] = values.astype(float)
    return out


def _participant_table(labels: pd.DataFrame) -> dict[str, np.ndarray]:
    columns = [c for c in labels.columns if c not in ("record", "participant_id", "t_start")]
    rows = {}
    for pid, group in labels.groupby("participant_id", sort=False):
        for column in columns:
            distinct = group[column].dropna().unique()
            if len(distinct) > 1:
                raise DataError(f"label '{column}' differs between records of participant {pid} "
                                f"({_names([str(v) for v in distinct])})",
                                "give one value per participant in labels.csv")
        rows[pid] = group[columns].bfill().iloc[0]
    table: dict[str, Any] = {"participant_id": np.asarray(list(rows))}
    for column in columns:
        table[column] = np.asarray([rows[p][column] for p in rows], dtype=np.float64)
    return table


# -- readers -----------------------------------------------------------------------------------------
def _scan_wfdb(source_dir: Path) -> dict[str, Path]:
    return {p.stem: p.with_suffix("") for p in sorted(source_dir.rglob("*.hea"))}


def _wfdb_header(name: str, base: Path) -> _Record:
    import wfdb

    try:
        header = wfdb.rdheader(str(base))
    except Exception as exc:
        raise DataError(f"cannot read the WFDB header of record {name} ({type(exc).__name__}: {exc})",
                        "fix or remove the record") from exc
    units = (header.units or ["a.u."])[0] or "a.u."
    return _Record(name, base, float(header.fs), list(header.sig_name or []), int(header.sig_len or 0), units)


def _wfdb_signal(record: _Record) -> np.ndarray:
    import wfdb

    try:
        rec = wfdb.rdrecord(str(record.path))
    except Exception as exc:
        raise DataError(f"cannot read WFDB record {record.name} ({type(exc).__name__}: {exc})",
                        "fix or remove the record") from exc
    return np.asarray(rec.p_signal, dtype=np.float32).T


def _csv_frame(record_name: str, path: Path, columns: Sequence[str] | None, delimiter: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, sep=delimiter)
    except Exception as exc:
        raise DataError(f"cannot read {path.name} ({type(exc).__name__}: {exc})",
                        "write one column per channel with a header row") from exc
    if columns:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataError(f"record {record_name} lacks columns {missing} (has {list(frame.columns)})",
                            "name the channel columns the same in every file, or fix --columns")
        return frame[list(columns)]
    return frame[[c for c in frame.columns if str(c).strip().lower() not in TIME_COLUMNS]]


# -- the shared import ---------------------------------------------------------------------------------
def _import(kind: str, records: dict[str, _Record], read: Callable[[_Record], np.ndarray], labels_csv: Path,
            name: str, out_path: Path, *, modality: str, fs: float | None, units: str | None,
            license: str, citation: str, source: str, warn: Warn) -> Path:
    from harness.plugins import known_modalities

    known = known_modalities()
    if modality not in known:
        raise DataError(f"no installed plugin declares modality '{modality}'",
                        f"use one of {', '.join(sorted(known))}, or install a plugin for it")
    if not records:
        raise DataError(f"no {kind} records found in {source}",
                        "point SOURCE_DIR at the folder holding the record files")
    labels = read_labels(labels_csv)
    unlabelled = sorted(set(records) - set(labels["record"]))
    if unlabelled:
        warn(f"{len(unlabelled)} records have no row in {Path(labels_csv).name} and are skipped: "
             f"{_names(unlabelled)} (add rows to import them)")
    absent = sorted(set(labels["record"]) - set(records))
    if absent:
        warn(f"{len(absent)} rows of {Path(labels_csv).name} have no record file and are skipped: "
             f"{_names(absent)} (check the 'record' column matches the file names without extension)")
    labels = labels[labels["record"].isin(records)]
    if labels.empty:
        raise DataError(f"no record in {source} has a row in {Path(labels_csv).name}",
                        "make the 'record' column hold the file names without extension")
    chosen = [records[r] for r in labels["record"]]
    rates = sorted({r.fs for r in chosen})
    if fs is not None and rates != [float(fs)]:
        off = [r.name for r in chosen if r.fs != float(fs)]
        found = _names([f"{x:g}" for x in rates])
        raise DataError(f"records {_names(off)} are not sampled at {fs:g} Hz (found {found} Hz)",
                        "resample them to one rate first, or pass the matching --fs")
    if len(rates) > 1:
        by_rate = {rate: [r.name for r in chosen if r.fs == rate] for rate in rates}
        detail = "; ".join(f"{rate:g} Hz: {_names(v, 3)}" for rate, v in by_rate.items())
        raise DataError(f"records have different sampling rates ({detail})",
                        "resample them to one rate first, or import each rate as its own dataset")
    layouts = {tuple(r.channels) for r in chosen}
    if len(layouts) > 1:
        first = chosen[0].channels
        off = [r.name for r in chosen if r.channels != first]
        raise DataError(f"records {_names(off)} have channels different from {first} "
                        f"(those of record {chosen[0].name})",
                        "give every record the same channels in the same order")
    # First pass: check every signal; bad ones are skipped (and reported) before anything is written.
    bad_values, flat, lengths = [], [], {}
    for record in chosen:
        signal = read(record)
        if not np.isfinite(signal).all():
            bad_values.append(record.name)
        elif signal.shape[1] < 2 or (np.ptp(signal, axis=1) == 0).any():
            flat.append(record.name)
        else:
            lengths[record.name] = signal.shape[1]
    if bad_values:
        warn(f"{len(bad_values)} records hold NaN or inf samples and are skipped: {_names(bad_values)} "
             "(interpolate or crop the gaps to import them)")
    if flat:
        warn(f"{len(flat)} records are flat (constant) on a channel and are skipped: {_names(flat)} "
             "(check the sensor or drop the channel)")
    labels = labels[labels["record"].isin(lengths)]
    if labels.empty:
        raise DataError("every labelled record was skipped (NaN/inf or flat signals)", "fix the recordings")
    labels = labels.assign(_first=labels.groupby("participant_id", sort=False).cumcount())
    order = list(dict.fromkeys(labels["participant_id"]))
    labels = labels.assign(_p=labels["participant_id"].map({p: i for i, p in enumerate(order)}))
    labels = labels.sort_values(["_p", "t_start", "_first"], kind="stable")
    table = _participant_table(labels.drop(columns=["_p", "_first"]))
    writer = StoreWriter(
        out_path, dataset=name, modality=modality, fs=rates[0], channel_names=chosen[0].channels,
        samples=max(lengths.values()), units=units or chosen[0].units, source=source, license=license,
        citation=citation,
        build={"importer": kind, "records": len(labels), "skipped_unlabelled": len(unlabelled),
               "skipped_rows_without_record": len(absent), "skipped_nonfinite": bad_values,
               "skipped_flat": flat, "labels_csv": str(labels_csv)},
    )
    with writer:
        for rec_name, pid, t0 in zip(labels["record"], labels["participant_id"], labels["t_start"]):
            writer.append(read(records[rec_name])[None], [pid], [float(t0)])
        writer.set_participants(table)
    return Path(out_path)


def import_wfdb(source_dir: str | Path, labels_csv: str | Path, name: str, out_path: str | Path, *,
                fs: float | None = None, modality: str = "ecg", units: str | None = None,
                license: str = "user-supplied", citation: str = "", warn: Warn = _default_warn) -> Path:
    """Import every WFDB record (``*.hea`` + signal file) under ``source_dir``; see the module docs."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise DataError(f"{source_dir} is not a folder", "pass the folder that holds the .hea/.dat files")
    records = {n: _wfdb_header(n, base) for n, base in _scan_wfdb(source_dir).items()}
    return _import("WFDB", records, _wfdb_signal, Path(labels_csv), name, Path(out_path), modality=modality,
                   fs=fs, units=units, license=license, citation=citation, source=str(source_dir), warn=warn)


def import_csv(source_dir: str | Path, labels_csv: str | Path, name: str, out_path: str | Path, *,
               fs: float, modality: str, columns: Sequence[str] | None = None, delimiter: str = ",",
               units: str = "a.u.", license: str = "user-supplied", citation: str = "",
               warn: Warn = _default_warn) -> Path:
    """Import one CSV file per record (``<record>.csv``): a header row, one column per channel;
    a time column (time, t, timestamp, seconds, time_s) is ignored. ``fs`` is required."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise DataError(f"{source_dir} is not a folder", "pass the folder that holds the .csv files")
    labels_path = Path(labels_csv).resolve()
    files = {p.stem: p for p in sorted(source_dir.rglob("*.csv")) if p.resolve() != labels_path}
    frames: dict[str, pd.DataFrame] = {}

    def frame(record: _Record) -> pd.DataFrame:
        if record.name not in frames:
            frames.clear()  # keep one file in memory at a time
            frames[record.name] = _csv_frame(record.name, record.path, columns, delimiter)
        return frames[record.name]

    records: dict[str, _Record] = {}
    for rec_name, path in files.items():
        rec = _Record(rec_name, path, float(fs), [], 0, units)
        rec.channels = [str(c) for c in frame(rec).columns]
        records[rec_name] = rec

    def read(record: _Record) -> np.ndarray:
        data = frame(record).apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float32)
        return data.T

    return _import("CSV", records, read, Path(labels_csv), name, Path(out_path), modality=modality, fs=fs,
                   units=units, license=license, citation=citation, source=str(source_dir), warn=warn)
