"""PPG-DaLiA (Reiss et al., 2019): 15 subjects, ~2.5 h each of wrist E4 and chest RespiBAN recordings.

The release (UCI 495) is ``PPG_FieldStudy/S1..S15/`` with, per subject, ``S#.pkl`` (the synchronised
data), ``S#_quest.csv``, ``S#_activity.csv``, ``S#_E4.zip`` and ``S#_RespiBAN.h5``. The builder reads
only ``S#.pkl``, through an unpickler that accepts NumPy arrays and nothing else
(:mod:`harness_datasets.realdata.safe_pickle`): a dict with ``signal.wrist.BVP`` (64 Hz),
``signal.chest.ECG`` (700 Hz), ``label`` (ECG reference heart rate of 8 s windows shifted by 2 s),
``activity`` (4 Hz activity ids), ``questionnaire`` (``AGE``, ``Gender``, ``HEIGHT``, ``WEIGHT``,
``SKIN``, ``SPORT``) and ``subject``.

Window ``j`` is ``BVP[128 j : 128 j + 512]`` (ECG: ``[1400 j : 1400 j + 5600]``) and carries
``label[j]`` as ``hr-window``; its ``activity`` is the id most of its 32 activity samples hold
(id 0, the transitions between activities, is stored as missing). A subject has
``min(len(label), floor((N - 512) / 128) + 1)`` windows, so a shorter recording (S6, see the card)
simply has fewer.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from harness import BuildRequest, DataError
from harness_datasets.realdata import specs
from harness_datasets.realdata.safe_pickle import load_numpy_pickle
from harness_datasets.realdata.sources import open_source, progress_bar

SUBJECT_FILE = re.compile(r"^S(\d+)\.pkl$")
WINDOW_S, HOP_S = 8.0, 2.0
ACTIVITY_FS = 4.0
#: what each store variant reads from the pickle: (signal group, key, rate, channel name, units)
VARIANTS = {"ppg": ("wrist", "BVP", 64.0, "BVP", "E4 BVP (a.u., light absorption)"),
            "ecg": ("chest", "ECG", 700.0, "ECG", "mV (RespiBAN)")}
SEX = {"m": 0.0, "male": 0.0, "f": 1.0, "female": 1.0}


def _field(mapping: Any, key: str, origin: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise DataError(f"{origin} has no '{key}' entry", "pass the unmodified PPG_FieldStudy release")
    return mapping[key]


def _number(value: Any) -> float:
    try:
        return float(np.asarray(value).reshape(-1)[0])
    except (TypeError, ValueError, IndexError):
        return float("nan")


def participant_row(quest: Any, origin: str) -> dict[str, float]:
    """Questionnaire -> labels. ``Gender`` is text (' m' / ' f', with stray spaces); sex: 1 = female."""
    gender = str(_field(quest, "Gender", origin)).strip().lower()
    if gender not in SEX:
        raise DataError(f"{origin} has Gender {gender!r}, not m/f", "pass the unmodified release")
    height, weight = _number(quest.get("HEIGHT")), _number(quest.get("WEIGHT"))
    return {"age": _number(quest.get("AGE")), "sex": SEX[gender], "height": height, "weight": weight,
            "bmi": weight / (height / 100) ** 2 if height > 0 else float("nan"),
            "skin": _number(quest.get("SKIN")), "sport": _number(quest.get("SPORT"))}


def windows(signal: np.ndarray, fs: float, n_labels: int) -> np.ndarray:
    """The 8 s / 2 s windows the heart-rate labels refer to, ``(n, samples)``, at most one per label."""
    width, hop = round(WINDOW_S * fs), round(HOP_S * fs)
    count = min(n_labels, (signal.size - width) // hop + 1) if signal.size >= width else 0
    if count <= 0:
        return np.empty((0, width), dtype=np.float32)
    return np.lib.stride_tricks.sliding_window_view(signal, width)[: (count - 1) * hop + 1: hop].astype(np.float32)


def window_activity(activity: np.ndarray, count: int) -> np.ndarray:
    """Majority activity id of each window, as a code 0..7 (id - 1); transitions (id 0) -> NaN."""
    width, hop = int(WINDOW_S * ACTIVITY_FS), int(HOP_S * ACTIVITY_FS)
    out = np.full(count, np.nan, dtype=np.float64)
    ids = np.rint(activity).astype(int)
    for j in range(count):
        part = ids[j * hop: j * hop + width]
        if part.size == 0:
            continue
        values, counts = np.unique(part, return_counts=True)
        best = int(values[np.argmax(counts)])
        if 1 <= best <= len(specs.DALIA_ACTIVITIES):
            out[j] = best - 1
    return out


def _subjects(src: Any) -> list[tuple[int, str]]:
    found = []
    for member in src.glob(".pkl"):
        match = SUBJECT_FILE.match(PurePosixPath(member).name)
        if match:
            found.append((int(match.group(1)), member))
    if not found:
        raise DataError(f"no PPG-DaLiA subject pickles (S1/S1.pkl ...) in {src.path}",
                        "pass the extracted PPG_FieldStudy folder (or a zip of it) as --source; unzip the UCI "
                        "download first if it holds another zip")
    return sorted(found)


def _build(request: BuildRequest, variant: str) -> None:
    group, key, fs, channel, units = VARIANTS[variant]
    width = round(WINDOW_S * fs)
    with open_source(request.source, "PPG-DaLiA") as src:
        subjects = _subjects(src)
        if request.participants:
            subjects = subjects[: request.participants]
        writer = request.writer_factory(
            dataset=request.name, modality=variant, fs=fs, channel_names=[channel], samples=width, units=units,
            source=specs.DALIA_URL, license=specs.DALIA_LICENSE, citation=specs.DALIA_CITATION,
            segment_labels={"hr-window": "numeric", "activity": "categorical"},
            segment_categories={"activity": list(specs.DALIA_ACTIVITIES)},
            build={"subjects": [f"S{n}" for n, _ in subjects], "window_s": WINDOW_S, "hop_s": HOP_S,
                   "signal": f"signal.{group}.{key}", "reader": "S#.pkl through a NumPy-only unpickler",
                   "participants": request.participants})
        table: dict[str, list[Any]] = {"participant_id": []}
        per_subject: dict[str, int] = {}
        dropped = 0
        with writer, progress_bar(len(subjects), request.name, request.progress) as bar:
            for number, member in subjects:
                origin = PurePosixPath(member).name
                data = load_numpy_pickle(src.read_bytes(member), origin)
                signals = _field(_field(data, "signal", origin), group, origin)
                raw = np.asarray(_field(signals, key, origin), dtype=np.float64)
                trace = raw.reshape(raw.shape[0], -1)[:, 0] if raw.ndim > 1 else raw
                hr = np.asarray(_field(data, "label", origin), dtype=np.float64).reshape(-1)
                segs = windows(trace, fs, hr.size)
                act = window_activity(np.asarray(_field(data, "activity", origin), dtype=np.float64).reshape(-1),
                                      len(segs))
                keep = np.isfinite(segs).all(axis=1) & (np.ptp(segs, axis=1) > 0) if len(segs) else \
                    np.zeros(0, dtype=bool)
                dropped += int((~keep).sum())
                pid = f"S{number}"
                rows = np.flatnonzero(keep)
                if rows.size == 0:
                    bar.update(1)
                    continue
                writer.append(segs[rows][:, None, :], [pid] * rows.size, t_start=rows * HOP_S,
                              segment_labels={"hr-window": hr[rows], "activity": act[rows]})
                per_subject[pid] = int(rows.size)
                row = participant_row(_field(data, "questionnaire", origin), origin)
                table["participant_id"].append(pid)
                for name, value in row.items():
                    table.setdefault(name, []).append(value)
                bar.update(1)
            writer.attrs["build"].update(windows_per_subject=per_subject, windows_dropped_flat_or_nonfinite=dropped)
            writer.set_participants(table, kinds={"sex": "binary"})


def build(request: BuildRequest) -> None:
    """Wrist BVP windows (64 Hz, 8 s, 2 s hop) with per-window heart rate and activity."""
    _build(request, "ppg")


def build_ecg(request: BuildRequest) -> None:
    """Chest ECG windows (700 Hz) aligned to the same heart-rate labels."""
    _build(request, "ecg")
