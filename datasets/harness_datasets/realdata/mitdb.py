"""MIT-BIH Arrhythmia Database (PhysioNet mitdb 1.0.0): 48 half-hour two-lead ambulatory ECGs, 360 Hz.

The lead MLII is kept (the import layer's channel choice: MLII or its alias II); records without it
(102 and 104 carry V5+V2) are skipped with one warning line. Each record is cut into windows; the
rhythm annotations in ``.atr`` (``+`` beats whose aux_note is ``(AFIB``, ``(N`` ...) give each
participant's AF burden, the fraction of annotated time in ``(AFIB``. Records 201 and 202 are one
subject and become one participant.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import PurePosixPath

import numpy as np

from harness import BuildRequest, DataError, find_channel, mostly_flat
from harness_datasets.realdata import specs
from harness_datasets.realdata.sources import open_source, progress_bar

SPEC = specs.MITDB
RECORD = re.compile(r"^\d{3}$")
#: records of one subject (the database's documentation: 201 and 202 come from the same man)
SAME_SUBJECT = {"202": "201"}
WINDOW_S = 10.0
KINDS = {"sex": "binary", "af": "binary", "af_burden": "numeric"}


def parse_header_comment(comments: list[str]) -> tuple[float, float]:
    """(age, sex 1 female / 0 male: the harness convention) from the first header comment, e.g. ``'69 M 1085 1629 x1'``;
    ``'?'`` (unknown) gives NaN."""
    parts = comments[0].split() if comments else []
    age = float(parts[0]) if parts and parts[0].isdigit() else math.nan
    sex = {"M": 0.0, "F": 1.0}.get(parts[1].upper(), math.nan) if len(parts) > 1 else math.nan
    return age, sex


def af_seconds(samples: np.ndarray, aux: list[str], n: int, fs: float) -> float:
    """Seconds of the record spent in ``(AFIB``: each rhythm note lasts until the next one (or the end)."""
    marks = [(int(s), a.strip("\x00 ")) for s, a in zip(samples, aux) if a and a.lstrip().startswith("(")]
    total = 0
    for i, (start, rhythm) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else n
        if rhythm == "(AFIB":
            total += max(0, min(end, n) - start)
    return total / fs


def build(request: BuildRequest) -> None:
    import wfdb

    window_s = float(request.options.get("window_seconds", WINDOW_S))
    with open_source(request.source, "MIT-BIH", archive="mit-bih-arrhythmia-database-1.0.0.zip") as src:
        records = sorted(PurePosixPath(m).stem for m in src.glob(".hea") if RECORD.match(PurePosixPath(m).stem))
        if not records:
            raise DataError(f"no MIT-BIH records (100.hea ... 234.hea) in {src.path}",
                            "pass mit-bih-arrhythmia-database-1.0.0.zip or its extracted folder as --source")
        members = []
        for rec in records:
            for ext in (".hea", ".dat", ".atr"):
                members.append(src.find(f"{rec}{ext}", what=f"(record {rec}) "))
        if request.participants:
            records = records[: request.participants]
        with src.materialized(members) as root:
            base = {r: root / PurePosixPath(src.find(f"{r}.hea")).with_suffix("") for r in records}
            headers = {r: wfdb.rdheader(str(base[r])) for r in records}
            lead = {r: find_channel("MLII", list(h.sig_name)) for r, h in headers.items()}
            lacking = [r for r in records if lead[r] is None]
            if lacking:
                print(f"mitdb: skipped records without MLII: {', '.join(lacking)}", file=sys.stderr)
            kept = [r for r in records if lead[r] is not None]
            rates = {float(headers[r].fs) for r in kept}
            if len(rates) != 1:
                raise DataError(f"MIT-BIH records have several sampling rates {sorted(rates)}",
                                "pass the unmodified mitdb 1.0.0 release")
            fs = rates.pop()
            win = round(window_s * fs)
            writer = request.writer_factory(
                dataset=request.name, modality="ecg", fs=fs, channel_names=["MLII"], samples=win, units="mV",
                source=specs.MITDB_URL, license=specs.MITDB_LICENSE, citation=specs.MITDB_CITATION,
                build={"records": len(kept), "skipped_without_mlii": lacking, "window_seconds": window_s,
                       "same_subject": SAME_SUBJECT, "participants": request.participants})
            table: dict[str, list] = {k: [] for k in ("participant_id", "age", "sex", "af", "af_burden")}
            per: dict[str, list[float]] = {}
            dropped = 0
            with writer, progress_bar(len(kept), specs.MITDB_NAME, request.progress) as bar:
                for rec in kept:
                    pid = SAME_SUBJECT.get(rec, rec)
                    try:
                        signal = wfdb.rdrecord(str(base[rec]), channels=[int(lead[rec] or 0)]).p_signal[:, 0]
                        ann = wfdb.rdann(str(base[rec]), "atr")
                    except Exception as exc:
                        raise DataError(f"cannot read MIT-BIH record {rec} ({type(exc).__name__}: {exc})",
                                        "re-download the record (its .hea, .dat and .atr)") from exc
                    signal = signal.astype(np.float32)
                    starts = [s for s in range(0, signal.size - win + 1, win)
                              if np.isfinite(signal[s: s + win]).all() and not mostly_flat(signal[None, s: s + win])]
                    dropped += signal.size // win - len(starts)
                    if starts:
                        block = np.stack([signal[s: s + win] for s in starts])[:, None, :]
                        writer.append(block, [pid] * len(starts), t_start=np.asarray(starts) / fs)
                    afs = af_seconds(ann.sample, list(ann.aux_note or []), signal.size, fs)
                    age, sex = parse_header_comment(list(headers[rec].comments or []))
                    if pid not in per:
                        per[pid] = [age, sex, 0.0, 0.0]
                    per[pid][2] += afs
                    per[pid][3] += signal.size / fs
                    bar.update(1)
                for pid, (age, sex, af_s, total_s) in per.items():
                    burden = af_s / total_s if total_s else math.nan
                    table["participant_id"].append(pid)
                    table["age"].append(age)
                    table["sex"].append(sex)
                    table["af_burden"].append(burden)
                    table["af"].append(float(burden > 0))
                writer.attrs["build"].update(windows_dropped_flat_or_nonfinite=dropped)
                writer.set_participants(table, kinds=KINDS)


