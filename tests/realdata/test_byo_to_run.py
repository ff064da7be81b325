"""Issue 4's promise: a WFDB folder with a labels CSV imports and is scored by the shipped ahms-ecg."""

from __future__ import annotations

import json

import numpy as np

from tests.conftest import run_cli
from tests.realdata.helpers import ecg_like, write_wfdb


def test_imported_wfdb_folder_runs_with_ahms_ecg_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_HOME", str(tmp_path / "home"))
    src = tmp_path / "wfdb"
    rng = np.random.default_rng(0)
    rows = []
    for i in range(12):
        write_wfdb(src, f"rec{i:02d}", ecg_like(12, 250.0, 2, seed=i), 250.0, names=["I", "II"])
        rows.append(f"rec{i:02d},{30 + 4 * i + rng.integers(0, 3)},{'F' if i % 2 else 'M'}")
    (tmp_path / "labels.csv").write_text("record,age,sex\n" + "\n".join(rows) + "\n")
    code, _, err = run_cli("data", "import", "wfdb", str(src), "--labels", str(tmp_path / "labels.csv"),
                             "--name", "my-ecgs")
    assert code == 0, err
    code, _, err = run_cli("run", "--encoder", "ahms-ecg", "--task", "age", "--dataset", "my-ecgs",
                             "--output", str(tmp_path / "out"), "--quiet", "--folds", "3", "--bootstrap", "50")
    assert code == 0, err
    result = json.loads(next((tmp_path / "out").rglob("age.json")).read_text())
    assert result["dataset"]["name"] == "my-ecgs" and result["counts"]["participants"] == 12
    assert result["encoder"]["name"] == "ahms-ecg" and result["training_overlap"] is False
    adaptation = result["config"]["input_adaptation"]
    assert adaptation["channels"] == "channels ['I'] by name" and adaptation["target_fs"] == 128.0
