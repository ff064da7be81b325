"""Real databases as distributed: mixed lead pairs (the MIT-BIH layout), channel aliases, windows of long
recordings, several records of one participant, and mixed sampling rates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.errors import DataError
from harness.importers import import_csv, import_wfdb
from harness.store import open_store, validate_store
from tests.conftest import run_cli
from tests.importing.helpers import write_labels
from tests.realdata.helpers import ecg_like, write_wfdb

FS = 360.0
# MIT-BIH Arrhythmia: most records MLII+V1, some MLII+V5 (or V5+MLII, like 114), 102 and 104 V5+V2.
MITBIH = {"100": ["MLII", "V5"], "101": ["MLII", "V1"], "102": ["V5", "V2"], "103": ["MLII", "V2"],
          "105": ["MLII", "V1"], "114": ["V5", "MLII"], "119": ["MLII", "V1"]}


def _mitbih(root: Path, seconds: float = 30) -> tuple[Path, Path]:
    src = root / "mitdb"
    for i, (name, leads) in enumerate(MITBIH.items()):
        write_wfdb(src, name, ecg_like(seconds, FS, 2, seed=i), FS, names=leads)
    labels = write_labels(root / "labels.csv", [f"{n},{n},{40 + i},{'FM'[i % 2]}" for i, n in enumerate(MITBIH)])
    return src, labels


def test_mixed_lead_pairs_without_channels_are_refused_with_the_fix(tmp_path):
    src, labels = _mitbih(tmp_path)
    with pytest.raises(DataError, match=r"no channel is common to every record.*MLII \+ V1: 3 records") as info:
        import_wfdb(src, labels, "mit", tmp_path / "s", warn=lambda line: None)
    assert "--channels MLII" in info.value.fix


@pytest.mark.parametrize("request_", ["MLII", "mlii", "II"])
def test_mixed_lead_pairs_import_in_one_command_with_channels(tmp_path, seen, request_):
    src, labels = _mitbih(tmp_path)
    store = open_store(import_wfdb(src, labels, "mit", tmp_path / "s", channels=[request_], warn=seen.append))
    assert store.n_segments == 6 and store.channel_names == [request_]
    assert len(seen) == 1 and "lack channel(s)" in seen[0] and "102" in seen[0]
    # 114 stores V5+MLII: its MLII is the second lead of the file
    i = store.participant_ids.tolist().index("114")
    expected = ecg_like(30, FS, 2, seed=list(MITBIH).index("114"))[:, 1]
    np.testing.assert_allclose(store.read(i, i + 1)[0, 0, : expected.size], expected, atol=2e-3)


def test_common_channels_are_used_and_said(tmp_path, seen):
    src = tmp_path / "src"
    write_wfdb(src, "a", ecg_like(10, FS, 2, seed=0), FS, names=["MLII", "V1"])
    write_wfdb(src, "b", ecg_like(10, FS, 2, seed=1), FS, names=["V5", "MLII"])
    labels = write_labels(tmp_path / "l.csv", ["a,p1,40,F", "b,p2,50,M"])
    store = open_store(import_wfdb(src, labels, "x", tmp_path / "s", warn=seen.append))
    assert store.channel_names == ["MLII"]
    assert seen == ["records differ in channels: using MLII, the ones all 2 have (left out: V1, V5); "
                    "pass --channels to choose"]


def test_cli_channels_for_mit_bih_layout(tmp_path):
    src, labels = _mitbih(tmp_path)
    code, out, err = run_cli("data", "import", "wfdb", str(src), "--labels", str(labels), "--name", "mit-t",
                             "--output", str(tmp_path / "s"), "--channels", "MLII",
                             env={"HARNESS_HOME": str(tmp_path / "h")})
    assert code == 0, err
    assert "6 participants, 6 segments" in out and err.count("warning:") == 1


def _long(root: Path, fs: float = 100.0) -> tuple[Path, Path, np.ndarray]:
    src = root / "long"
    a = ecg_like(60, fs, 1, seed=0)
    a[1500:1520] = np.nan  # inside window 1 (10-20 s)
    a[3000:3800] = a[3000]  # window 3 (30-40 s) mostly flat
    write_wfdb(src, "night1", a, fs, names=["ECG"])
    write_wfdb(src, "night2", ecg_like(25, fs, 1, seed=1), fs, names=["ECG"])
    write_wfdb(src, "other", ecg_like(30, fs, 1, seed=2), fs, names=["ECG"])
    labels = write_labels(root / "l.csv", ["night1,sam,40,F", "night2,sam,40,F", "other,kim,50,M"])
    return src, labels, a


def test_windows_cut_long_records_and_drop_unusable_ones(tmp_path, seen):
    src, labels, _ = _long(tmp_path)
    out = import_wfdb(src, labels, "w", tmp_path / "s", window_seconds=10, warn=seen.append)
    store = open_store(out)
    assert validate_store(out) == []
    assert store.samples == 1000
    ids = store.participant_ids.tolist()
    assert ids == ["sam"] * 6 + ["kim"] * 3  # night1: 6 windows - 2 dropped; night2: 2; one participant
    assert store.t_start[:6].tolist() == [0.0, 20.0, 40.0, 50.0, 0.0, 10.0]  # 10 s: NaN, 30 s: flat
    build = store.attrs["build"]["windows"]
    assert (build["dropped_nonfinite"], build["dropped_flat"]) == (1, 1)
    assert any("2 of 11 windows were dropped: 1 hold NaN or inf samples, 1 are mostly flat" in w for w in seen)


def test_window_start_times_follow_labels_t_start(tmp_path):
    src, _, _ = _long(tmp_path)
    labels = write_labels(tmp_path / "t.csv", ["night1,sam,0,40", "night2,sam,3600,40", "other,kim,0,50"],
                          header="record,participant_id,t_start,age")
    store = open_store(import_wfdb(src, labels, "w", tmp_path / "s", window_seconds=10, hop_seconds=5,
                                   max_windows=4, warn=lambda line: None))
    sam = store.t_start[store.participant_ids == "sam"].tolist()
    assert sam[:3] == [0.0, 35.0, 50.0]  # 4 evenly spaced of 11 starts: 0, 15 (holds the NaN), 35, 50 s
    assert sam[3:] == [3600.0, 3605.0, 3610.0, 3615.0]


def test_records_shorter_than_a_window_are_skipped_and_named(tmp_path, seen):
    src, labels, _ = _long(tmp_path)
    store = open_store(import_wfdb(src, labels, "w", tmp_path / "s", window_seconds=28, warn=seen.append))
    assert set(store.participant_ids.tolist()) == {"sam", "kim"}
    assert any("1 records are shorter than one 28 s window" in w and "night2" in w for w in seen)


def test_mixed_rates_are_resampled_to_fs_and_recorded(tmp_path):
    src = tmp_path / "src"
    write_wfdb(src, "a", ecg_like(10, 250.0, 1, seed=0), 250.0, names=["ECG"])
    write_wfdb(src, "b", ecg_like(10, 500.0, 1, seed=1), 500.0, names=["ECG"])
    labels = write_labels(tmp_path / "l.csv", ["a,p1,40,F", "b,p2,50,M"])
    with pytest.raises(DataError, match=r"different sampling rates \(250 Hz: a; 500 Hz: b\)") as info:
        import_wfdb(src, labels, "x", tmp_path / "s", warn=lambda line: None)
    assert "--fs" in info.value.fix
    store = open_store(import_wfdb(src, labels, "x", tmp_path / "s", fs=100.0, resample=True,
                                   warn=lambda line: None))
    assert store.fs == 100.0 and store.n_valid.tolist() == [1000, 1000]
    assert store.attrs["build"]["resampled"] == {"from_hz": [250.0, 500.0], "to_hz": 100.0,
                                                  "method": "scipy.signal.resample_poly"}


def test_a_record_stating_rate_zero_is_refused(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "r1.csv").write_text("ppg,fs\n1.0,0\n2.0,0\n")
    with pytest.raises(DataError, match="rate column 'fs' holds"):
        import_csv(src, write_labels(tmp_path / "l.csv", ["r1,p1,30,F"]), "x", tmp_path / "s", modality="ppg",
                   warn=lambda line: None)
    write_wfdb(tmp_path / "w", "a", ecg_like(2, 100.0, 1, seed=0), 100.0, names=["ECG"])
    header = tmp_path / "w" / "a.hea"
    header.write_text(header.read_text().replace(" 100 ", " 0 ", 1))
    with pytest.raises(DataError, match="state a sampling rate that is not a positive number"):
        import_wfdb(tmp_path / "w", write_labels(tmp_path / "m.csv", ["a,p1,30,F"]), "x", tmp_path / "s",
                    warn=lambda line: None)
