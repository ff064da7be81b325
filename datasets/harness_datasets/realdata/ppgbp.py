"""PPG-BP (Liang et al., 2018): 219 subjects, three 2.1 s fingertip PPG segments each at 1 kHz.

What the release actually holds (checked file by file, see ``cards/ppg-bp.toml``):

* 657 files ``0_subject/<subject>_<k>.txt``, one tab-separated line of raw 12-bit ADC values;
  ``231_1`` and ``231_2`` hold 4200 values instead of 2100: the first 2100 are kept.
* Seven pairs of files are byte-identical (the release notes name three): six within one subject
  (66_1/66_2, 146_1/146_2, 148_1/148_2, 185_2/185_3, 216_1/216_2, 403_1/403_2), where the later copy is
  dropped, and one across subjects (23_3 = 24_1), which cannot belong to both people and is dropped
  from both. The store therefore holds 649 segments of 219 subjects.
* Labels: ``PPG-BP dataset.xlsx``, header on the second row.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import defaultdict
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from harness import BuildRequest, DataError
from harness_datasets.realdata import specs
from harness_datasets.realdata.sources import open_source, progress_bar

SPEC = specs.PPG_BP
NAME, LICENSE, CITATION, LABELS = SPEC.name, SPEC.license, SPEC.citation, SPEC.labels
URL = specs.PPGBP_URL


FS = 1000.0
SAMPLES = 2100
SEGMENT_FILE = re.compile(r"^(\d+)_(\d+)\.txt$")
STAGES = {"normal": 0, "prehypertension": 1, "stage 1 hypertension": 2, "stage 2 hypertension": 3}
KINDS = {"sex": "binary", "hypertension": "binary", "diabetes": "binary", "cerebral_infarction": "binary",
         "cerebrovascular_disease": "binary", "hypertension_stage": "categorical"}
# Column-name prefixes (lower case) of the label sheet -> label names; prefixes survive small renames.
COLUMNS = {"subject_id": "participant_id", "sex": "sex", "age": "age", "height": "height", "weight": "weight",
           "systolic": "sbp", "diastolic": "dbp", "heart rate": "hr", "bmi": "bmi",
           "hypertension": "hypertension_stage", "diabetes": "diabetes",
           "cerebral infarction": "cerebral_infarction", "cerebrovascular": "cerebrovascular_disease"}


def _flag(values: pd.Series) -> np.ndarray:
    """A condition column holds the diagnosis text or is blank: blank = 0, any text = 1."""
    return values.notna().to_numpy() & (values.astype(str).str.strip() != "").to_numpy()


def read_labels(raw: bytes) -> pd.DataFrame:
    """Parse the label workbook into one row per subject with harness label conventions."""
    try:
        sheet = pd.read_excel(io.BytesIO(raw), header=1)
    except Exception as exc:
        raise DataError(f"cannot read the PPG-BP label workbook ({type(exc).__name__}: {exc})",
                        "pass the unmodified official 'PPG-BP dataset.xlsx'") from exc
    rename: dict[str, str] = {}
    for column in sheet.columns:
        key = str(column).strip().lower()
        for prefix, label in COLUMNS.items():
            if key.startswith(prefix) and label not in rename.values():
                rename[column] = label
                break
    missing = sorted(set(COLUMNS.values()) - set(rename.values()))
    if missing:
        raise DataError(f"the PPG-BP label sheet lacks columns for {missing}",
                        "pass the official 'PPG-BP dataset.xlsx' (header on its second row)")
    sheet = sheet.rename(columns=rename)
    sheet = sheet[sheet["participant_id"].notna()]
    table = pd.DataFrame({"participant_id": sheet["participant_id"].astype(int).astype(str)})
    for label in ("age", "height", "weight", "bmi", "sbp", "dbp", "hr"):
        table[label] = pd.to_numeric(sheet[label], errors="coerce").astype(float)
    sex = sheet["sex"].astype(str).str.strip().str.lower().str[:1]
    table["sex"] = sex.map({"f": 1.0, "m": 0.0})
    stage_text = sheet["hypertension_stage"].astype(str).str.strip().str.lower()
    unknown = sorted(set(stage_text) - set(STAGES) - {"nan"})
    if unknown:
        raise DataError(f"unknown hypertension categories {unknown} in the PPG-BP label sheet",
                        f"expected {sorted(STAGES)}")
    table["hypertension_stage"] = stage_text.map(STAGES).astype(float)
    table["hypertension"] = (table["hypertension_stage"] >= 2).astype(float)
    table.loc[table["hypertension_stage"].isna(), "hypertension"] = np.nan
    for label in ("diabetes", "cerebral_infarction", "cerebrovascular_disease"):
        table[label] = _flag(sheet[label]).astype(float)
    return table.reset_index(drop=True)


def _parse_segment(raw: bytes, member: str) -> np.ndarray:
    values = np.array(raw.decode("ascii", errors="replace").split(), dtype=np.float32)
    if values.size < SAMPLES or not np.isfinite(values[:SAMPLES]).all():
        raise DataError(f"{member} holds {values.size} values (need {SAMPLES} finite ones)",
                        "re-download the official PPG-BP release")
    return values[:SAMPLES]


def plan_segments(files: dict[str, bytes]) -> tuple[dict[str, list[tuple[int, str]]], list[dict[str, Any]]]:
    """Group segment files by subject and drop byte-identical copies (see the module docstring)."""
    by_hash: dict[str, list[str]] = defaultdict(list)
    for member, raw in files.items():
        by_hash[hashlib.sha256(raw).hexdigest()].append(member)
    dropped: list[dict[str, Any]] = []
    drop: set[str] = set()
    for members in by_hash.values():
        if len(members) < 2:
            continue
        names = sorted((PurePosixPath(m).name for m in members), key=_order_key)
        owners = {SEGMENT_FILE.match(n).group(1) for n in names}  # type: ignore[union-attr]
        if len(owners) > 1:
            drop.update(names)
            dropped.append({"files": names, "kept": None, "reason": "identical across subjects"})
        else:
            drop.update(names[1:])
            dropped.append({"files": names, "kept": names[0], "reason": "identical within subject"})
    subjects: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for member in files:
        name = PurePosixPath(member).name
        if name in drop:
            continue
        match = SEGMENT_FILE.match(name)
        subjects[match.group(1)].append((int(match.group(2)), member))  # type: ignore[union-attr]
    return subjects, sorted(dropped, key=lambda d: _order_key(d["files"][0]))


def _order_key(name: str) -> tuple[int, int]:
    match = SEGMENT_FILE.match(PurePosixPath(name).name)
    return (int(match.group(1)), int(match.group(2))) if match else (1 << 30, 0)


def build(request: BuildRequest) -> None:
    with open_source(request.source, "PPG-BP") as src:
        members = [m for m in src.glob(".txt") if SEGMENT_FILE.match(PurePosixPath(m).name)]
        if not members:
            raise DataError(f"no PPG-BP segment files (<subject>_<k>.txt) in {src.path}",
                            "pass the official PPG-BP release (folder or zip) as --source")
        sheet = src.find("PPG-BP dataset.xlsx", required=False)
        if sheet is None:
            candidates = [m for m in src.glob(".xlsx") if "dataset" in PurePosixPath(m).name.lower()]
            if not candidates:
                raise DataError(f"PPG-BP label workbook 'PPG-BP dataset.xlsx' not found in {src.path}",
                                "pass the complete official release as --source")
            sheet = candidates[0]
        labels = read_labels(src.read_bytes(sheet))
        files = {m: src.read_bytes(m) for m in members}  # 657 x ~15 kB: small enough to hold
    subjects, dropped = plan_segments(files)
    order = sorted(subjects, key=int)
    known = set(labels["participant_id"])
    unlabelled = [s for s in order if s not in known]
    if unlabelled:
        raise DataError(f"PPG-BP subjects {unlabelled[:5]} have recordings but no row in the label sheet",
                        "pass the matching official 'PPG-BP dataset.xlsx'")
    if request.participants:
        order = order[: request.participants]
    labels = labels[labels["participant_id"].isin(order)]
    n_long = sum(1 for m, raw in files.items() if len(raw.split()) > SAMPLES)
    writer = request.writer_factory(
        dataset=request.name, modality="ppg", fs=FS, channel_names=["ppg"], samples=SAMPLES,
        units="adc", source=URL, license=LICENSE, citation=CITATION,
        build={"files": len(files), "subjects_with_files": len(subjects),
               "duplicates_dropped": sum(len(d["files"]) - (1 if d["kept"] else 0) for d in dropped),
               "duplicate_groups": [" = ".join(d["files"]) for d in dropped],
               "cropped_to_2100": n_long,
               "hypertension": "1 = stage 1 or stage 2, 0 = normal/prehypertension",
               "participants": request.participants},
    )
    with writer, progress_bar(len(order), NAME, request.progress) as bar:
        for subject in order:
            segs = sorted(subjects[subject])
            signal = np.stack([_parse_segment(files[m], m) for _, m in segs])
            writer.append(signal, [subject] * len(segs))
            bar.update(1)
        table = {c: labels[c].to_numpy() for c in ("participant_id", *LABELS)}
        writer.set_participants(table, kinds=KINDS)


