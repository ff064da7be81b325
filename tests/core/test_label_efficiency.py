"""Label efficiency: subsampling, the curve, its area, the options, the result key and the site view."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import harness
from harness.errors import UsageError
from harness.label_efficiency import _subsample, area, check_fractions, curve_problems, label_efficiency
from harness.probe import ProbeConfig, run_probe
from harness.rederive import rederivation_problems
from harness.results import load_result
from harness.tasks import TaskSpec
from tests.conftest import run_cli, write_store

REGRESSION = TaskSpec(name="t", version=1, label="y", kind="regression", metric="mae")
CLASSIFICATION = TaskSpec(name="c", version=1, label="y", kind="classification", metric="auroc")


def _cohort(n: int = 240, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 20))
    return x, x @ rng.standard_normal(20) * 3 + rng.standard_normal(n)


@pytest.mark.parametrize(("fractions", "needle"), [((0.0, 1.0), "0.0"), ((1.5,), "1.5"), ((0.5, 0.5), "repeat"),
                                                    ((float("nan"),), "nan")])
def test_bad_fractions_are_refused(fractions, needle):
    with pytest.raises(UsageError, match=needle):
        check_fractions(fractions, 3)
    assert check_fractions((1, 0.1, 0.5), 2) == (0.1, 0.5, 1.0)


@pytest.mark.parametrize("text", ["0,1", "0.1,2", "a", ","])
def test_bad_fractions_on_the_command_line_are_one_line(text):
    code, _, err = run_cli("run", "--encoder", "prior", "--task", "age", "--label-fractions", text)
    assert code == 2 and err.count("\n") == 1 and "--label-fractions" in err, err


def test_subsample_is_stratified_and_sized():
    y = np.r_[np.zeros(80), np.ones(20)]
    rng = np.random.default_rng(0)
    sub = _subsample(rng, np.arange(100), y, 0.1, classification=True)
    assert (y[sub] == 0).sum() == 8 and (y[sub] == 1).sum() == 2 and len(set(sub)) == len(sub)
    assert len(_subsample(rng, np.arange(100), y, 0.25, classification=False)) == 25
    assert (_subsample(rng, np.arange(100), y, 1.0, classification=True) == np.arange(100)).all()


def test_area_is_the_mean_over_the_log_axis():
    # log10 axis 0.1 -> 1 has width 1; trapezoids 0.1..0.5 (width log10 5) and 0.5..1 (log10 2)
    expected = ((2 + 4) / 2 * math.log10(5) + (4 + 5) / 2 * math.log10(2)) / 1.0
    assert area([0.1, 0.5, 1.0], [2, 4, 5]) == pytest.approx(expected)
    assert area([1.0], [5]) is None and area([0.1, 1.0], [None, 3]) is None


def test_curve_improves_with_labels_and_ends_at_the_main_score():
    x, y = _cohort()
    config = ProbeConfig(bootstrap=20)
    main = run_probe(REGRESSION, x, y, config).scores["mae"]["value"]
    curve = label_efficiency(REGRESSION, x, y, config, (0.1, 0.5, 1.0), 3, main)
    values = [p["value"] for p in curve["points"]]
    assert values[-1] == main and values[0] > values[1] > values[2]  # MAE falls as labels grow
    first = curve["points"][0]
    assert first["train_participants"] == [20] * 5 and len(first["values"]) == 3
    assert first["min"] <= first["value"] <= first["max"]
    assert curve["area"] == pytest.approx(area((0.1, 0.5, 1.0), values))
    assert curve_problems(curve, main) == []


def test_too_few_participants_is_recorded_not_dropped():
    x, y = _cohort(60)
    labels = (y > np.median(y)).astype(float)
    curve = label_efficiency(CLASSIFICATION, x, labels, ProbeConfig(bootstrap=20), (0.05, 1.0), 2, 0.8)
    low = curve["points"][0]
    assert low["status"] == "not_scorable" and "fewer than" in low["reason"] and curve["area"] is None


def test_parallel_repeats_give_the_same_curve():
    x, y = _cohort(120)
    labels = (y > np.median(y)).astype(float)
    args = (CLASSIFICATION, x, labels, ProbeConfig(bootstrap=20), (0.25, 0.5, 1.0), 2, 0.9)
    assert label_efficiency(*args, jobs=1) == label_efficiency(*args, jobs=2)


def test_a_run_records_the_curve_and_the_leaderboard_checks_and_draws_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_HOME", str(tmp_path / "home"))
    store = write_store(tmp_path / "s.zarr", participants=60, segments=2, seconds=10.0)
    (result,) = harness.evaluate(encoders=["handcrafted"], tasks=["age"], dataset=str(store),
                                 output=tmp_path / "results", bootstrap=20, label_fractions=(0.25, 0.5, 1))
    curve = result.extra["label_efficiency"]
    assert [p["fraction"] for p in curve["points"]] == [0.25, 0.5, 1.0]
    assert curve["points"][-1]["value"] == result.main_score.value
    assert rederivation_problems(load_result(result.path)) == []
    code, _, err = run_cli("leaderboard", "--results", str(tmp_path / "results"), "--out", str(tmp_path / "board"))
    assert code == 0, err
    page = (tmp_path / "board" / "site" / "index.html").read_text()
    assert "data-label-efficiency" in page and "<polyline" in page
    # a hand-edited curve point is refused by the leaderboard, naming the file
    payload = json.loads(result.path.read_text())
    payload["label_efficiency"]["points"][0]["value"] -= 1.0
    result.path.write_text(json.dumps(payload))
    code, _, err = run_cli("leaderboard", "--results", str(tmp_path / "results"), "--out", str(tmp_path / "b2"))
    assert code == 2 and str(result.path) in err and "label_efficiency point 0.25" in err
