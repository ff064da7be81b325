"""Empatica E4 exports: one folder per participant holding ``BVP.csv``, ``ACC.csv``, ``EDA.csv``, ...
Each file: line 1 the start time (unix seconds, one per column), line 2 the rate in Hz, then samples
(no header). ``IBI.csv`` and ``tags.csv`` have another layout and are not signals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from harness.errors import DataError
from harness.importing.options import ReadOptions
from harness.importing.records import RecordInfo

SIGNALS = {"BVP": ["BVP"], "ACC": ["x", "y", "z"], "EDA": ["EDA"], "TEMP": ["TEMP"], "HR": ["HR"]}
UNITS = {"BVP": "a.u.", "ACC": "1/64 g", "EDA": "uS", "TEMP": "degC", "HR": "bpm"}
BY_MODALITY = {"ppg": "BVP", "acc": "ACC", "eda": "EDA", "temp": "TEMP"}


def _head(path: Path, rid: str) -> tuple[list[float], list[float]]:
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = [handle.readline().strip() for _ in range(2)]
    try:
        starts = [float(v) for v in lines[0].split(",")]
        rates = [float(v) for v in lines[1].split(",")]
    except ValueError as exc:
        raise DataError(f"{rid}: {path.name} does not start with the E4 start-time and rate lines "
                        f"(found {lines[0][:40]!r}, {lines[1][:40]!r})",
                        "pass the folders as exported by E4 connect, or import plain CSVs with "
                        "data import csv") from exc
    if not rates or not all(np.isfinite(r) and r > 0 for r in rates):
        raise DataError(f"{rid}: {path.name} line 2 gives rate {lines[1]!r}", "line 2 must be the rate in Hz")
    return starts, rates


def _signal(options: ReadOptions) -> str:
    signal = (options.signal or "BVP").upper()
    if signal not in SIGNALS:
        raise DataError(f"E4 signal {options.signal!r} is not one of {', '.join(SIGNALS)}",
                        "pass --signal BVP (PPG), ACC, EDA, TEMP or HR")
    return signal


def find(source: Path, options: ReadOptions) -> dict[str, Path]:
    """Record id = the participant folder's path relative to SOURCE_DIR (unique by construction)."""
    signal = _signal(options)
    out = {}
    for path in sorted(p for p in source.rglob("*") if p.is_file() and p.name.upper() == f"{signal}.CSV"):
        rel = path.parent.relative_to(source).as_posix()
        out[rel if rel != "." else path.parent.name] = path
    return out


def describe(rid: str, path: Path, options: ReadOptions) -> RecordInfo:
    signal = _signal(options)
    starts, rates = _head(path, rid)
    channels = SIGNALS[signal]
    if len(channels) != len(rates):
        channels = [f"{signal}{i + 1}" for i in range(len(rates))]
    return RecordInfo(rid, path, "e4", channels, [rates[0]] * len(channels), units=UNITS[signal], start=starts[0])


def read(record: RecordInfo, indices: list[int], options: ReadOptions) -> list[np.ndarray]:
    try:
        frame = pd.read_csv(record.path, header=None, skiprows=2, dtype=np.float64)
    except pd.errors.EmptyDataError:
        return [np.zeros(0) for _ in indices]
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{record.id}: {record.path.name} holds a cell that is not a number ({exc})",
                        "export the folder again; E4 samples are plain numbers") from exc
    return [frame.iloc[:, i].to_numpy(dtype=np.float64) for i in indices]
