"""WESAD (Schmidt et al. 2018): 15 subjects (S2-S17, no S1 or S12) in a lab stress protocol, wrist E4 + chest.

Stored: wrist BVP (64 Hz) in 60 s windows with a 15 s hop (the paper's 60 s window; its 0.25 s shift
would make 240 near-identical windows a minute, so the hop is coarser), each window's condition
(baseline, stress, amusement, meditation: the majority 700 Hz protocol label, windows less than
90 % one condition or in 0/5-7 dropped) and a ``stress`` segment label (1 stress, 0 baseline, missing
otherwise). Participant labels age, sex, height, weight, bmi come from ``S#_readme.txt``. The pickles
are opened with the numpy-only unpickler (``safe_pickle``): a pickle can run code, this one cannot.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from harness import BuildRequest, DataError
from harness_datasets.realdata import specs
from harness_datasets.realdata.safe_pickle import load_numpy_pickle
from harness_datasets.realdata.sources import Source, open_source, progress_bar

BVP_FS, LABEL_FS = 64, 700
WINDOW_S, HOP_S = 60.0, 15.0
PURITY = 0.9
CONDITIONS = ("baseline", "stress", "amusement", "meditation")  # protocol ids 1-4 (code = id - 1)
SUBJECT_FILE = re.compile(r"^S(\d+)\.pkl$")


def parse_readme(text: str, origin: str) -> dict[str, float]:
    """``Age: 27`` / ``Height (cm): 175`` / ``Weight (kg): 80`` / ``Gender: male`` -> labels (sex 1 = female)."""
    fields: dict[str, str] = {}
    for line in text.replace("\r", "").splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.strip()

    def num(key: str) -> float:
        try:
            return float(fields[key])
        except (KeyError, ValueError):
            return float("nan")

    if "age" not in fields:
        raise DataError(f"{origin} has no 'Age:' line", "pass the unmodified WESAD release (S#/S#_readme.txt)")
    gender = fields.get("gender", "").lower()
    sex = 1.0 if gender in ("female", "f") else 0.0 if gender in ("male", "m") else float("nan")
    height, weight = num("height (cm)"), num("weight (kg)")
    return {"age": num("age"), "sex": sex, "height": height, "weight": weight,
            "bmi": weight / (height / 100) ** 2 if height > 0 else float("nan")}


def window_conditions(label: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Condition code 0..3 of each window (majority of the 700 Hz labels, at least PURITY of them), else NaN."""
    out = np.full(starts.size, np.nan)
    width = int(WINDOW_S * LABEL_FS)
    ids = np.rint(np.asarray(label).reshape(-1)).astype(int)
    for j, s in enumerate(starts):
        part = ids[int(s * LABEL_FS): int(s * LABEL_FS) + width]
        if part.size < width:
            continue
        values, counts = np.unique(part, return_counts=True)
        best = int(values[np.argmax(counts)])
        if 1 <= best <= len(CONDITIONS) and counts.max() >= PURITY * width:
            out[j] = best - 1
    return out


def _field(mapping: Any, key: str, origin: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise DataError(f"{origin} has no '{key}' entry", "pass the unmodified WESAD release")
    return mapping[key]


def _subjects(src: Source) -> list[tuple[int, str]]:
    found = sorted((int(m.group(1)), member) for member in src.glob(".pkl")
                   if (m := SUBJECT_FILE.match(PurePosixPath(member).name)))
    if not found:
        raise DataError(f"no WESAD subject pickles (S2/S2.pkl ...) in {src.path}",
                        "pass the extracted WESAD folder (or WESAD.zip) as --source")
    return found


def build(request: BuildRequest) -> None:
    width, hop = round(WINDOW_S * BVP_FS), round(HOP_S * BVP_FS)
    with open_source(request.source, "WESAD", archive="WESAD.zip") as src:
        subjects = _subjects(src)
        if request.participants:
            subjects = subjects[: request.participants]
        writer = request.writer_factory(
            dataset=request.name, modality="ppg", fs=float(BVP_FS), channel_names=["BVP"], samples=width,
            units="a.u.", source=specs.WESAD_URL, license=specs.WESAD_LICENSE, citation=specs.WESAD_CITATION,
            segment_labels={"condition": "categorical", "stress": "binary"},
            segment_categories={"condition": list(CONDITIONS)},
            build={"window_seconds": WINDOW_S, "hop_seconds": HOP_S, "purity": PURITY,
                   "pickle": "numpy-only unpickler", "participants": request.participants})
        table: dict[str, list] = {"participant_id": []}
        per: dict[str, int] = {}
        with writer, progress_bar(len(subjects), specs.WESAD_NAME, request.progress) as bar:
            for number, member in subjects:
                pid = f"S{number}"
                data = load_numpy_pickle(src.read_bytes(member), member)
                wrist = _field(_field(data, "signal", member), "wrist", member)
                bvp = np.asarray(_field(wrist, "BVP", member), dtype=np.float32).reshape(-1)
                label = np.asarray(_field(data, "label", member))
                starts = np.arange(0, max(bvp.size - width + 1, 0), hop)
                cond = window_conditions(label, starts / BVP_FS)
                keep = np.flatnonzero(np.isfinite(cond) & np.array(
                    [np.isfinite(bvp[s: s + width]).all() and np.ptp(bvp[s: s + width]) > 0 for s in starts],
                    dtype=bool))
                if keep.size:
                    block = np.stack([bvp[starts[k]: starts[k] + width] for k in keep])[:, None, :]
                    stress = np.where(cond[keep] == 1, 1.0, np.where(cond[keep] == 0, 0.0, np.nan))
                    writer.append(block, [pid] * keep.size, t_start=starts[keep] / BVP_FS,
                                  segment_labels={"condition": cond[keep], "stress": stress})
                per[pid] = int(keep.size)
                readme = src.find(f"{pid}_readme.txt", what=f"(subject {pid}) ")
                row = parse_readme(src.read_bytes(readme).decode("utf-8", "replace"), readme)
                table["participant_id"].append(pid)
                for key, value in row.items():
                    table.setdefault(key, []).append(value)
                bar.update(1)
            writer.attrs["build"].update(windows_per_subject=per)
            writer.set_participants(table, kinds={"sex": "binary"})
