"""A third-party plugin adds a modality (accelerometry) with its dataset, encoder and task, and
``harness run`` scores it end to end: the core names no modality."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def acc_site(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("acc-site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    "--target", str(target), str(FIXTURES / "acc_plugin")], check=True, capture_output=True,
                   text=True, timeout=180)
    return target


def _harness(*args: str, site: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site), "HARNESS_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.mark.slow
def test_a_plugin_modality_is_listed_and_scored_end_to_end(acc_site, tmp_path):
    home = tmp_path / "home"
    listed = _harness("list", "datasets", site=acc_site, home=home)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith("synthetic-acc"))
    assert row.split()[1] == "acc" and row.split()[2] == "acc"
    encoders = _harness("list", "encoders", site=acc_site, home=home)
    assert "acc-stats" in encoders.stdout

    out = tmp_path / "results"
    run = _harness("run", "--encoder", "acc-stats,prior", "--task", "fitness", "--output", str(out), "--quiet",
                   "--bootstrap", "200", site=acc_site, home=home)
    assert run.returncode == 0, run.stderr
    scores = {}
    for encoder in ("acc-stats", "prior"):
        result = json.loads((out / "synthetic-acc" / encoder / "fitness.json").read_text())
        assert result["dataset"]["modality"] == "acc" and result["counts"]["participants"] == 60
        scores[encoder] = result["scores"]["mae"]
    # fitness sets cadence and vigour, which the motion statistics read: they must beat the prior clearly
    assert scores["acc-stats"]["ci_high"] < scores["prior"]["ci_low"], scores


def test_a_plugin_modality_is_refused_by_encoders_of_another(acc_site, tmp_path):
    run = _harness("run", "--encoder", "handcrafted", "--task", "fitness", "--output", str(tmp_path / "r"),
                   "--quiet", site=acc_site, home=tmp_path / "home")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "acc" in run.stderr
