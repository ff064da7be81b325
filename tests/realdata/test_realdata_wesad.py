"""WESAD builder on a small release the test writes in the official layout (WESAD/S#/S#.pkl latin1 pickle,
S#_readme.txt): fixture-only (no real copy here); the malicious-pickle refusal; the window stress task."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from harness.catalog import build_dataset
from harness.errors import DataError
from harness.store import open_store, validate_store

BVP_FS, LABEL_FS = 64, 700
#: protocol blocks (id, seconds): transient, baseline, stress, amusement, ignore, meditation
PROTOCOL = [(0, 30), (1, 240), (2, 180), (3, 120), (6, 60), (4, 120)]
SUBJECTS = {2: ("27", "male", "175", "80"), 3: ("27", "female", "160", "55"), 4: ("25", "male", "180", "?"),
            5: ("35", "female", "170", "70"), 6: ("28", "male", "178", "75"), 7: ("24", "female", "165", "60")}


def _subject(number: int) -> dict:
    rng = np.random.default_rng(number)
    label = np.concatenate([np.full(s * LABEL_FS, i) for i, s in PROTOCOL])
    seconds = sum(s for _, s in PROTOCOL)
    t = np.arange(seconds * BVP_FS) / BVP_FS
    rate = np.interp(t, np.arange(label.size)[:: LABEL_FS] / LABEL_FS, (label[:: LABEL_FS] == 2) * 25.0) + 65
    bvp = np.sin(2 * np.pi * np.cumsum(rate / 60) / BVP_FS) + 0.05 * rng.standard_normal(t.size)
    return {"signal": {"chest": {"ECG": np.zeros((label.size, 1))},
                       "wrist": {"BVP": bvp[:, None], "ACC": np.zeros((seconds * 32, 3)),
                                 "EDA": np.zeros((seconds * 4, 1)), "TEMP": np.zeros((seconds * 4, 1))}},
            "label": label.astype(np.int64), "subject": f"S{number}"}


def write_release(root: Path) -> Path:
    folder = root / "WESAD"
    for number, (age, gender, height, weight) in SUBJECTS.items():
        sub = folder / f"S{number}"
        sub.mkdir(parents=True)
        (sub / f"S{number}.pkl").write_bytes(pickle.dumps(_subject(number), protocol=2))
        (sub / f"S{number}_readme.txt").write_text(
            f"### Personal information ###\r\n\r\nAge: {age}\r\nHeight (cm): {height}\r\nWeight (kg): {weight}\r\n"
            f"Gender: {gender}\r\nDominant hand: right\r\n\r\n### Study pre-requisites ###\r\n"
            "Did you drink coffee today? NO\r\n")
        (sub / f"S{number}_quest.csv").write_text("# Subj;S2;\n")
    return folder


def test_wesad_windows_conditions_and_participants(tmp_path):
    store = open_store(build_dataset("wesad", source=write_release(tmp_path), output=tmp_path / "s",
                                     progress=False))
    assert validate_store(store.path) == []
    assert (store.fs, store.samples, store.channel_names) == (64.0, 3840, ["BVP"])
    assert store.segment_labels == ["condition", "stress"]
    table = store.participants
    assert list(table.index) == [f"S{n}" for n in SUBJECTS]
    assert table.loc["S3", "sex"] == 1 and table.loc["S2", "sex"] == 0
    assert table.loc["S2", "bmi"] == pytest.approx(80 / 1.75 ** 2) and np.isnan(table.loc["S4", "weight"])
    # 60 s windows every 15 s that are >= 90 % one condition: baseline 30-270 s -> starts 30..210 (13),
    # stress 270-450 -> 9, amusement 450-570 -> 5, ignore (6) none, meditation 630-750 -> 5
    assert store.attrs["build"]["windows_per_subject"] == {f"S{n}": 32 for n in SUBJECTS}
    stress = store.segment_label("stress")[:32]
    assert (stress == 0).sum() == 13 and (stress == 1).sum() == 9 and np.isnan(stress).sum() == 10


def test_wesad_malicious_pickle_does_not_run(tmp_path):
    class _Boom:
        def __reduce__(self):
            import os
            return (os.system, (f"touch {tmp_path / 'PWNED-dsetsb'}",))

    folder = write_release(tmp_path / "rel")
    (folder / "S2" / "S2.pkl").write_bytes(pickle.dumps({"signal": _Boom()}, protocol=2))
    with pytest.raises(DataError):
        build_dataset("wesad", source=folder, output=tmp_path / "s", progress=False)
    assert not (tmp_path / "PWNED-dsetsb").exists() and not (tmp_path / "s").exists()


def test_wesad_stress_task_runs(tmp_path):
    from tests.conftest import run_cli

    path = build_dataset("wesad", source=write_release(tmp_path / "rel"), output=tmp_path / "s", progress=False)
    code, out, err = run_cli("run", "--encoder", "handcrafted", "--task", "stress", "--dataset", str(path),
                             "--folds", "3", "--bootstrap", "50", "--output", str(tmp_path / "cli"), "--quiet")
    assert code == 0, err
    assert "handcrafted · stress" in out and "n=6 participants" in out
