"""EDF, EDF+ and BDF(+) files through ``pyedflib`` (the EDFlib C reader: 16- and 24-bit files, per-signal
rates and physical units, annotations kept out of the signals)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from harness.errors import DataError
from harness.importing.options import ReadOptions
from harness.importing.records import RecordInfo, unique_ids


def _open(path: Path, rid: str) -> Any:
    try:
        import pyedflib
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise DataError("reading EDF/BDF needs pyedflib", "pip install pyedflib") from exc
    try:
        return pyedflib.EdfReader(str(path))
    except Exception as exc:
        raise DataError(f"cannot read EDF/BDF file {rid} ({type(exc).__name__}: {exc})",
                        "check it opens in an EDF viewer, or remove it") from exc


def find(source: Path, options: ReadOptions) -> dict[str, Path]:
    files = [p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in (".edf", ".bdf")]
    return unique_ids(files, source)


def describe(rid: str, path: Path, options: ReadOptions) -> RecordInfo:
    f = _open(path, rid)
    try:
        channels = [str(c).strip() for c in f.getSignalLabels()]
        rates = [float(r) for r in f.getSampleFrequencies()]
        lengths = [int(n) for n in f.getNSamples()]
        units = (f.getPhysicalDimension(0).strip() if channels else "") or "a.u."
        start = f.getStartdatetime().timestamp()
    finally:
        f.close()
    return RecordInfo(rid, path, "edf", channels, rates, units=units, samples=min(lengths) if lengths else 0,
                      start=start)


def read(record: RecordInfo, indices: list[int], options: ReadOptions) -> list[np.ndarray]:
    f = _open(record.path, record.id)
    try:
        return [np.asarray(f.readSignal(i), dtype=np.float64) for i in indices]
    except Exception as exc:
        raise DataError(f"cannot read EDF/BDF file {record.id} ({type(exc).__name__}: {exc})",
                        "check it opens in an EDF viewer, or remove it") from exc
    finally:
        f.close()
