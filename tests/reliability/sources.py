"""Small fake source releases (never real recordings) for the source-file cases of the battery."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

PPGBP_SHEET_COLUMNS = ["Num.", "subject_ID", "Sex(M/F)", "Age(year)", "Height(cm)", "Weight(kg)",
                       "Systolic Blood Pressure(mmHg)", "Diastolic Blood Pressure(mmHg)", "Heart Rate(b/m)",
                       "BMI(kg/m^2)", "Hypertension", "Diabetes", "cerebral infarction", "cerebrovascular disease"]


def ppgbp_zip(path: Path, subjects: int = 4) -> Path:
    """A zip shaped like the PPG-BP release: a label workbook and 3 x 2100-value segment files per subject."""
    rows = [[i + 1, s, "F" if s % 2 else "M", 30 + s, 170, 70, 120, 80, 70, 24.2, "Normal", "", "", ""]
            for i, s in enumerate(range(1, subjects + 1))]
    sheet = io.BytesIO()
    pd.DataFrame(rows, columns=PPGBP_SHEET_COLUMNS).to_excel(sheet, index=False, startrow=1)
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("Data File/PPG-BP dataset.xlsx", sheet.getvalue())
        for s in range(1, subjects + 1):
            for k in (1, 2, 3):
                values = rng.integers(1500, 2500, 2100)
                zf.writestr(f"Data File/0_subject/{s}_{k}.txt", "\t".join(map(str, values)))
    return path


def corrupt_member(archive: Path, member: str) -> None:
    """Overwrite bytes inside one stored member so its CRC no longer matches (the zip still opens)."""
    data = bytearray(archive.read_bytes())
    at = data.find(member.encode()) + len(member) + 200
    data[at:at + 16] = b"\x00" * 16
    archive.write_bytes(bytes(data))


def wfdb_folder(folder: Path, labels: Path, records: int = 4) -> Path:
    """WFDB records r0..rN (1 lead, 100 Hz, 20 s) and a labels.csv naming them."""
    import wfdb

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(records):
        signal = np.random.default_rng(i).standard_normal((2000, 1))
        wfdb.wrsamp(f"r{i}", fs=100, units=["mV"], sig_name=["I"], p_signal=signal, fmt=["16"],
                    write_dir=str(folder))
    labels.write_text("record,age\n" + "".join(f"r{i},{30 + i}\n" for i in range(records)))
    return folder


def csv_folder(folder: Path, records: int = 4) -> Path:
    """CSV records r0..rN, one ``ppg`` column of 640 samples."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(records):
        values = np.random.default_rng(i).standard_normal(640)
        (folder / f"r{i}.csv").write_text("ppg\n" + "\n".join(f"{v:.5f}" for v in values) + "\n")
    return folder
