"""Bring-your-own imports: WFDB and CSV folders with labels.csv, and every reported problem case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.errors import DataError
from harness.importers import import_csv, import_wfdb
from harness.store import open_store, validate_store
from tests.conftest import run_cli
from tests.realdata.helpers import ecg_like, write_wfdb

FS = 250.0


def _release(root: Path, records: dict[str, int]) -> Path:
    """WFDB records named like the keys, ``records[name]`` seconds long, 2 leads."""
    src = root / "wfdb"
    for i, (name, seconds) in enumerate(records.items()):
        write_wfdb(src, name, ecg_like(seconds, FS, 2, seed=i), FS, names=["I", "II"])
    return src


def _labels(path: Path, rows: list[str], header: str = "record,participant_id,age,sex,bmi,af") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


@pytest.fixture
def warnings_seen():
    return []


def test_wfdb_import_builds_a_valid_grouped_store(tmp_path, warnings_seen):
    src = _release(tmp_path, {"r1": 4, "r2": 5, "r3": 4, "r4": 6})
    labels = _labels(tmp_path / "labels.csv", ["r1,p1,50,F,22.5,0", "r2,p2,61,M,,1", "r3,p1,50,F,22.5,0",
                                              "r4,p3,,1,30,0"])
    out = import_wfdb(src, labels, "mine", tmp_path / "store", warn=warnings_seen.append)
    store = open_store(out)
    assert validate_store(out) == []
    assert warnings_seen == []
    assert (store.n_segments, store.n_participants, store.fs) == (4, 3, FS)
    assert store.channel_names == ["I", "II"]
    assert store.samples == 6 * FS
    assert store.participant_ids.tolist() == ["p1", "p1", "p2", "p3"]  # grouped by participant
    assert store.n_valid.tolist() == [4 * FS, 4 * FS, 5 * FS, 6 * FS]
    table = store.participants
    assert table.loc["p1", "sex"] == 1.0 and table.loc["p2", "sex"] == 0.0 and table.loc["p3", "sex"] == 1.0
    assert np.isnan(table.loc["p2", "bmi"]) and np.isnan(table.loc["p3", "age"])
    assert table.loc["p2", "af"] == 1.0
    expected = ecg_like(4, FS, 2, seed=0).T
    np.testing.assert_allclose(store.read(0, 1)[0, :, : int(4 * FS)], expected, atol=1e-3)


def test_unlabelled_records_and_rows_without_records_are_skipped_with_warnings(tmp_path, warnings_seen):
    src = _release(tmp_path, {"a": 3, "b": 3, "extra": 3})
    labels = _labels(tmp_path / "labels.csv", ["a,p1,40,M,20,0", "b,p2,41,F,21,0", "ghost,p3,42,F,22,0"])
    store = open_store(import_wfdb(src, labels, "x", tmp_path / "s", warn=warnings_seen.append))
    assert store.n_segments == 2
    assert any("no row in labels.csv" in w and "extra" in w for w in warnings_seen)
    assert any("no record file" in w and "ghost" in w for w in warnings_seen)


def test_nonfinite_and_flat_records_are_skipped_and_named(tmp_path, warnings_seen):
    src = _release(tmp_path, {"good": 3, "good2": 3})
    flat = np.zeros((int(3 * FS), 2))
    write_wfdb(src, "flat", flat, FS, names=["I", "II"])
    labels = _labels(tmp_path / "labels.csv", ["good,p1,40,M,20,0", "good2,p2,40,M,20,0", "flat,p3,41,F,21,0"])
    store = open_store(import_wfdb(src, labels, "x", tmp_path / "s", warn=warnings_seen.append))
    assert store.n_segments == 2
    assert any("flat" in w and "skipped" in w for w in warnings_seen)


def test_csv_import_ignores_time_column_and_skips_nan_records(tmp_path, warnings_seen):
    src = tmp_path / "csv"
    src.mkdir()
    t = np.arange(200) / 100.0
    for i, name in enumerate(("s1", "s2", "s3")):
        green = np.sin(2 * np.pi * (1 + i / 10) * t)
        if name == "s3":
            green[50] = np.nan
        lines = ["time,green,red"] + [f"{a:.3f},{b:.5f},{b * 0.5:.5f}" for a, b in zip(t, green)]
        (src / f"{name}.csv").write_text("\n".join(lines).replace("nan", ""))
    labels = _labels(tmp_path / "labels.csv", ["s1,u1,30,F,20,0", "s2,u2,35,M,22,1", "s3,u3,40,F,25,0"])
    out = import_csv(src, labels, "mycsv", tmp_path / "store", fs=100.0, modality="ppg",
                     warn=warnings_seen.append)
    store = open_store(out)
    assert store.channel_names == ["green", "red"]
    assert (store.n_segments, store.samples, store.modality) == (2, 200, "ppg")
    assert any("NaN or inf" in w and "s3" in w for w in warnings_seen)
    np.testing.assert_allclose(store.read(0, 1)[0, 0], np.sin(2 * np.pi * t), atol=1e-4)


@pytest.mark.parametrize("case, rows, message", [
    ("bad sex", ["a,p1,40,X,20,0", "b,p2,40,M,20,0"], "sex of records a"),
    ("text label", ["a,p1,forty,M,20,0", "b,p2,40,M,20,0"], "label 'age' is not numeric for records a"),
    ("duplicate", ["a,p1,40,M,20,0", "a,p2,40,M,20,0"], "more than once"),
    ("conflict", ["a,p1,40,M,20,0", "b,p1,41,M,20,0"], "differs between records of participant p1"),
    ("nothing matches", ["zz,p1,40,M,20,0"], "no record in"),
])
def test_fatal_label_problems_raise_one_line_and_leave_nothing(tmp_path, case, rows, message):
    src = _release(tmp_path, {"a": 2, "b": 2})
    labels = _labels(tmp_path / "labels.csv", rows)
    out = tmp_path / "stores" / "x"
    with pytest.raises(DataError, match=message) as info:
        import_wfdb(src, labels, "x", out, warn=lambda line: None)
    assert "\n" not in str(info.value) and info.value.fix
    assert not out.exists()
    assert not any(out.parent.glob("*")) if out.parent.exists() else True


def test_mismatched_sampling_rates_are_fatal_and_name_the_records(tmp_path):
    src = _release(tmp_path, {"a": 2})
    write_wfdb(src, "fast", ecg_like(2, 500.0, 2, seed=9), 500.0, names=["I", "II"])
    labels = _labels(tmp_path / "labels.csv", ["a,p1,40,M,20,0", "fast,p2,40,M,20,0"])
    with pytest.raises(DataError, match=r"different sampling rates.*500 Hz: fast"):
        import_wfdb(src, labels, "x", tmp_path / "s", warn=lambda line: None)
    with pytest.raises(DataError, match=r"records fast are not sampled at 250 Hz"):
        import_wfdb(src, labels, "x", tmp_path / "s", fs=250.0, warn=lambda line: None)
    assert not (tmp_path / "s").exists()


def test_cli_import_writes_to_stores_dir_by_name(tmp_path):
    from harness.settings import stores_dir

    src = _release(tmp_path, {"a": 2, "b": 2})
    labels = _labels(tmp_path / "labels.csv", ["a,p1,40,M,20,0", "b,p2,50,F,25,1"])
    code, out, err = run_cli("data", "import", "wfdb", str(src), "--labels", str(labels), "--name", "byo-test")
    assert code == 0, err
    assert "imported byo-test: 2 participants" in out
    assert open_store(stores_dir() / "byo-test").n_participants == 2
    code, out, err = run_cli("data", "import", "wfdb", str(src), "--labels", str(tmp_path / "nope.csv"),
                             "--name", "other")
    assert code == 2 and err.count("\n") == 1 and "nope.csv does not exist" in err
