"""The PTB-XL builder on a tiny generated release: label rules, grouping, zip = folder, fs option."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from harness.catalog import build_dataset
from harness.errors import DataError
from harness.store import open_store
from tests.realdata.helpers import ecg_like, write_wfdb

LEADS = ["I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6"]
ROWS = [  # ecg_id, patient, age, sex, height, weight, date, scp_codes, fold
    (1, 7.0, 300, 1, 160, 60, "1990-01-01 10:00:00", "{'NORM': 100.0, 'SR': 0.0}", 3),
    (2, 5.0, 40, 0, None, 80, "1991-01-01 10:00:00", "{'IMI': 50.0, 'AFIB': 100.0}", 1),
    (3, 7.0, 301, 1, None, 62, "1990-01-02 10:00:00", "{'LVH': 100.0}", 3),
]


def _release(root: Path) -> Path:
    rel = root / "ptb-xl-fake"
    header = ("ecg_id,patient_id,age,sex,height,weight,recording_date,scp_codes,strat_fold,"
              "filename_lr,filename_hr")
    lines = [header]
    for ecg_id, pid, age, sex, height, weight, date, codes, fold in ROWS:
        name = f"{ecg_id:05d}_lr"
        write_wfdb(rel / "records100" / "00000", name, ecg_like(10, 100, 12, seed=ecg_id), 100, names=LEADS)
        lines.append(f'{ecg_id},{pid},{age},{sex},{height or ""},{weight},{date},"{codes}",{fold},'
                     f"records100/00000/{name},records500/00000/{ecg_id:05d}_hr")
    (rel / "ptbxl_database.csv").write_text("\n".join(lines) + "\n")
    (rel / "scp_statements.csv").write_text(
        ",description,diagnostic,diagnostic_class\nNORM,normal,1.0,NORM\nIMI,inferior MI,1.0,MI\n"
        "LVH,hypertrophy,1.0,HYP\nAFIB,atrial fibrillation,,\nSR,sinus rhythm,,\n")
    return rel


def test_label_rules_grouping_and_zip_equals_folder(tmp_path):
    rel = _release(tmp_path)
    store = open_store(build_dataset("ptb-xl", source=rel, output=tmp_path / "s", progress=False))
    assert store.participant_ids.tolist() == ["7", "7", "5"]  # grouped; first ecg_id first
    assert store.t_start.tolist() == [0.0, 86400.0, 0.0]
    assert store.channel_names[3:6] == ["aVR", "aVL", "aVF"]
    table = store.participants
    assert table.loc["7", "age"] == 90.0 and table.loc["7", "sex"] == 1.0
    assert table.loc["7", "weight"] == 61.0 and table.loc["7", "height"] == 160.0
    assert table.loc["7", "bmi"] == pytest.approx(61 / 1.6**2)
    assert np.isnan(table.loc["5", "bmi"])
    assert (table.loc["7", ["norm", "hyp", "mi", "af"]].tolist()) == [1.0, 1.0, 0.0, 0.0]
    assert (table.loc["5", ["norm", "mi", "af", "strat_fold"]].tolist()) == [0.0, 1.0, 1.0, 1.0]
    archive = Path(shutil.make_archive(str(tmp_path / "rel"), "zip", root_dir=tmp_path, base_dir=rel.name))
    zipped = open_store(build_dataset("ptb-xl", source=archive, output=tmp_path / "z", progress=False))
    assert zipped.revision == store.revision


def test_missing_500hz_records_are_a_clear_error(tmp_path):
    rel = _release(tmp_path)
    with pytest.raises(DataError, match=r"records at 500 Hz \(filename_hr\)"):
        build_dataset("ptb-xl", source=rel, output=tmp_path / "s", options={"fs": 500}, progress=False)
    assert not (tmp_path / "s").exists()


def test_full_release_card_fetch_from_a_loopback_server_then_build(tmp_path):
    """The full-release card (official zip with its top folder + PhysioNet's SHA256SUMS.txt) served locally."""
    import hashlib
    import zipfile

    from harness.cards import load_card, parse_card
    from harness.fetch import fetch
    from tests.realdata.test_realdata_fetch import _Server

    card = load_card("ptb-xl")
    assert card.downloads[0].checksum_list == "https://physionet.org/files/ptb-xl/1.0.3/SHA256SUMS.txt"
    rel = _release(tmp_path / "r")
    top = "ptb-xl-a-large-publicly-available-electrocardiography-dataset-1.0.3"
    archive = tmp_path / "full.zip"
    files = sorted(p for p in rel.rglob("*") if p.is_file())
    with zipfile.ZipFile(archive, "w") as zf:
        for p in files:
            zf.write(p, f"{top}/{p.relative_to(rel).as_posix()}")
    sums = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(rel).as_posix()}\n" for p in files)
    srv = _Server()
    try:
        srv.files["/ptb.zip"] = archive.read_bytes()
        srv.files["/SHA256SUMS.txt"] = sums.encode()
        local = parse_card({"name": "ptb-xl", "title": card.title, "modality": "ecg", "homepage": card.homepage,
                            "license": card.license, "citation": card.citation, "split_unit": card.split_unit,
                            "labels": {"age": {"meaning": "age", "kind": "numeric"}},
                            "downloads": [{"url": f"{srv.url}/ptb.zip", "filename": card.downloads[0].filename,
                                           "checksum_list": f"{srv.url}/SHA256SUMS.txt"}]})
        path = fetch(local, tmp_path / "dl")
    finally:
        srv.close()
    store = open_store(build_dataset("ptb-xl", source=path, output=tmp_path / "s", progress=False))
    assert (store.n_participants, store.n_segments) == (2, 3)
