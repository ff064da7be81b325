"""Each format on a fixture the test writes in that exact layout: EDF+/BDF+ (pyedflib), Empatica E4
exports (one folder per participant), CSV with a time or rate column, and Parquet."""

from __future__ import annotations

import numpy as np
import pytest

from harness.errors import DataError
from harness.importers import import_csv, import_e4, import_edf
from harness.store import open_store, validate_store
from tests.conftest import run_cli
from tests.importing.helpers import wave, write_csv, write_e4, write_edf, write_labels


@pytest.mark.parametrize("bdf", [False, True])
def test_edf_and_bdf_records_import_with_channel_choice(tmp_path, seen, bdf):
    src = tmp_path / "edf"
    ext = "bdf" if bdf else "edf"
    signals = {}
    for i, name in enumerate(("n1", "n2")):
        ecg, ppg = wave(20, 256, i)[:, 0], wave(20, 128, i + 10)[:, 0]
        write_edf(src / f"{name}.{ext}", [ecg, ppg], [256, 128], ["ECG1", "Pleth"], bdf=bdf)
        signals[name] = ppg
    labels = write_labels(tmp_path / "l.csv", ["n1,p1,40,F", "n2,p2,50,M"])
    out = import_edf(src, labels, "e", tmp_path / "s", modality="ppg", channels=["PPG"], warn=seen.append)
    store = open_store(out)
    assert validate_store(out) == [] and seen == []
    assert (store.fs, store.channel_names, store.n_valid.tolist()) == (128.0, ["PPG"], [2560, 2560])
    np.testing.assert_allclose(store.read(0, 1)[0, 0, :2560], signals["n1"], atol=2e-3)
    assert store.attrs["units"] == "mV"


def test_edf_channels_at_different_rates_need_fs(tmp_path):
    src = tmp_path / "edf"
    write_edf(src / "n1.edf", [wave(10, 256, 0)[:, 0], wave(10, 128, 1)[:, 0]], [256, 128], ["ECG", "PPG"])
    labels = write_labels(tmp_path / "l.csv", ["n1,p1,40,F"])
    with pytest.raises(DataError, match="different sampling rates"):
        import_edf(src, labels, "e", tmp_path / "s", modality="ecg", warn=lambda line: None)
    store = open_store(import_edf(src, labels, "e", tmp_path / "s", modality="ecg", fs=64.0,
                                  warn=lambda line: None))
    assert store.channel_names == ["ECG", "PPG"] and store.n_valid.tolist() == [640]


def test_e4_folders_import_one_record_per_participant(tmp_path, seen):
    src = tmp_path / "e4"
    data = {}
    for i, pid in enumerate(("S1", "S2", "S3")):
        data[pid] = wave(30, 64, i)
        write_e4(src / pid, data[pid], 64.0, 1495437325.0 + i)
        write_e4(src / pid, wave(30, 32, i, channels=3) * 20, 32.0, 1495437325.0, name="ACC")
    labels = write_labels(tmp_path / "l.csv", ["S1,,30,F", "S2,,31,M", "S3,,32,f"])
    out = import_e4(src, labels, "e4", tmp_path / "s", window_seconds=10, warn=seen.append)
    store = open_store(out)
    assert validate_store(out) == [] and seen == []
    assert store.participant_ids.tolist() == ["S1"] * 3 + ["S2"] * 3 + ["S3"] * 3
    assert (store.fs, store.channel_names, store.samples) == (64.0, ["BVP"], 640)
    np.testing.assert_allclose(store.read(3, 4)[0, 0], data["S2"][:640, 0], atol=6e-3)
    acc = open_store(import_e4(src, labels, "acc", tmp_path / "a", signal="ACC", warn=lambda line: None))
    assert acc.channel_names == ["x", "y", "z"] and acc.fs == 32.0


def test_e4_files_given_to_the_csv_importer_are_refused(tmp_path):
    src = tmp_path / "e4"
    write_e4(src / "S1", wave(5, 64, 0), 64.0, 1495437325.0)
    with pytest.raises(DataError, match="looks like an Empatica E4 export") as info:
        import_csv(src, write_labels(tmp_path / "l.csv", ["S1/BVP,S1,30,F"]), "x", tmp_path / "s", fs=64.0,
                   modality="ppg", warn=lambda line: None)
    assert "data import e4" in info.value.fix


