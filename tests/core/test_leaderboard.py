import json

import numpy as np
import pytest

from harness import leaderboard
from tests.conftest import run_cli
from tests.result_payloads import cell, rescore, result_payload


def _result(encoder, task, value, metric="mae"):
    """A result whose main score is near ``value``: MAE ``value`` exactly, or an AUROC rising with it."""
    rng = np.random.default_rng(int(value * 1000))
    if metric == "mae":
        y = np.arange(20, 60, 2.0)
        return result_payload(encoder, task, y, y + value * (1 + 0.5 * np.resize([1, -1], len(y))),
                              training_overlap=encoder == "b")
    y = np.resize([0.0, 1.0], 40)
    return result_payload(encoder, task, y, y * value * 4 + rng.normal(0, 1, len(y)), metric="auroc",
                          training_overlap=encoder == "b")


def _write(folder, results):
    for r in results:
        path = folder / r["encoder"]["name"] / f"{r['task']['name']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(r))


def test_tables_mark_the_best_and_overlap(tmp_path):
    results = [_result("a", "age", 5.0), _result("b", "age", 7.0), _result("a", "sex", 0.2, "auroc"),
               _result("b", "sex", 0.9, "auroc")]
    _write(tmp_path, results)
    files = leaderboard.generate(tmp_path)
    md = files["README.md"]
    assert results[0]["scores"]["mae"]["value"] == 5.0
    assert f"**{cell(results[0])}**" in md and f"{cell(results[1])}†" in md
    assert results[3]["scores"]["auroc"]["value"] > results[2]["scores"]["auroc"]["value"]
    assert f"**{cell(results[3])}†**" in md
    summary = json.loads(files["leaderboard.json"])
    assert summary["boards"][0]["entries"]["a"]["age"]["value"] == 5.0


def test_check_detects_stale_files(tmp_path):
    results = tmp_path / "results"
    _write(results, [_result("a", "age", 5.0)])
    assert run_cli("leaderboard", "--out", str(tmp_path))[0] == 0
    assert run_cli("leaderboard", "--check", "--out", str(tmp_path))[0] == 0
    _write(results, [_result("c", "age", 4.0)])
    code, out, _ = run_cli("leaderboard", "--check", "--out", str(tmp_path))
    assert code == 1 and "stale" in out


def _with_predictions(encoder, y_true, y_pred, metric="mae", higher=False):
    return result_payload(encoder, "age", y_true, y_pred, metric=metric, training_overlap=encoder == "b")


def test_paired_difference_sees_a_gap_that_overlapping_cis_hide():
    """b is worse than a on every participant by 0.3: the paired CI excludes zero although the
    marginal errors spread widely."""
    from harness.paired import paired_difference

    rng = np.random.default_rng(0)
    y = rng.uniform(20, 80, 300)
    err = rng.normal(0, 5, 300)
    a = _with_predictions("a", y, y + err)
    b = _with_predictions("b", y, y + err + 0.3 * np.sign(err))
    d = paired_difference(a, b, n=500)
    assert d["difference"] == pytest.approx(-0.3, abs=1e-9)
    assert d["ci_low"] < d["ci_high"] < 0 and d["verdict"] == "a"
    same = paired_difference(a, _with_predictions("c", y, y + err[::-1]), n=500)
    assert same["ci_low"] < 0 < same["ci_high"] and same["verdict"] == "tie"
    # participant order does not matter: predictions are aligned by participant id
    shuffled = _with_predictions("b", y, y + err + 0.3 * np.sign(err))
    perm = rng.permutation(300)
    shuffled["predictions"] = {k: [v[i] for i in perm] for k, v in shuffled["predictions"].items()}
    assert paired_difference(a, shuffled, n=500)["difference"] == pytest.approx(d["difference"])


def test_paired_difference_refuses_mismatched_results():
    from harness.errors import DataError
    from harness.paired import paired_difference

    y = np.arange(10.0)
    a, b = _with_predictions("a", y, y), _with_predictions("b", y[:9], y[:9])
    with pytest.raises(DataError, match="different participants"):
        paired_difference(a, b)
    b = _with_predictions("b", y, y)
    b["dataset"]["revision"] = "other"
    with pytest.raises(DataError, match="revisions"):
        paired_difference(a, b)


