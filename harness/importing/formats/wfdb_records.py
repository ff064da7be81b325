"""WFDB records: a ``.hea`` header and the signal file it names, read with ``wfdb`` in physical units."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.errors import DataError
from harness.importing.options import ReadOptions
from harness.importing.records import RecordInfo, unique_ids


def find(source: Path, options: ReadOptions) -> dict[str, Path]:
    return {rid: path.with_suffix("") for rid, path in unique_ids(source.rglob("*.hea"), source).items()}


def describe(rid: str, path: Path, options: ReadOptions) -> RecordInfo:
    import wfdb

    try:
        header = wfdb.rdheader(str(path))
    except Exception as exc:
        raise DataError(f"cannot read the WFDB header of record {rid} ({type(exc).__name__}: {exc})",
                        "fix or remove the record") from exc
    channels = [str(c) for c in (header.sig_name or [])]
    units = (header.units or ["a.u."])[0] or "a.u."
    return RecordInfo(rid, path, "wfdb", channels, [float(header.fs)] * len(channels), units=units,
                      samples=int(header.sig_len or 0))


def read(record: RecordInfo, indices: list[int], options: ReadOptions) -> list[np.ndarray]:
    import wfdb

    try:
        rec = wfdb.rdrecord(str(record.path), channels=list(indices))
    except Exception as exc:
        raise DataError(f"cannot read WFDB record {record.id} ({type(exc).__name__}: {exc})",
                        "fix or remove the record") from exc
    signal = np.asarray(rec.p_signal, dtype=np.float64)
    return [signal[:, i] for i in range(signal.shape[1])]
