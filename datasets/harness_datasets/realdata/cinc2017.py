"""PhysioNet/CinC Challenge 2017: 8,528 single-lead handheld ECGs (300 Hz, 9-61 s) with rhythm labels.

No subject metadata is published, so every record is its own participant. Records keep their full
length: the time axis is as long as the longest record and shorter ones are NaN-padded (``n_samples``
holds each record's length). Members are read straight from ``training2017.zip`` (or its folder).
"""

from __future__ import annotations

import io
import re
from pathlib import Path, PurePosixPath

import numpy as np

from harness import BuildRequest, DataError
from harness_datasets.realdata import specs
from harness_datasets.realdata.sources import Source, open_source, progress_bar

SPEC = specs.CINC2017
NAME, LICENSE, CITATION, LABELS = SPEC.name, SPEC.license, SPEC.citation, SPEC.labels
URL = specs.CINC_URL


CLASSES = {"N": 0, "A": 1, "O": 2, "~": 3}
KINDS = {"af": "binary", "normal": "binary", "other": "binary", "noisy": "binary",
         "rhythm_class": "categorical"}
RECORD = re.compile(r"^A\d{5}$")
BLOCK = 256


def parse_reference(text: str, origin: str) -> dict[str, int]:
    """``record,class`` lines (no header; a header line is skipped) -> class index per record."""
    out: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 2 or not RECORD.match(parts[0]):
            if number == 1 or not line.strip():
                continue  # header or blank line
            raise DataError(f"{origin} line {number} is not 'record,class': {line!r}",
                            "pass the official REFERENCE-v3.csv")
        if parts[1] not in CLASSES:
            raise DataError(f"{origin} line {number} has unknown class {parts[1]!r}",
                            f"classes are {', '.join(CLASSES)}")
        out[parts[0]] = CLASSES[parts[1]]
    return out


def _reference(src: Source, request: BuildRequest) -> tuple[dict[str, int], str]:
    explicit = request.options.get("reference")
    if explicit:
        path = Path(explicit)
        return parse_reference(path.read_text(), str(path)), path.name
    member = src.find("REFERENCE-v3.csv", required=False)
    if member is not None:
        return parse_reference(src.read_bytes(member).decode(), member), "REFERENCE-v3.csv"
    beside = src.path.parent / "REFERENCE-v3.csv" if src.is_zip else src.path / "REFERENCE-v3.csv"
    if beside.exists():
        return parse_reference(beside.read_text(), str(beside)), "REFERENCE-v3.csv"
    raise DataError(f"REFERENCE-v3.csv (the final CinC 2017 labels) is neither in {src.path} nor beside it",
                    "download it from https://physionet.org/content/challenge-2017/1.0.0/ next to the "
                    "archive, or pass --option reference=PATH")


def read_header(root: Path, member: str, record: str) -> tuple[int, float, float, float]:
    """(samples, fs, gain, baseline) of a single-signal WFDB header, read with ``wfdb.rdheader`` (which
    applies WFDB's defaults: gain 0 or absent means 200 adu per unit, baseline absent means ADC zero)."""
    import wfdb

    try:
        header = wfdb.rdheader(str(root / PurePosixPath(member).with_suffix("")))
        return int(header.sig_len), float(header.fs), float(header.adc_gain[0]), float(header.baseline[0])
    except Exception as exc:
        raise DataError(f"header of record {record} is malformed ({type(exc).__name__}: {exc})",
                        "re-download training2017.zip") from exc


def build(request: BuildRequest) -> None:
    import scipy.io

    with open_source(request.source, "CinC2017-AF", archive="training2017.zip") as src:
        reference, ref_name = _reference(src, request)
        mats = {PurePosixPath(m).stem: m for m in src.glob(".mat") if RECORD.match(PurePosixPath(m).stem)}
        heas = {PurePosixPath(m).stem: m for m in src.glob(".hea") if RECORD.match(PurePosixPath(m).stem)}
        records = sorted(set(mats) & set(heas))
        if not records:
            raise DataError(f"no CinC 2017 records (A#####.mat + .hea) in {src.path}",
                            "pass training2017.zip or its extracted folder as --source")
        unlabelled = [r for r in records if r not in reference]
        if unlabelled:
            raise DataError(f"{len(unlabelled)} records have no label in {ref_name} (e.g. {unlabelled[:3]})",
                            "use the REFERENCE-v3.csv that matches the archive")
        absent = sorted(set(reference) - set(records))
        if request.participants:
            records = records[: request.participants]
        with src.materialized(heas[r] for r in records) as root:
            headers = {r: read_header(root, heas[r], r) for r in records}
        rates = {fs for _, fs, _, _ in headers.values()}
        if len(rates) != 1:
            raise DataError(f"CinC 2017 records have several sampling rates {sorted(rates)}",
                            "pass the unmodified training2017.zip")
        fs = rates.pop()
        samples = max(n for n, _, _, _ in headers.values())
        classes = np.array([reference[r] for r in records], dtype=np.float32)
        counts = {k: int((classes == v).sum()) for k, v in CLASSES.items()}
        writer = request.writer_factory(
            dataset=request.name, modality="ecg", fs=fs, channel_names=["ECG"], samples=samples, units="mV",
            source=URL, license=LICENSE, citation=CITATION, chunk_segments=32,
            build={"records": len(records), "labels_file": ref_name, "class_counts": counts,
                   "labelled_but_absent": len(absent), "padding": "NaN after each record's end",
                   "min_samples": min(n for n, _, _, _ in headers.values()), "max_samples": samples,
                   "participant": "each record is its own participant", "participants": request.participants},
        )
        with writer, progress_bar(len(records), NAME, request.progress) as bar:
            for lo in range(0, len(records), BLOCK):
                chunk = records[lo: lo + BLOCK]
                block = np.full((len(chunk), 1, samples), np.nan, dtype=np.float32)
                lengths = np.zeros(len(chunk), dtype=np.int32)
                for i, record in enumerate(chunk):
                    _, _, gain, baseline = headers[record]
                    try:
                        val = scipy.io.loadmat(io.BytesIO(src.read_bytes(mats[record])))["val"]
                    except Exception as exc:
                        raise DataError(f"cannot read {mats[record]} ({type(exc).__name__}: {exc})",
                                        "re-download training2017.zip") from exc
                    val = np.asarray(val, dtype=np.float32).reshape(-1)[:samples]
                    block[i, 0, : val.size] = (val - baseline) / gain
                    lengths[i] = val.size
                    bar.update(1)
                writer.append(block, chunk, n_samples=lengths)
            onehot = {name: (classes == CLASSES[code]).astype(np.float32)
                      for name, code in (("af", "A"), ("normal", "N"), ("other", "O"), ("noisy", "~"))}
            table = {"participant_id": records, **onehot, "rhythm_class": classes}
            writer.set_participants(table, kinds=KINDS)


