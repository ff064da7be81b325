"""PTB-XL (Wagner et al., 2020): 12-lead 10 s clinical ECGs, one participant per ``patient_id``.

Works on the full release (21,799 records) and on any subset whose ``ptbxl_database.csv`` lists only
the records present. Labels are per patient; how records of one patient are combined is stated in
``LABEL_RULES`` (stored in the build attributes and in ``cards/ptb-xl.toml``).
"""

from __future__ import annotations

import ast
import io
from pathlib import PurePosixPath

import numpy as np
import pandas as pd

from harness import BuildRequest, DataError
from harness_datasets.realdata import specs
from harness_datasets.realdata.sources import Source, open_source, progress_bar

SPEC = specs.PTB_XL
NAME, LICENSE, CITATION, LABELS = SPEC.name, SPEC.license, SPEC.citation, SPEC.labels
URL = specs.PTBXL_URL
SUPERCLASSES = specs.PTBXL_SUPERCLASSES


LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
KINDS = {"sex": "binary", "af": "binary", "strat_fold": "categorical",
         **{s.lower(): "binary" for s in SUPERCLASSES}}
AGE_CAP = 90.0  # PTB-XL writes ages above 89 as 300 (HIPAA); they become 90
LABEL_RULES = {
    "age": "age at the patient's first recording; PTB-XL's 300 (= over 89) becomes 90",
    "sex": "PTB-XL's 0 = male, 1 = female (same as the harness convention)",
    "height/weight": "median over the patient's records with a value; bmi = weight / (height/100)^2 "
                     "where both exist",
    "superclasses": "1 when any record of the patient has an SCP statement of that diagnostic superclass "
                    "(scp_statements.csv, any likelihood, as in PTB-XL's example code)",
    "af": "1 when any record of the patient lists AFIB in scp_codes",
    "strat_fold": "the patient's fold (constant per patient in PTB-XL)",
    "t_start": "seconds since the patient's first recording_date",
}


def _read_tables(src: Source) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    db_member = src.find("ptbxl_database.csv", what="(the PTB-XL metadata table) ")
    scp_member = src.find("scp_statements.csv", what="(the PTB-XL statement table) ")
    db = pd.read_csv(io.BytesIO(src.read_bytes(db_member)), index_col="ecg_id")
    scp = pd.read_csv(io.BytesIO(src.read_bytes(scp_member)), index_col=0)
    parent = PurePosixPath(db_member).parent.as_posix()
    return db, scp, "" if parent == "." else parent + "/"


def _superclasses(codes: dict[str, float], classes: dict[str, str]) -> set[str]:
    return {classes[c] for c in codes if c in classes}


def _median(values: pd.Series) -> float:
    known = values.dropna()
    return float(known.median()) if len(known) else float("nan")


def patient_table(db: pd.DataFrame, scp: pd.DataFrame) -> pd.DataFrame:
    """One row per patient, in order of first appearance (see ``LABEL_RULES``)."""
    diagnostic = scp[scp.get("diagnostic", pd.Series(dtype=float)) == 1]
    classes = diagnostic["diagnostic_class"].dropna().to_dict()
    db = db.copy()
    db["codes"] = db["scp_codes"].map(ast.literal_eval)
    db["age"] = db["age"].where(db["age"] < 300, AGE_CAP)
    rows = []
    for pid, recs in db.groupby("participant_id", sort=False):
        found: set[str] = set()
        for codes in recs["codes"]:
            found |= _superclasses(codes, classes)
        height, weight = _median(recs["height"]), _median(recs["weight"])
        rows.append({
            "participant_id": pid, "age": recs["age"].iloc[0], "sex": recs["sex"].iloc[0],
            "height": height, "weight": weight,
            "bmi": weight / (height / 100.0) ** 2 if height > 0 and weight > 0 else np.nan,
            **{s.lower(): float(s in found) for s in SUPERCLASSES},
            "af": float(any("AFIB" in c for c in recs["codes"])),
            "strat_fold": recs["strat_fold"].iloc[0],
        })
    return pd.DataFrame(rows)


