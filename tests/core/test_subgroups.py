"""Subgroup scores against hand computations on small synthetic predictions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from harness.bootstrap import bootstrap_values, percentile_ci
from harness.metrics import get_metric
from harness.results import Result
from harness.subgroups import GROUPINGS, MIN_PARTICIPANTS, compute, membership, result_subgroups, subgroup_scores
from tests.result_payloads import result_payload


def _cohort(n: int = 120, seed: int = 1) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    rng = np.random.default_rng(seed)
    group = np.where(rng.random(n) < 0.5, "a", "b")
    y = rng.normal(50, 10, n)
    noise = np.where(group == "a", 2.0, 6.0)  # group b is predicted worse
    return y, y + rng.normal(0, 1, n) * noise, list(group)


def test_group_scores_are_the_metric_on_the_subset_and_their_ci_contains_it():
    y, pred, groups = _cohort()
    out = subgroup_scores(y, pred, {"g": groups}, metric="mae", kind="regression", bootstrap=300, seed=3)
    g = out["groupings"]["g"]
    mask = np.asarray(groups) == "b"
    assert g["groups"]["b"]["value"] == pytest.approx(float(np.abs(y[mask] - pred[mask]).mean()), abs=1e-12)
    assert g["groups"]["b"]["n"] == int(mask.sum())
    for name in ("a", "b"):
        s = g["groups"][name]
        assert s["status"] == "ok" and s["ci_low"] <= s["value"] <= s["ci_high"]
    # the CI is the shared bootstrap machinery on the subset, seeded as documented
    mae = get_metric("mae").function
    ya, pa = y[np.asarray(groups) == "a"], pred[np.asarray(groups) == "a"]
    low, high = percentile_ci(bootstrap_values(lambda i: mae(ya[i], pa[i]), len(ya), n=300, seed=3 + 5000), 0.95)
    assert (g["groups"]["a"]["ci_low"], g["groups"]["a"]["ci_high"]) == (low, high)
    assert g["worst"] == "b"  # larger MAE is worse
    assert g["gap"]["value"] == pytest.approx(g["groups"]["b"]["value"] - g["groups"]["a"]["value"])
    assert g["gap"]["value"] > 0 and g["gap"]["ci_low"] > 0  # a planted gap is found
    assert out["worst_group"] == {"grouping": "g", "group": "b", "value": g["groups"]["b"]["value"]}
    assert out["largest_gap"]["grouping"] == "g"


def test_reruns_are_identical_and_seeded():
    y, pred, groups = _cohort()
    a = subgroup_scores(y, pred, {"g": groups}, metric="mae", kind="regression", bootstrap=100, seed=0)
    b = subgroup_scores(y, pred, {"g": groups}, metric="mae", kind="regression", bootstrap=100, seed=0)
    c = subgroup_scores(y, pred, {"g": groups}, metric="mae", kind="regression", bootstrap=100, seed=1)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) != json.dumps(c, sort_keys=True)


def test_small_and_single_class_groups_are_reported_not_scored():
    rng = np.random.default_rng(0)
    n = 60
    y = np.r_[np.zeros(30), np.ones(30)]
    pred = rng.random(n)
    groups: list[str | None] = ["big"] * 40 + ["tiny"] * (MIN_PARTICIPANTS - 1) + [None] * (n - 40 - 9)
    groups[:20] = ["zeros"] * 20  # all y == 0
    out = subgroup_scores(y, pred, {"g": groups}, metric="auroc", kind="classification", bootstrap=50, seed=0)
    g = out["groupings"]["g"]
    assert g["groups"]["zeros"] == {"n": 20, "positives": 0, "status": "single_class"}
    assert g["groups"]["tiny"]["status"] == "too_small" and "value" not in g["groups"]["tiny"]
    assert g["groups"]["big"]["status"] == "ok"
    assert g["missing"] == n - 49
    assert g["worst"] == "big" and g["gap"] is None  # one scorable group: no gap
    assert "NaN" not in json.dumps(out)


def test_groupings_defined_by_the_task_label_are_marked_and_left_out_of_the_summary():
    y, pred, groups = _cohort()
    other = ["x" if i % 2 else "z" for i in range(len(y))]
    out = subgroup_scores(y, pred, {"age band": groups, "sex": other}, metric="mae", kind="regression",
                          bootstrap=50, seed=0, task_labels=("age",))
    assert out["groupings"]["age band"]["defined_by_task_label"] is True
    assert out["groupings"]["sex"]["defined_by_task_label"] is False
    assert out["worst_group"]["grouping"] == "sex" and out["largest_gap"]["grouping"] == "sex"


def test_membership_uses_declared_bands_and_only_labels_the_table_has():
    table = pd.DataFrame({"age": [39.9, 40, 59.9, 60, np.nan], "sex": [0, 1, 1, np.nan, 0]},
                         index=["p0", "p1", "p2", "p3", "p4"])
    m = membership(table, ["p4", "p0", "p1", "p2", "p3"])
    assert m == {"sex": ["male", "male", "female", "female", None], "age band": [None, "<40", "40-59", "40-59", ">=60"]}
    assert {g.label for g in GROUPINGS} == {"sex", "age", "bmi"}


def test_stored_subgroups_round_trip_and_re_derive_from_the_file(tmp_path):
    y, pred, groups = _cohort(80)
    payload = result_payload("e", "bmi", y, pred)
    table = pd.DataFrame({"sex": [float(g == "a") for g in groups], "age": np.linspace(20, 80, len(y))},
                         index=payload["predictions"]["participant_id"])
    payload["subgroups"] = compute(table, payload["predictions"]["participant_id"], y, pred, metric="mae",
                                   kind="regression", bootstrap=100, seed=0, confidence=0.95, task_labels=("bmi",))
    text = json.dumps(payload)
    result = Result.from_json(text)
    assert result.to_dict()["subgroups"] == json.loads(text)["subgroups"]
    assert result_subgroups(result) == json.loads(text)["subgroups"]
    members = result.extra["subgroups"]["groupings"]["sex"]["membership"]
    assert len(members) == len(result.predictions.participant_id)
    old = Result.from_json(json.dumps(result_payload("e", "bmi", y, pred)))
    assert result_subgroups(old) is None and "subgroups" not in old.to_dict()
