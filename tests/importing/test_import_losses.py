"""Issue 15 import defects: nothing is lost silently, and every refused input names file, line and fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.errors import DataError
from harness.importers import import_csv, read_labels
from harness.store import open_store, validate_store
from tests.importing.helpers import wave, write_csv, write_labels


def _csv(src: Path, name: str, seconds: float = 3, fs: float = 50, seed: int = 0, **kw) -> np.ndarray:
    data = wave(seconds, fs, seed)
    write_csv(src / f"{name}.csv", data, kw.pop("header", ["ppg"]), **kw)
    return data


def test_same_file_name_in_participant_folders_gives_one_record_each(tmp_path, seen):
    src = tmp_path / "src"
    for i in range(15):
        _csv(src / f"p{i:02d}", "BVP", seed=i)
    rows = [f"p{i:02d}/BVP,p{i:02d},{30 + i},F" for i in range(15)]
    store = open_store(import_csv(src, write_labels(tmp_path / "l.csv", rows), "x", tmp_path / "s",
                                  fs=50.0, modality="ppg", warn=seen.append))
    assert store.n_segments == 15 and store.n_participants == 15
    assert seen == []


def test_bare_names_of_same_named_files_are_refused_naming_them(tmp_path):
    src = tmp_path / "src"
    for pid in ("a", "b"):
        _csv(src / pid, "BVP")
    with pytest.raises(DataError, match=r"2 files have that name.*a/BVP, b/BVP") as info:
        import_csv(src, write_labels(tmp_path / "l.csv", ["BVP,p1,30,F"]), "x", tmp_path / "s", fs=50.0,
                   modality="ppg", warn=lambda line: None)
    assert "relative to SOURCE_DIR" in info.value.fix
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("no_header", [None, False])
def test_csv_without_header_keeps_its_first_sample(tmp_path, seen, no_header):
    src = tmp_path / "src"
    data = _csv(src, "r1", header=None)
    _csv(src, "r2", header=None, seed=1)
    labels = write_labels(tmp_path / "l.csv", ["r1,p1,30,F", "r2,p2,40,M"])
    store = open_store(import_csv(src, labels, "x", tmp_path / "s", fs=50.0, modality="ppg",
                                  header=no_header, warn=seen.append))
    assert store.n_valid.tolist() == [len(data), len(data)]
    np.testing.assert_allclose(store.read(0, 1)[0, 0, : len(data)], data[:, 0], atol=1e-5)
    assert store.channel_names == ["ch1"]


@pytest.mark.parametrize("case, write, options, needles", [
    ("semicolons", dict(sep=";"), {}, ["line 1", "--delimiter ';'"]),
    ("decimal commas", dict(sep=";", decimal=","), dict(delimiter=";"), ["line 2", "'ppg'", "--decimal ,"]),
    ("decimal commas, comma file", dict(sep=",", decimal=","), {}, ["line 2", "--decimal ,"]),
])
def test_delimiter_and_decimal_problems_name_line_and_fix(tmp_path, case, write, options, needles):
    src = tmp_path / "src"
    data = wave(2, 50, 0)
    write_csv(src / "r1.csv", np.c_[data, data], ["ppg", "red"], **write)
    labels = write_labels(tmp_path / "l.csv", ["r1,p1,30,F"])
    with pytest.raises(DataError) as info:
        import_csv(src, labels, "x", tmp_path / "s", fs=50.0, modality="ppg", warn=lambda line: None, **options)
    line = str(info.value)
    assert "\n" not in line and "NaN or inf" not in line and "r1.csv" in line
    for needle in needles:
        assert needle in line, line


def test_decimal_comma_file_imports_with_delimiter_and_decimal(tmp_path):
    src = tmp_path / "src"
    data = wave(2, 50, 0)
    write_csv(src / "r1.csv", np.c_[data, data], ["ppg", "red"], sep=";", decimal=",")
    store = open_store(import_csv(src, write_labels(tmp_path / "l.csv", ["r1,p1,30,F"]), "x", tmp_path / "s",
                                  fs=50.0, modality="ppg", delimiter=";", decimal=",", warn=lambda line: None))
    np.testing.assert_allclose(store.read(0, 1)[0, 0, :100], data[:, 0], atol=1e-5)


def test_text_in_a_signal_column_names_file_line_and_column(tmp_path):
    src = tmp_path / "src"
    _csv(src, "r1")
    text = (src / "r1.csv").read_text().splitlines()
    text[4] = "oops"
    (src / "r1.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(DataError, match=r"r1.csv line 5, column 'ppg' holds 'oops', which is not a number"):
        import_csv(src, write_labels(tmp_path / "l.csv", ["r1,p1,30,F"]), "x", tmp_path / "s", fs=50.0,
                   modality="ppg", warn=lambda line: None)


def test_empty_files_are_reported_as_empty_not_flat(tmp_path, seen):
    src = tmp_path / "src"
    _csv(src, "good")
    (src / "blank.csv").write_text("")
    (src / "header_only.csv").write_text("ppg\n")
    labels = write_labels(tmp_path / "l.csv", ["good,p1,30,F", "blank,p2,40,M", "header_only,p3,50,F"])
    store = open_store(import_csv(src, labels, "x", tmp_path / "s", fs=50.0, modality="ppg", warn=seen.append))
    assert store.n_segments == 1
    assert len(seen) == 1 and "2 records are empty" in seen[0] and "blank" in seen[0] and "flat" not in seen[0]


def test_csv_with_only_a_time_column_is_a_data_error(tmp_path):
    src = tmp_path / "src"
    (src).mkdir()
    (src / "r1.csv").write_text("time\n0.0\n0.02\n0.04\n")
    with pytest.raises(DataError, match="holds only a time column"):
        import_csv(src, write_labels(tmp_path / "l.csv", ["r1,p1,30,F"]), "x", tmp_path / "s", fs=50.0,
                   modality="ppg", warn=lambda line: None)
    assert list(tmp_path.glob("*.tmp-*")) == []


def test_text_t_start_is_refused(tmp_path):
    labels = write_labels(tmp_path / "l.csv", ["a,p1,yesterday,30"], header="record,participant_id,t_start,age")
    with pytest.raises(DataError, match=r"t_start \(seconds\) is not numeric for records a"):
        read_labels(labels)


@pytest.mark.parametrize("column, value, accepted", [
    ("age", "-5", "0-120"), ("age", "400", "0-120"), ("bmi", "0", "10-80"), ("bmi", "-1e9", "10-80"),
])
def test_labels_outside_physiological_ranges_are_refused_with_the_range(tmp_path, column, value, accepted):
    labels = write_labels(tmp_path / "l.csv", ["a,p1,40,22", f"b,p2,{value if column == 'age' else 40},"
                                               f"{value if column == 'bmi' else 22}"],
                          header="record,participant_id,age,bmi")
    with pytest.raises(DataError, match=rf"label '{column}' is .* for records b, outside the accepted range "
                                        rf"{accepted}"):
        read_labels(labels)


@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity"])
def test_infinite_labels_are_refused(tmp_path, value):
    labels = write_labels(tmp_path / "l.csv", [f"a,p1,{value}"], header="record,participant_id,age")
    with pytest.raises(DataError, match="label 'age' is infinite for records a"):
        read_labels(labels)


def test_flag_labels_must_be_zero_or_one(tmp_path):
    labels = write_labels(tmp_path / "l.csv", ["a,p1,2"], header="record,participant_id,af")
    with pytest.raises(DataError, match="0/1 flag"):
        read_labels(labels)


def test_usual_missing_spellings_any_case_are_missing(tmp_path):
    rows = [f"r{i},p{i},{v}" for i, v in enumerate(["NaN", "na", "N/A", "null", "", "NA", "nan", "None", "42"])]
    table = read_labels(write_labels(tmp_path / "l.csv", rows, header="record,participant_id,age"))
    assert table["age"].isna().tolist() == [True] * 8 + [False]
    assert table["age"].iloc[-1] == 42


def test_label_sheet_with_bom_windows_line_ends_and_sex_words(tmp_path):
    path = tmp_path / "l.csv"
    rows = ["record,participant_id,age,sex", "a,p1,30,male", "b,p2,31,female", "c,p3,32,m", "d,p4,33,F",
            "e,p5,34, "]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n")
    table = read_labels(path)
    assert list(table.columns[:2]) == ["record", "participant_id"]
    assert table["record"].tolist() == ["a", "b", "c", "d", "e"]
    assert table["sex"].tolist()[:4] == [0.0, 1.0, 0.0, 1.0] and np.isnan(table["sex"].iloc[4])


def test_store_records_absolute_source_paths(tmp_path, monkeypatch):
    src = tmp_path / "src"
    _csv(src, "r1")
    _csv(src, "r2", seed=1)
    write_labels(tmp_path / "l.csv", ["r1,p1,30,F", "r2,p2,40,M"])
    monkeypatch.chdir(tmp_path)
    out = import_csv("src", "l.csv", "x", tmp_path / "s", fs=50.0, modality="ppg", warn=lambda line: None)
    store = open_store(out)
    assert validate_store(out) == []
    attrs = store.attrs
    assert attrs["source"] == str(src.resolve())
    assert attrs["build"]["labels_csv"] == str((tmp_path / "l.csv").resolve())


def test_progress_counts_input_samples(tmp_path, monkeypatch):
    import harness.importing.pipeline as pipeline

    totals: list[int] = []
    real = pipeline._progress
    monkeypatch.setattr(pipeline, "_progress", lambda total: totals.append(total) or real(total))
    src = tmp_path / "src"
    _csv(src, "long", seconds=20)
    _csv(src, "short", seconds=2, seed=1)
    import_csv(src, write_labels(tmp_path / "l.csv", ["long,p1,30,F", "short,p2,40,M"]), "x", tmp_path / "s",
               fs=50.0, modality="ppg", warn=lambda line: None)
    assert totals == [22 * 50]


# Found by tests/importing/test_import_fuzz.py: each was a multi-line message or an internal error.
def test_a_line_with_extra_fields_is_one_line_naming_it(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "r1.csv").write_text("ppg,red\n1,2\n3,4\n5,6,7\n")
    with pytest.raises(DataError, match=r"r1.csv line 4 has 3 fields, the first data line 2") as info:
        import_csv(src, write_labels(tmp_path / "l.csv", ["r1,p1,30,F"]), "x", tmp_path / "s", fs=50.0,
                   modality="ppg", warn=lambda line: None)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("header, problem", [("ppg,ppg", "names column 'ppg' twice"),
                                             ("ppg,", "has a column without a name")])
def test_header_rows_with_repeated_or_empty_names(tmp_path, header, problem):
    src = tmp_path / "src"
    src.mkdir()
    (src / "r1.csv").write_text(f"{header}\n1,2\n3,4\n")
    with pytest.raises(DataError, match=problem):
        import_csv(src, write_labels(tmp_path / "l.csv", ["r1,p1,30,F"]), "x", tmp_path / "s", fs=50.0,
                   modality="ppg", warn=lambda line: None)


def test_label_line_with_extra_fields_is_one_line(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("record,age\na,30\nb,1,5\n")
    with pytest.raises(DataError, match=r"l.csv line 3 has 3 fields, the header row 2") as info:
        read_labels(path)
    assert "\n" not in str(info.value) and "quote" in info.value.fix