def _read_record(src: Source, base: str) -> tuple[np.ndarray, list[str], float]:
    import wfdb

    members = [f"{base}.hea", f"{base}.dat"]
    with src.materialized(members) as root:
        try:
            signal, fields = wfdb.rdsamp(str(root / base))
        except Exception as exc:
            raise DataError(f"cannot read WFDB record {base} ({type(exc).__name__}: {exc})",
                            "re-download the PTB-XL release") from exc
    return signal.T.astype(np.float32), list(fields["sig_name"]), float(fields["fs"])


def _lead_order(names: list[str], base: str) -> list[int]:
    upper = [n.upper() for n in names]
    try:
        return [upper.index(lead.upper()) for lead in LEADS]
    except ValueError:
        raise DataError(f"record {base} has leads {names}, not the 12 standard leads",
                        "pass an unmodified PTB-XL release") from None


def build(request: BuildRequest) -> None:
    fs = int(request.options.get("fs", 100))
    if fs not in (100, 500):
        raise DataError(f"PTB-XL comes at 100 or 500 Hz, not {fs}", "use --option fs=100 or fs=500")
    column = "filename_lr" if fs == 100 else "filename_hr"
    with open_source(request.source, "PTB-XL-subset500") as src:
        db, scp, prefix = _read_tables(src)
        present = set(src.members)
        db["base"] = prefix + db[column].astype(str)
        has = db["base"].map(lambda b: f"{b}.hea" in present and f"{b}.dat" in present)
        if not has.any():
            raise DataError(f"none of the {len(db)} PTB-XL records at {fs} Hz ({column}) are in {src.path}",
                            "pass the release with its records100/ (or records500/ with fs=500) folder")
        missing = int((~has).sum())
        db = db[has]
        db["participant_id"] = db["patient_id"].astype("int64").astype(str)
        db["recording_date"] = pd.to_datetime(db["recording_date"])
        first = db.groupby("participant_id", sort=False)["recording_date"].transform("min")
        db["t_start"] = (db["recording_date"] - first).dt.total_seconds()
        order = list(dict.fromkeys(db.sort_index()["participant_id"]))
        if request.participants:
            order = order[: request.participants]
        rank = {p: i for i, p in enumerate(order)}
        db = db[db["participant_id"].isin(rank)]
        db = db.assign(_rank=db["participant_id"].map(rank)).sort_values(["_rank", "recording_date"],
                                                                          kind="stable")
        table = patient_table(db, scp)
        writer = request.writer_factory(
            dataset=request.name, modality="ecg", fs=float(fs), channel_names=list(LEADS), samples=10 * fs,
            units="mV", source=URL, license=LICENSE, citation=CITATION, chunk_segments=64,
            build={"fs": fs, "records": len(db), "records_listed_but_absent": missing,
                   "patients": len(order), "label_rules": LABEL_RULES, "participants": request.participants},
        )
        with writer, progress_bar(len(db), NAME, request.progress) as bar:
            block: list[np.ndarray] = []
            block_ids: list[str] = []
            block_t: list[float] = []
            for base, pid, t0 in zip(db["base"], db["participant_id"], db["t_start"]):
                signal, names, rec_fs = _read_record(src, base)
                if round(rec_fs) != fs:
                    raise DataError(f"record {base} is sampled at {rec_fs} Hz, expected {fs}",
                                    "pass an unmodified PTB-XL release")
                block.append(signal[_lead_order(names, base), : 10 * fs])
                block_ids.append(pid)
                block_t.append(float(t0))
                if len(block) == 256:
                    writer.append(np.stack(block), block_ids, block_t)
                    block, block_ids, block_t = [], [], []
                bar.update(1)
            if block:
                writer.append(np.stack(block), block_ids, block_t)
            columns = {c: table[c].to_numpy() for c in ("participant_id", *LABELS)}
            writer.set_participants(columns, kinds=KINDS)