def test_leaderboard_renders_declared_pairs(tmp_path):
    rng = np.random.default_rng(1)
    y = rng.uniform(20, 80, 200)
    err = rng.normal(0, 5, 200)
    _write(tmp_path / "results", [_with_predictions("a", y, y + err), _with_predictions("b", y, y + 2 * err)])
    (tmp_path / "suites.toml").write_text('[s]\ndatasets = ["d"]\nencoders = ["a", "b"]\ntasks = ["age"]\n'
                                          'paired = [["a", "b"]]\n')
    code, _, err_text = run_cli("leaderboard", "--out", str(tmp_path))
    assert code == 0, err_text
    md = (tmp_path / "README.md").read_text()
    assert "## Paired comparisons" in md and "| a vs b" in md
    row = json.loads((tmp_path / "leaderboard.json").read_text())["paired"][0]
    assert row["verdict"] == "a" and row["ci_high"] < 0
    assert run_cli("leaderboard", "--check", "--out", str(tmp_path))[0] == 0


def test_compare_command_prints_the_paired_verdict(tmp_path):
    rng = np.random.default_rng(2)
    y = rng.uniform(20, 80, 200)
    err = rng.normal(0, 5, 200)
    _write(tmp_path, [_with_predictions("a", y, y + err), _with_predictions("b", y, y + 2 * err)])
    code, out, err_text = run_cli("compare", "a", "b", "--task", "age", "--results", str(tmp_path))
    assert code == 0, err_text
    assert "d · age · MAE" in out and "a is better" in out
    code, _, err_text = run_cli("compare", "a", "missing", "--task", "age", "--results", str(tmp_path))
    assert code == 2 and "no results" in err_text and err_text.count("\n") == 1


def test_malformed_paired_entry_is_a_one_line_error(tmp_path):
    _write(tmp_path / "results", [_result("a", "age", 5.0)])
    (tmp_path / "suites.toml").write_text('[s]\ndatasets = ["d"]\nencoders = ["a"]\ntasks = ["age"]\n'
                                          'paired = [["a", "b", "c"]]\n')
    code, _, err = run_cli("leaderboard", "--out", str(tmp_path))
    assert code == 2 and "not two encoder names" in err and err.count("\n") == 1


def test_committed_suites_pair_only_encoders_they_run():
    from harness.suites import load_suites

    for suite in load_suites().values():
        for a, b in suite.paired:
            assert a in suite.encoders and b in suite.encoders, (suite.name, a, b)


def test_paired_difference_refuses_different_protocols():
    from harness.errors import DataError
    from harness.paired import paired_difference

    y = np.arange(10.0)
    a, b = _with_predictions("a", y, y), _with_predictions("b", y, y)
    a["config"] = {"probe": {"folds": 5, "seed": 0, "bootstrap": 1000}}
    b["config"] = {"probe": {"folds": 3, "seed": 0, "bootstrap": 1000}}
    with pytest.raises(DataError, match=r"different protocols \(folds 5 vs 3\)"):
        paired_difference(a, b)
    b["config"] = {"probe": {"folds": 5, "seed": 0, "bootstrap": 1000, "new_setting": "x"}}
    with pytest.raises(DataError, match="new_setting not recorded vs x"):
        paired_difference(a, b)  # a setting this version does not know still counts


def test_a_table_holds_one_protocol(tmp_path):
    """Same dataset, one result per seed: two tables, each its own best, the protocol under each."""
    first, second = _result("a", "age", 5.0), _result("b", "age", 7.0)
    second["config"]["probe"]["seed"] = 1
    rescore(second)
    _write(tmp_path, [first, second])
    warnings: list[str] = []
    files = leaderboard.generate(tmp_path, warn=warnings.append)
    md = files["README.md"]
    assert f"**{cell(first)}**" in md and f"**{cell(second)}†**" in md
    assert "split seed 0;" in md and "split seed 1;" in md and len(warnings) == 1 and "seed 0 vs 1" in warnings[0]
    from harness.errors import DataError

    with pytest.raises(DataError, match="2 different protocols"):
        leaderboard.generate(tmp_path, strict=True)
