"""MIT-BIH Arrhythmia builder on a small release the test writes in the official mitdb 1.0.0 layout
(format 212 two-lead records, header comments, .atr rhythm notes): fixture-only, no real copy here."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

from harness.catalog import build_dataset
from harness.store import open_store, validate_store
from tests.realdata.helpers import ecg_like

FS = 360
SECONDS = 60
#: record -> (leads, header comment, AFIB seconds at the start of the record)
RECORDS = {
    "100": (["MLII", "V5"], "69 M 1085 1629 x1", 0),
    "101": (["MLII", "V1"], "75 F 1011 654 x1", 0),
    "102": (["V5", "V2"], "84 F 1525 167 x1", 0),  # no MLII: skipped
    "103": (["MLII", "V2"], "? M 1082 1629 x1", 0),  # unknown age
    "105": (["MLII", "V1"], "73 F 1624 1629 x1", 0),
    "106": (["MLII", "V1"], "24 F 1045 1629 x1", 0),
    "201": (["MLII", "V1"], "68 M 1085 1629 x1", 30),
    "202": (["MLII", "V1"], "68 M 1085 1629 x1", 15),  # same man as 201
    "203": (["MLII", "V1"], "43 M 1085 1629 x1", 60),
    "210": (["MLII", "V1"], "89 M 1624 1629 x1", 45),
    "219": (["MLII", "V1"], "? M 1085 1629 x1", 6),
}


def write_release(root: Path) -> Path:
    """mit-bih-arrhythmia-database-1.0.0/ with 100.hea/.dat/.atr ... as PhysioNet distributes it."""
    import wfdb

    folder = root / "mit-bih-arrhythmia-database-1.0.0"
    folder.mkdir(parents=True)
    for i, (rec, (leads, comment, af_s)) in enumerate(RECORDS.items()):
        signal = ecg_like(SECONDS, FS, 2, seed=i) + 0.1 * i
        wfdb.wrsamp(rec, fs=FS, units=["mV", "mV"], sig_name=leads, p_signal=signal, fmt=["212", "212"],
                    adc_gain=[200.0, 200.0], baseline=[1024, 1024], comments=[comment, "Medications: none"],
                    write_dir=str(folder))
        beats = np.arange(FS // 2, SECONDS * FS, FS)
        samples, symbols, aux = list(beats), ["N"] * beats.size, [""] * beats.size
        notes = [(1, "(AFIB"), (af_s * FS, "(N")] if af_s else [(1, "(N")]
        for at, rhythm in notes:
            if at < SECONDS * FS:
                samples.append(at)
                symbols.append("+")
                aux.append(rhythm)
        order = np.argsort(samples, kind="stable")
        wfdb.wrann(rec, "atr", np.asarray(samples)[order], symbol=[symbols[j] for j in order],
                   aux_note=[aux[j] for j in order], fs=FS, write_dir=str(folder))
    return folder


def test_mitdb_participants_labels_and_quirks(tmp_path, capfd):
    store = open_store(build_dataset("mitdb", source=write_release(tmp_path), output=tmp_path / "s",
                                     progress=False))
    assert validate_store(store.path) == []
    assert (store.fs, store.samples, store.channel_names) == (360.0, 3600, ["MLII"])
    assert "skipped records without MLII: 102" in capfd.readouterr().err
    assert store.attrs["build"]["skipped_without_mlii"] == ["102"]
    table = store.participants
    ids = list(table.index)
    assert ids == ["100", "101", "103", "105", "106", "201", "203", "210", "219"]  # 202 joins 201
    assert table.loc["100", "sex"] == 0 and table.loc["101", "sex"] == 1
    assert math.isnan(table.loc["103", "age"]) and table.loc["100", "age"] == 69
    burden = table["af_burden"]
    assert burden["201"] == pytest.approx((30 - 1 / FS + 15 - 1 / FS) / 120, abs=1e-3)
    assert burden["203"] == pytest.approx(1.0, abs=1e-3) and burden["100"] == 0
    assert list(table["af"]) == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    pids = store.participant_ids
    assert (pids == "201").sum() == 12 and len(pids) == 9 * 6 + 6


def test_mitdb_zip_gives_the_same_revision_and_runs(tmp_path):
    from tests.conftest import run_cli

    folder = write_release(tmp_path / "rel")
    archive = tmp_path / "mit-bih-arrhythmia-database-1.0.0.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(folder.rglob("*")):
            zf.write(p, p.relative_to(folder.parent).as_posix())
    a = open_store(build_dataset("mitdb", source=folder, output=tmp_path / "a", progress=False))
    b = open_store(build_dataset("mitdb", source=archive, output=tmp_path / "b", progress=False))
    assert a.revision == b.revision
    code, out, err = run_cli("run", "--encoder", "handcrafted", "--task", "af", "--dataset", str(a.path),
                             "--folds", "3", "--bootstrap", "50", "--output", str(tmp_path / "cli"), "--quiet")
    assert code == 0, err
    assert "handcrafted · af" in out


def test_mitdb_card_and_fetch_from_a_loopback_server_then_build(tmp_path):
    """The card's PhysioNet layout (zip + SHA256SUMS.txt of the extracted files) served locally."""
    import hashlib

    from harness.cards import load_card, parse_card
    from harness.fetch import fetch
    from tests.realdata.test_realdata_fetch import _Server

    card = load_card("mitdb")
    assert card.downloads[0].url.startswith("https://physionet.org/") and card.license == "ODC-By-1.0"
    assert set(card.labels) == {"age", "sex", "af", "af_burden"}
    folder = write_release(tmp_path / "rel")
    buf = tmp_path / "mitdb.zip"
    with zipfile.ZipFile(buf, "w") as zf:
        for p in sorted(folder.rglob("*")):
            zf.write(p, p.relative_to(folder.parent).as_posix())
    sums = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(folder).as_posix()}\n"
                   for p in sorted(folder.rglob("*")))
    srv = _Server()
    try:
        srv.files["/mitdb.zip"] = buf.read_bytes()
        srv.files["/SHA256SUMS.txt"] = sums.encode()
        local = parse_card({"name": "mitdb", "title": card.title, "modality": "ecg", "homepage": card.homepage,
                            "license": card.license, "citation": card.citation, "split_unit": card.split_unit,
                            "labels": {"af": {"meaning": "af", "kind": "binary"}},
                            "downloads": [{"url": f"{srv.url}/mitdb.zip",
                                           "filename": card.downloads[0].filename,
                                           "checksum_list": f"{srv.url}/SHA256SUMS.txt"}]})
        path = fetch(local, tmp_path / "dl")
    finally:
        srv.close()
    store = open_store(build_dataset("mitdb", source=path, output=tmp_path / "s", progress=False))
    assert store.n_participants == 9 and validate_store(store.path) == []


def test_af_burden_regression_task_runs_on_mitdb(tmp_path):
    from tests.conftest import run_cli

    store = build_dataset("mitdb", source=write_release(tmp_path / "rel"), output=tmp_path / "s", progress=False)
    code, out, err = run_cli("run", "--encoder", "handcrafted", "--task", "af-burden", "--dataset", str(store),
                             "--folds", "3", "--bootstrap", "50", "--output", str(tmp_path / "cli"), "--quiet")
    assert code == 0, err
    assert "handcrafted · af-burden" in out and "n=9 participants" in out


def test_mitdb_and_wesad_pass_the_dataset_conformance_check(tmp_path):
    from harness.plugins import get_host
    from harness.testing import check_dataset
    from tests.realdata.test_realdata_wesad import write_release as write_wesad

    datasets = get_host().datasets
    check_dataset(datasets.spec("mitdb"), source=write_release(tmp_path / "m"), workdir=tmp_path)
    check_dataset(datasets.spec("wesad"), source=write_wesad(tmp_path / "w"), workdir=tmp_path)