def test_csv_time_column_gives_the_rate(tmp_path):
    src = tmp_path / "csv"
    for i in range(2):
        write_csv(src / f"r{i}.csv", wave(5, 128, i), ["green"], time_fs=128.0)
    labels = write_labels(tmp_path / "l.csv", ["r0,p1,30,F", "r1,p2,40,M"])
    store = open_store(import_csv(src, labels, "x", tmp_path / "s", modality="ppg", warn=lambda line: None))
    assert store.fs == 128.0 and store.n_valid.tolist() == [640, 640]
    write_csv(src / "r1.csv", wave(5, 64, 1), ["green"], time_fs=64.0)
    with pytest.raises(DataError, match=r"different sampling rates \(64 Hz: r1; 128 Hz: r0\)"):
        import_csv(src, labels, "x", tmp_path / "s2", modality="ppg", warn=lambda line: None)
    store = open_store(import_csv(src, labels, "x", tmp_path / "s3", modality="ppg", fs=64.0,
                                  warn=lambda line: None))
    assert store.fs == 64.0 and store.n_valid.tolist() == [320, 320]


def test_csv_rate_column_and_missing_rate(tmp_path):
    src = tmp_path / "csv"
    src.mkdir()
    rows = "\n".join(f"{v:.5f},50" for v in wave(4, 50, 0)[:, 0])
    (src / "r0.csv").write_text("ppg,fs\n" + rows + "\n")
    labels = write_labels(tmp_path / "l.csv", ["r0,p1,30,F"])
    store = open_store(import_csv(src, labels, "x", tmp_path / "s", modality="ppg", warn=lambda line: None))
    assert store.fs == 50.0 and store.channel_names == ["ppg"]
    write_csv(src / "r0.csv", wave(4, 50, 0), ["ppg"])
    with pytest.raises(DataError, match="has no time or rate column, so its rate is unknown"):
        import_csv(src, labels, "x", tmp_path / "s2", modality="ppg", warn=lambda line: None)


def test_parquet_records(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    src = tmp_path / "pq"
    src.mkdir()
    for i in range(2):
        data = wave(5, 100, i)[:, 0]
        pd.DataFrame({"time": np.arange(500) / 100.0, "ppg": data}).to_parquet(src / f"r{i}.parquet")
    labels = write_labels(tmp_path / "l.csv", ["r0,p1,30,F", "r1,p2,40,M"])
    store = open_store(import_csv(src, labels, "x", tmp_path / "s", modality="ppg", warn=lambda line: None))
    assert store.fs == 100.0 and store.channel_names == ["ppg"]
    np.testing.assert_allclose(store.read(1, 2)[0, 0], wave(5, 100, 1)[:, 0], atol=1e-6)


def test_cli_edf_and_e4(tmp_path):
    src = tmp_path / "edf"
    write_edf(src / "n1.edf", [wave(10, 128, 0)[:, 0]], [128], ["PPG"])
    write_edf(src / "n2.edf", [wave(10, 128, 1)[:, 0]], [128], ["PPG"])
    labels = write_labels(tmp_path / "l.csv", ["n1,p1,30,F", "n2,p2,40,M"])
    env = {"HARNESS_HOME": str(tmp_path / "h")}
    code, out, err = run_cli("data", "import", "edf", str(src), "--labels", str(labels), "--name", "edf-t",
                             "--modality", "ppg", "--window-seconds", "5", env=env)
    assert code == 0, err
    assert "2 participants, 4 segments" in out
    e4 = tmp_path / "e4"
    write_e4(e4 / "S1", wave(20, 64, 0), 64.0, 1495437325.0)
    write_e4(e4 / "S2", wave(20, 64, 1), 64.0, 1495437325.0)
    labels = write_labels(tmp_path / "e.csv", ["S1,S1,30,F", "S2,S2,40,M"])
    code, out, err = run_cli("data", "import", "e4", str(e4), "--labels", str(labels), "--name", "e4-t", env=env)
    assert code == 0, err
    assert "ppg 1 ch (BVP) @ 64 Hz" in out


