"""The site's subgroup and age-gap views: drawn from what results store, deterministic, absent for old files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from harness import age_gap, subgroups
from harness.results import Result
from harness.site import render_site
from tests.result_payloads import result_payload


def _results() -> list[Result]:
    rng = np.random.default_rng(0)
    n = 120
    age = rng.uniform(20, 80, n)
    pred = age + rng.normal(0, 5, n)
    ids = [f"p{i}" for i in range(n)]
    table = pd.DataFrame({"age": age, "sex": (rng.random(n) < 0.5).astype(float),
                          "<b>flag</b>": (rng.random(n) < 0.3).astype(float)}, index=ids)
    new = result_payload("enc-new", "age", age, pred, dataset="cohort")
    new["subgroups"] = subgroups.compute(table, ids, age, pred, metric="mae", kind="regression", bootstrap=50,
                                         seed=0, confidence=0.95, task_labels=("age",))
    features = np.column_stack([pred, rng.normal(size=n)])
    new["age_gap"] = age_gap.compute(features, age, pred, table, ids, folds=5, seed=0,
                                     alphas=np.logspace(-3, 5, 17), informative=True, task_label="age")
    old = result_payload("enc-old", "age", age, pred + 1, dataset="cohort")
    return [Result.from_json(json.dumps(p)) for p in (new, old)]


def test_fairness_and_age_gap_views_show_what_the_results_store():
    files = render_site(_results())
    index, page = files["site/index.html"], files["site/encoders/enc-new.html"]
    stored = _results()[0].extra["subgroups"]
    assert "<h2 id=\"fairness\">Subgroups</h2>" in index and "<h2 id=\"age-gap\">Age gap</h2>" in index
    worst = stored["worst_group"]
    assert f"{worst['grouping']} {worst['group']} {worst['value']:.3f}" in index
    gap = stored["largest_gap"]
    assert f"{gap['value']:.3f} [{gap['ci_low']:.3f}, {gap['ci_high']:.3f}]" in index
    assert "aria-label=\"subgroup mae: enc-new on cohort age\"" in page
    assert "age band (defined by the task's own label)" in page
    assoc = _results()[0].extra["age_gap"]["associations"]["<b>flag</b>"]
    assert f"{assoc['estimate']:.2f} [{assoc['ci_low']:.2f}, {assoc['ci_high']:.2f}]" in page
    assert "&lt;b&gt;flag&lt;/b&gt;" in page and "<b>flag</b>" not in page  # label text is escaped
    assert render_site(_results()) == files  # byte-for-byte deterministic


def test_a_result_without_the_new_keys_loads_and_renders_without_the_views():
    files = render_site(_results()[1:])
    old_page = files["site/encoders/enc-old.html"]
    assert "Subgroups" not in old_page and "Age gap" not in old_page
    assert "id=\"fairness\"" not in files["site/index.html"]
    assert "<h2>Subgroups</h2>" not in render_site(_results())["site/encoders/enc-old.html"]
