"""Age gap: the correction is fitted on training participants only and removes the slope; the association
recovers an effect planted in a synthetic cohort."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from harness.age_gap import association, associations, compute, condition_labels, corrected_gaps, fit_line
from harness.probe import RIDGE_ALPHAS, ProbeConfig, run_probe
from harness.tasks import TaskSpec

AGE = TaskSpec(name="age", version=1, label="age", kind="regression", metric="mae", analyses=("age-gap",))
EFFECT = 6.0  # years a condition adds to the biological age the features see


def _cohort(n: int = 600, seed: int = 0) -> tuple[np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    age = rng.uniform(20, 80, n)
    sex = (rng.random(n) < 0.5).astype(float)
    sick = (rng.random(n) < 0.15 + 0.4 * (age - 20) / 60).astype(float)  # more common with age
    null = (rng.random(n) < 0.3).astype(float)
    bio = age + EFFECT * sick + rng.normal(0, 4, n)
    features = np.column_stack([bio + rng.normal(0, 6, n) for _ in range(4)] + [rng.normal(size=(n, 3))])
    table = pd.DataFrame({"age": age, "sex": sex, "sick": sick, "null": null, "bmi": rng.normal(26, 4, n)},
                         index=[f"p{i}" for i in range(n)])
    return features, table


def _probe(features: np.ndarray, age: np.ndarray, folds: int = 5):
    return run_probe(AGE, features, age, ProbeConfig(folds=folds, bootstrap=20, seed=0))


def test_correction_removes_the_slope_and_uses_training_folds_only():
    features, table = _cohort()
    age = table["age"].to_numpy()
    outcome = _probe(features, age)
    gap, fold, fits = corrected_gaps(features, age, outcome.y_pred, folds=5, seed=0, alphas=RIDGE_ALPHAS)
    assert fit_line(age, outcome.y_pred - age)[1] < -0.1  # regression to the mean in the raw gap
    assert abs(fit_line(age, gap)[1]) < 0.05
    assert sorted(set(fold.tolist())) == [0, 1, 2, 3, 4] and [f["fold"] for f in fits] == [0, 1, 2, 3, 4]
    # a fold's correction does not move when its own test participants' features and predictions change
    changed_features, changed_pred = features.copy(), outcome.y_pred.copy()
    test = fold == 2
    changed_features[test] += 50.0
    changed_pred[test] += 50.0
    _, _, again = corrected_gaps(changed_features, age, changed_pred, folds=5, seed=0, alphas=RIDGE_ALPHAS)
    assert again[2] == fits[2] and again[0] != fits[0]


def test_correction_line_is_zero_slope_on_the_data_it_is_fitted_to():
    rng = np.random.default_rng(3)
    age = rng.uniform(20, 80, 200)
    gap = 30 - 0.5 * age + rng.normal(0, 3, 200)
    a, b = fit_line(age, gap)
    assert fit_line(age, gap - (a + b * age)) == pytest.approx((0.0, 0.0), abs=1e-9)
    assert b == pytest.approx(np.polyfit(age, gap, 1)[0])


def test_association_recovers_a_planted_effect_and_not_a_null_one():
    features, table = _cohort()
    age = table["age"].to_numpy()
    outcome = _probe(features, age)
    out = compute(features, age, outcome.y_pred, table, list(table.index), folds=5, seed=0, alphas=RIDGE_ALPHAS,
                  informative=True, task_label="age")
    sick, null = out["associations"]["sick"], out["associations"]["null"]
    assert sick["status"] == "ok" and sick["covariates"] == ["age", "sex"]
    assert sick["ci_low"] > 0 and sick["ci_low"] < EFFECT * 0.8 < sick["estimate"] < EFFECT * 1.2
    assert null["ci_low"] < 0 < null["ci_high"]
    assert sick["n_with"] == int(table["sick"].sum()) and sick["n_with"] + sick["n_without"] == len(table)
    assert set(out["associations"]) == {"sick", "null"}  # binary labels other than sex; not bmi, not age
    # re-derived from what the result stores, after a JSON round trip
    stored = json.loads(json.dumps(out))
    assert associations(stored, age) == out["associations"]


def test_association_is_ols_with_covariates_by_hand():
    rng = np.random.default_rng(1)
    n = 300
    age = rng.uniform(20, 80, n)
    sex = (rng.random(n) < 0.5).astype(float)
    cond = (rng.random(n) < 0.4).astype(float)
    gap = 2.5 * cond + 0.05 * age - 1.0 * sex + rng.normal(0, 2, n)
    got = association(gap, age, sex, cond)
    x = np.column_stack([np.ones(n), cond, age, sex])
    beta = np.linalg.solve(x.T @ x, x.T @ gap)
    resid = gap - x @ beta
    se = np.sqrt(resid @ resid / (n - 4) * np.linalg.inv(x.T @ x)[1, 1])
    assert got["estimate"] == pytest.approx(beta[1]) and got["se"] == pytest.approx(se)
    assert got["ci_low"] < 2.5 < got["ci_high"]
    few = association(gap[:20], age[:20], sex[:20], np.r_[np.ones(2), np.zeros(18)])
    assert few["status"] == "too_small" and "estimate" not in few


def test_condition_labels_are_binary_columns_other_than_sex_and_the_task_label():
    table = pd.DataFrame({"sex": [0, 1], "age": [30, 40], "af": [0, 1], "flag": [1, np.nan], "score": [0.5, 1]})
    assert condition_labels(table, ("af",)) == ["flag"]


def test_harness_run_writes_subgroups_and_the_age_gap_into_the_age_result(tmp_path):
    from harness.results import load_result
    from harness.subgroups import result_subgroups
    from tests.conftest import run_cli, write_store

    rng = np.random.default_rng(5)
    store = write_store(tmp_path / "cohort.zarr", participants=40, segments=2,
                        labels={"flag": (rng.random(40) < 0.5).astype(float)})
    code, _, err = run_cli("run", "--encoder", "handcrafted", "--task", "age,sex", "--dataset", str(store),
                           "--output", str(tmp_path / "out"), "--bootstrap", "50", "--no-cache")
    assert code == 0, err
    age_result = load_result(next((tmp_path / "out").rglob("age.json")))
    entry = age_result.extra["age_gap"]
    assert entry["fold"] and len(entry["gap_corrected"]) == age_result.counts.participants
    assert set(entry["associations"]) == {"flag"}
    assert age_result.task.extra["analyses"] == ["age-gap"]
    sex_result = load_result(next((tmp_path / "out").rglob("sex.json")))
    assert "age_gap" not in sex_result.extra
    assert sex_result.extra["subgroups"]["groupings"]["sex"]["defined_by_task_label"] is True
    for result in (age_result, sex_result):
        assert result_subgroups(result) == result.extra["subgroups"]  # re-derived from the file alone


def test_rederivation_refuses_edited_subgroup_or_age_gap_numbers(tmp_path):
    from harness.rederive import rederivation_problems
    from harness.results import load_result
    from tests.conftest import run_cli, write_store

    rng = np.random.default_rng(6)
    store = write_store(tmp_path / "cohort.zarr", participants=40, segments=2,
                        labels={"flag": (rng.random(40) < 0.5).astype(float)})
    code, _, err = run_cli("run", "--encoder", "handcrafted", "--task", "age", "--dataset", str(store),
                           "--output", str(tmp_path / "out"), "--bootstrap", "50", "--no-cache")
    assert code == 0, err
    path = next((tmp_path / "out").rglob("age.json"))
    assert rederivation_problems(load_result(path)) == []
    payload = json.loads(path.read_text())
    group = payload["subgroups"]["groupings"]["sex"]["groups"]["female"]
    group["value"] += 0.5
    path.write_text(json.dumps(payload))
    problems = rederivation_problems(load_result(path))
    assert problems and problems[0].startswith("stores subgroups.groupings.sex.groups.female.value, which")
    group["value"] -= 0.5
    payload["age_gap"]["gap_corrected"][0] += 3.0
    path.write_text(json.dumps(payload))
    problems = rederivation_problems(load_result(path))
    assert len(problems) == 1 and problems[0].startswith("stores age_gap.associations.flag.")
    del payload["subgroups"]["groupings"]["sex"]["membership"]
    path.write_text(json.dumps(payload))
    assert rederivation_problems(load_result(path))[0].startswith("holds a malformed 'subgroups' entry")
