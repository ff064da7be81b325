"""Battery: bad imports. Every case is one ``error: problem; fix`` line naming file, line or record and
the fix, exit 2, no traceback, and the store already at the target stays byte-identical (no debris)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.importing.helpers import wave, write_csv, write_e4, write_labels
from tests.realdata.helpers import ecg_like, write_wfdb
from tests.reliability.helpers import fails_cleanly


@pytest.fixture(scope="module")
def target(ws, tmp_path_factory) -> Path:
    """An existing store at the import target that every failing import must leave as it was."""
    path = tmp_path_factory.mktemp("import-target") / "mine.zarr"
    shutil.copytree(ws.store, path)
    return path


def _csv_source(root: Path, body: str | None = None, name: str = "r1") -> tuple[Path, Path]:
    src = root / "src"
    src.mkdir(exist_ok=True)
    if body is None:
        write_csv(src / f"{name}.csv", wave(3, 50, 0), ["ppg"])
    else:
        (src / f"{name}.csv").write_text(body)
    return src, write_labels(root / "labels.csv", [f"{name},p1,30,F"])


def _import(kind: str, src: Path, labels: Path, target: Path, *extra: object) -> list[object]:
    modality = ["--modality", "ppg"] if kind in ("csv", "edf") else []
    # --force: the existing store at the target may be replaced, so each case reaches the importer's own
    # check, and the battery proves a failed import still leaves that store byte-identical
    return ["data", "import", kind, src, "--labels", labels, "--name", "mine", "--output", target, "--force",
            *modality, *extra]


@pytest.mark.parametrize("option, value", [
    ("--fs", "nan"), ("--fs", "0"), ("--fs", "-64"), ("--fs", "inf"), ("--jobs", "0"),
    ("--window-seconds", "-1"), ("--max-windows-per-record", "1.5"),
])
def test_bad_numbers_on_the_command_line(ws, target, tmp_path, option, value):
    src, labels = _csv_source(tmp_path)
    fails_cleanly(_import("csv", src, labels, target, "--fs", "50", option, value), code=2,
                  needles=[option, value, "use "], protect=[*ws.protected, target], env=ws.env, debug=False)


def test_hop_without_window(ws, target, tmp_path):
    src, labels = _csv_source(tmp_path)
    fails_cleanly(_import("csv", src, labels, target, "--fs", "50", "--hop-seconds", "5"), code=2,
                  needles=["need --window-seconds"], protect=[*ws.protected, target], env=ws.env)


def test_decimal_equal_to_delimiter(ws, target, tmp_path):
    src, labels = _csv_source(tmp_path)
    fails_cleanly(_import("csv", src, labels, target, "--fs", "50", "--decimal", ","), code=2,
                  needles=["--delimiter ';'"], protect=[*ws.protected, target], env=ws.env)


@pytest.mark.parametrize("case, body, needles", [
    ("semicolons", "time;ppg\n0.0;1.5\n0.02;1.7\n", ["r1.csv line 1", "--delimiter ';'"]),
    ("decimal commas", "ppg,red\n1,5,2,5\n1,7,2,7\n", ["r1.csv line 2", "--decimal ,"]),
    ("text in a signal column", "ppg\n1.0\n1.2\nabc\n1.1\n", ["line 4, column 'ppg' holds 'abc'"]),
    ("only a time column", "time\n0.0\n0.02\n0.04\n", ["holds only a time column"]),
    ("E4 export as CSV", "1495437325.000000\n64.000000\n1.0\n2.0\n", ["Empatica E4", "data import e4"]),
])
def test_bad_csv_files(ws, target, tmp_path, case, body, needles):
    src, labels = _csv_source(tmp_path, body)
    fails_cleanly(_import("csv", src, labels, target, "--fs", "50"), code=2, needles=needles,
                  protect=[*ws.protected, target], env=ws.env)


def test_csv_without_rate(ws, target, tmp_path):
    src, labels = _csv_source(tmp_path)
    fails_cleanly(_import("csv", src, labels, target), code=2, needles=["no time or rate column", "--fs"],
                  protect=[*ws.protected, target], env=ws.env)


def test_same_named_files_labelled_by_bare_name(ws, target, tmp_path):
    src = tmp_path / "src"
    for pid in ("p01", "p02"):
        write_csv(src / pid / "BVP.csv", wave(3, 50, 0), ["ppg"])
    labels = write_labels(tmp_path / "labels.csv", ["BVP,p1,30,F"])
    fails_cleanly(_import("csv", src, labels, target, "--fs", "50"), code=2,
                  needles=["2 files have that name", "p01/BVP"], protect=[*ws.protected, target], env=ws.env)


@pytest.mark.parametrize("header, row, needles", [
    ("record,participant_id,t_start", "r1,p1,yesterday", ["t_start (seconds) is not numeric for records r1"]),
    ("record,participant_id,age", "r1,p1,-5", ["label 'age' is -5", "accepted range 0-120"]),
    ("record,participant_id,age", "r1,p1,400", ["accepted range 0-120"]),
    ("record,participant_id,age", "r1,p1,inf", ["label 'age' is infinite"]),
    ("record,participant_id,bmi", "r1,p1,0", ["label 'bmi' is 0", "accepted range 10-80"]),
    ("record,participant_id,bmi", "r1,p1,-1e9", ["accepted range 10-80"]),
    ("record,participant_id,af", "r1,p1,2", ["0/1 flag"]),
])
def test_bad_label_values(ws, target, tmp_path, header, row, needles):
    src, _ = _csv_source(tmp_path)
    labels = write_labels(tmp_path / "bad.csv", [row], header=header)
    fails_cleanly(_import("csv", src, labels, target, "--fs", "50"), code=2, needles=needles,
                  protect=[*ws.protected, target], env=ws.env)


def _wfdb(root: Path, layouts: dict[str, tuple[list[str], float]]) -> tuple[Path, Path]:
    src = root / "wfdb"
    for i, (name, (leads, fs)) in enumerate(layouts.items()):
        write_wfdb(src, name, ecg_like(5, fs, len(leads), seed=i), fs, names=leads)
    return src, write_labels(root / "labels.csv", [f"{n},{n},40,F" for n in layouts])


def test_no_common_channel(ws, target, tmp_path):
    src, labels = _wfdb(tmp_path, {"101": (["MLII", "V1"], 360.0), "102": (["V5", "V2"], 360.0)})
    fails_cleanly(_import("wfdb", src, labels, target), code=2,
                  needles=["no channel is common to every record", "--channels"], protect=[*ws.protected, target],
                  env=ws.env)


def test_requested_channel_nobody_has(ws, target, tmp_path):
    src, labels = _wfdb(tmp_path, {"101": (["MLII", "V1"], 360.0)})
    fails_cleanly(_import("wfdb", src, labels, target, "--channels", "V6"), code=2,
                  needles=["no record has channels V6", "MLII + V1 (1)"], protect=[*ws.protected, target], env=ws.env)


def test_mixed_rates_without_fs(ws, target, tmp_path):
    src, labels = _wfdb(tmp_path, {"a": (["ECG"], 250.0), "b": (["ECG"], 500.0)})
    fails_cleanly(_import("wfdb", src, labels, target), code=2,
                  needles=["250 Hz: a; 500 Hz: b", "--fs HZ"], protect=[*ws.protected, target], env=ws.env)


def test_damaged_edf(ws, target, tmp_path):
    src = tmp_path / "edf"
    src.mkdir()
    (src / "n1.edf").write_bytes(b"0       not an edf header" + bytes(200))
    labels = write_labels(tmp_path / "labels.csv", ["n1,p1,30,F"])
    fails_cleanly(_import("edf", src, labels, target), code=2, needles=["cannot read EDF/BDF file n1"],
                  protect=[*ws.protected, target], env=ws.env)


def test_e4_file_without_its_two_header_lines(ws, target, tmp_path):
    src = tmp_path / "e4"
    write_e4(src / "S1", wave(5, 64, 0), 64.0, 1495437325.0)
    lines = (src / "S1" / "BVP.csv").read_text().splitlines()
    (src / "S1" / "BVP.csv").write_text("\n".join(["BVP", *lines[2:]]) + "\n")
    labels = write_labels(tmp_path / "labels.csv", ["S1,S1,30,F"])
    fails_cleanly(_import("e4", src, labels, target), code=2,
                  needles=["does not start with the E4 start-time and rate lines"],
                  protect=[*ws.protected, target], env=ws.env)
