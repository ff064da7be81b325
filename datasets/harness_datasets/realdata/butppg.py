"""BUT PPG (Nemcova et al., PhysioNet butppg 2.0.0): 10 s smartphone-camera PPG records with quality
and reference heart rate.

The release: ``quality-hr-ann.csv`` (``ID,Quality,HR``, UTF-8 with a byte-order mark) and
``subject-info.csv`` (``ID,Gender,Age,Height,Weight,Ear/finger,Motion,...``, one row per record) at
the root, and one folder per record ``<ID>/<ID>_PPG.{hea,dat}`` (also ``_ECG``, ``_ACC``, ``.qrs``).
A record ID is six digits: the first three name the subject, so the subject is the participant and
a record is a segment. Quality and HR belong to the record: they become the segment labels
``quality`` (1 = good enough to read heart rate from) and ``hr-window``; ``Ear/finger`` becomes the
categorical segment label ``site``.

Quirks handled (see the card): release-2 PPG records (IDs from 112001) hold three camera channels
(R, G, B) and the builder keeps channel 0, red, the channel the release-1 records hold alone; some
release-1 headers have the signal count and the sample count swapped (``100001_PPG 300 30 1``), which
``wfdb`` reads as 300 signals of one sample: those are read as the one 300-sample signal they hold.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from harness import BuildRequest, DataError
from harness_datasets.realdata import specs
from harness_datasets.realdata.sources import Source, open_source, progress_bar

RECORD = re.compile(r"^(\d{6})_PPG\.hea$")
SITES = ("finger", "ear")
SEX = {"m": 0.0, "male": 0.0, "f": 1.0, "female": 1.0}  # anything else: missing
BLOCK = 256


def read_table(src: Source, name: str) -> dict[str, dict[str, str]]:
    """A root CSV as {record ID: {lower-case column: cell}} (BOM and Windows line ends tolerated)."""
    member = src.find(name, what="(BUT PPG annotation table) ")
    text = src.read_bytes(member).decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise DataError(f"{name} is empty", "pass the unmodified BUT PPG release")
    out: dict[str, dict[str, str]] = {}
    for row in reader:
        cells = {str(k).strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        rid = cells.get("id", "")
        if rid:
            out[rid.zfill(6)] = cells
    if not out:
        raise DataError(f"{name} has no 'ID' column with values", "pass the unmodified BUT PPG release")
    return out


def _num(cells: Mapping[str, str], key: str) -> float:
    try:
        return float(cells.get(key, "").replace(",", "."))
    except ValueError:
        return float("nan")


def _site(value: str) -> float:
    text = value.strip().lower()
    for code, site in enumerate(SITES):
        if text and (text == site[0] or site.startswith(text) or text.startswith(site)):
            return float(code)
    return float("nan")


def read_ppg(root: Any, member: str, record: str) -> tuple[np.ndarray, float, bool]:
    """(red-channel samples, rate, header-was-swapped) of one ``_PPG`` record, in physical units."""
    import wfdb

    path = str(root / PurePosixPath(member).with_suffix(""))
    try:
        rec = wfdb.rdrecord(path)
    except Exception as exc:
        raise DataError(f"record {record}_PPG is unreadable ({type(exc).__name__}: {exc})",
                        "download the BUT PPG release again") from exc
    signal = np.asarray(rec.p_signal, dtype=np.float64)
    swapped = rec.sig_len == 1 and rec.n_sig > 1  # release-1 header: nsig and nsamp transposed
    trace = signal[0, :] if swapped else signal[:, 0]
    return trace, float(rec.fs), swapped


def build(request: BuildRequest) -> None:
    with open_source(request.source, "BUT-PPG") as src:
        quality = read_table(src, "quality-hr-ann.csv")
        info = read_table(src, "subject-info.csv")
        headers = {RECORD.match(PurePosixPath(m).name).group(1): m  # type: ignore[union-attr]
                   for m in src.glob("_PPG.hea") if RECORD.match(PurePosixPath(m).name)}
        if not headers:
            raise DataError(f"no BUT PPG records (<ID>/<ID>_PPG.hea) in {src.path}",
                            "pass the extracted butppg folder (or its zip) as --source")
        records = sorted(headers, key=lambda r: (r[:3], r))  # grouped by subject
        unannotated = [r for r in records if r not in quality]
        records = [r for r in records if r in quality]
        if request.participants:
            keep = sorted({r[:3] for r in records})[: request.participants]
            records = [r for r in records if r[:3] in keep]
        if not records:
            raise DataError("no BUT PPG record has a row in quality-hr-ann.csv", "pass the unmodified release")
        members = [headers[r] for r in records] + [headers[r].replace("_PPG.hea", "_PPG.dat") for r in records
                                                    if src.find(f"{r}_PPG.dat", required=False)]
        with src.materialized(members) as root:
            read = {r: read_ppg(root, headers[r], r) for r in records}
        rates = {fs for _, fs, _ in read.values()}
        if len(rates) != 1:
            raise DataError(f"BUT PPG records have several sampling rates {sorted(rates)}",
                            "pass the unmodified release")
        fs = rates.pop()
        samples = max(t.size for t, _, _ in read.values())
        usable = [r for r in records if np.isfinite(read[r][0]).all() and read[r][0].size >= fs
                  and np.ptp(read[r][0]) > 0]
        swapped = sorted(r for r in records if read[r][2])
        writer = request.writer_factory(
            dataset=request.name, modality="ppg", fs=fs, channel_names=["PPG"], samples=samples,
            units="smartphone camera intensity (red channel, a.u.)", source=specs.BUTPPG_URL,
            license=specs.BUTPPG_LICENSE, citation=specs.BUTPPG_CITATION,
            segment_labels={"quality": "binary", "hr-window": "numeric", "site": "categorical"},
            segment_categories={"site": list(SITES)},
            build={"records": len(usable), "channel": "0 (red) of R,G,B; release-1 records hold one channel",
                   "swapped_headers_read": swapped, "records_without_annotation": unannotated,
                   "records_dropped_short_flat_or_nonfinite": sorted(set(records) - set(usable)),
                   "participant": "subject = first three digits of the record ID",
                   "participants": request.participants})
        subjects: dict[str, dict[str, float]] = {}
        inconsistent: set[str] = set()
        with writer, progress_bar(len(usable), request.name, request.progress) as bar:
            for lo in range(0, len(usable), BLOCK):
                chunk = usable[lo: lo + BLOCK]
                block = np.full((len(chunk), 1, samples), np.nan, dtype=np.float32)
                lengths = np.zeros(len(chunk), dtype=np.int32)
                for i, record in enumerate(chunk):
                    trace = read[record][0]
                    block[i, 0, : trace.size] = trace
                    lengths[i] = trace.size
                    row = _participant(info.get(record, {}))
                    subject = record[:3]
                    known = subjects.setdefault(subject, row)
                    if any(not np.isnan(v) and not np.isnan(known[k]) and v != known[k] for k, v in row.items()):
                        inconsistent.add(subject)
                    for k, v in row.items():
                        if np.isnan(known[k]):
                            known[k] = v
                    bar.update(1)
                pids = [r[:3] for r in chunk]
                ann = [quality[r] for r in chunk]
                writer.append(block, pids, t_start=_starts(chunk), n_samples=lengths, segment_labels={
                    "quality": [_num(a, "quality") for a in ann], "hr-window": [_num(a, "hr") for a in ann],
                    "site": [_site(info.get(r, {}).get("ear/finger", "")) for r in chunk]})
            writer.attrs["build"]["subjects_with_differing_info"] = sorted(inconsistent)
            table: dict[str, list[Any]] = {"participant_id": list(subjects)}
            for key in specs.BUTPPG_LABELS:
                table[key] = [subjects[s][key] for s in subjects]
            writer.set_participants(table, kinds={"sex": "binary"})


def _starts(chunk: list[str]) -> np.ndarray:
    """The release has no recording times: t_start is the record number (order only, in 10 s units)."""
    return np.asarray([int(r[3:]) * 10.0 for r in chunk])


def _participant(cells: Mapping[str, str]) -> dict[str, float]:
    """A subject-info row -> labels (first row of a subject wins; later rows only fill blanks)."""
    sex = SEX.get(cells.get("gender", "").strip().lower(), float("nan"))
    height, weight = _num(cells, "height"), _num(cells, "weight")
    bmi = weight / (height / 100) ** 2 if height > 0 else float("nan")
    return {"age": _num(cells, "age"), "sex": sex, "height": height, "weight": weight, "bmi": bmi}
