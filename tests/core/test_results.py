"""The typed result: schema-v1 round trip, refusal of files that are not (valid) results, and the
pieces the runner delegates to (overlap policy, lazy torch)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import DataError
from harness.overlap import training_overlap
from harness.plugins import PluginHost
from harness.results import Result, format_score, load_result, load_results, write_result
from tests.conftest import run_cli

ROOT = Path(__file__).parents[2]
COMMITTED = sorted((ROOT / "leaderboard" / "results").rglob("*.json"))


def test_every_committed_result_round_trips_unchanged():
    assert len(COMMITTED) > 100
    for path in COMMITTED:
        payload = json.loads(path.read_text())
        result = load_result(path)
        assert result.path == path
        assert result.to_dict() == payload, path
        assert Result.from_json(result.to_json()) == result


def test_result_reads_typed_and_writes_the_same_file(tmp_path):
    path = next(p for p in COMMITTED if p.parent.name == "handcrafted" and p.name == "age.json")
    result = load_result(path)
    assert result.task.metric == "mae" and result.task.higher_is_better is False
    assert result.main_score == result.scores["mae"] and result.counts.participants > 0
    assert result.has_predictions and len(result.predictions.y_true) == result.counts.participants
    written = write_result(tmp_path, result)
    assert written.path == tmp_path / result.dataset.name / "handcrafted" / "age.json"
    assert written.path.read_text() == path.read_text()  # byte for byte
    assert format_score(result).startswith(f"handcrafted · age · {result.dataset.name}: MAE ")


def test_unknown_keys_survive_the_round_trip():
    payload = json.loads(COMMITTED[0].read_text())
    payload["future_block"] = {"a": 1}
    payload["encoder"]["future_field"] = "x"
    assert Result.from_dict(payload).to_dict() == payload


def _payload(metric="mae", value=5.0, low=4.0, high=6.0):
    return {"schema_version": 1, "encoder": {"name": "e", "revision": "r"},
            "task": {"name": "t", "metric": metric, "higher_is_better": metric != "mae", "version": 1},
            "dataset": {"name": "d", "modality": "ppg", "revision": "rev"},
            "scores": {metric: {"value": value, "ci_low": low, "ci_high": high}},
            "config": {}, "counts": {"participants": 10}, "environment": {}, "timings": {},
            "training_overlap": False}


@pytest.mark.parametrize(("payload", "needles"), [
    ([1, 2, 3], ["is not a result file", "list"]),
    ({"boards": []}, ["is not a result file", "no schema_version"]),
    ({**_payload(), "scores": {"r2": {"value": 0.1, "ci_low": 0.0, "ci_high": 0.2}}},
     ["lacks its main score 'mae'"]),
    (_payload("auroc", 1.2, 0.9, 1.3), ["auroc value 1.2", "outside the metric's range [0, 1]", "(and 1 more)"]),
    (_payload("mae", 5.0, -0.5, 6.0), ["mae ci_low -0.5", "[0, inf)"]),
    (_payload("r2", 0.5, 0.2, 1.5), ["r2 ci_high 1.5", "(-inf, 1]"]),
    (_payload("rmse"), ["unknown metric 'rmse'"]),
    ({**_payload(), "scores": {"mae": {"value": 5.0}}}, ["is malformed", "ci_low"]),
])
def test_files_that_are_not_valid_results_are_refused_in_one_line(tmp_path, payload, needles):
    path = tmp_path / "results" / "d" / "e" / "t.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(payload))
    with pytest.raises(DataError) as info:
        load_result(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    for needle in needles:
        assert needle in message, message
    with pytest.raises(DataError):
        load_results(tmp_path / "results")
    code, _, err = run_cli("leaderboard", "--out", str(tmp_path))
    assert code == 2 and str(path) in err and err.count("\n") == 1, err


def test_a_result_outside_its_range_is_not_written(tmp_path):
    result = Result.from_dict(_payload("auroc", 0.5, -0.1, 0.7))
    with pytest.raises(DataError, match="ci_low"):
        write_result(tmp_path, result)
    assert not list(tmp_path.rglob("*.json"))


def test_overlap_policy_is_driven_by_data():
    common = {"dataset": "synthetic-ppg", "training_datasets": ("synthetic-ppg",)}
    assert training_overlap(revision="a", training_revisions=("a",), is_independent_draw=True,
                            **common) == (True, "trained on this exact store")
    assert training_overlap(revision="b", training_revisions=("a",), is_independent_draw=True, **common)[0] is False
    assert training_overlap(revision="b", training_revisions=("a",), is_independent_draw=False, **common)[0] is True
    assert training_overlap(revision="b", training_revisions=(), is_independent_draw=True, **common)[0] is True
    assert training_overlap(dataset="ppg-bp", revision="b", training_datasets=("synthetic-ppg",),
                            training_revisions=(), is_independent_draw=False) == (False, "none")
    # whether another revision is an independent draw is what the dataset's spec declares
    host = PluginHost(warn=lambda line: None).load_entry_points()
    assert host.datasets.spec("synthetic-ppg").synthetic and not host.datasets.spec("ppg-bp").synthetic


def test_a_numpy_only_run_never_imports_torch(tmp_path):
    """`harness run --encoder prior` (device auto) resolves the CPU without importing torch."""
    script = f"""
import sys
from pathlib import Path
from tests.conftest import write_store
from harness.cli import main
store = write_store(Path({str(tmp_path)!r}) / "tiny.zarr", participants=12, segments=2, seconds=10)
code = main(["run", "--encoder", "prior", "--task", "age", "--dataset", str(store), "--output",
             {str(tmp_path / "out")!r}, "--quiet", "--folds", "2", "--bootstrap", "50"])
assert code == 0, code
assert "torch" not in sys.modules, "torch was imported"
"""
    env = {**os.environ, "HARNESS_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = load_result(tmp_path / "out" / "tiny" / "prior" / "age.json")
    assert result.environment["device"] == "cpu" and result.environment["torch_threads"] is None


def test_labels_are_read_and_checked_once_per_task_and_store(small_store, tmp_path, monkeypatch):
    from harness import runner

    calls = []
    real = runner.read_task_targets

    def counting(task, store, folds):
        calls.append((task.name, str(store.path)))
        return real(task, store, folds)

    monkeypatch.setattr(runner, "read_task_targets", counting)
    config = runner.RunConfig(encoders=["prior", "prior"], tasks=["age", "sex"], dataset=str(small_store),
                              output=tmp_path / "out", progress=False, bootstrap=50, use_cache=False)
    results = runner.Runner(config).run()
    assert [(r.encoder.name, r.task.name) for r in results] == [("prior", "age"), ("prior", "sex")] * 2
    assert sorted(calls) == [("age", str(small_store)), ("sex", str(small_store))]
    assert all(isinstance(r, Result) and r.path.is_file() for r in results)


def test_observers_receive_the_result_payload_as_a_dict(small_store, tmp_path):
    import types

    from harness import hookimpl
    from harness.plugins import get_host, reset_host
    from harness.runner import RunConfig, Runner

    seen, ended = [], []
    module = types.ModuleType("observer")
    module.harness_result = hookimpl(lambda result: seen.append(result))
    module.harness_run_end = hookimpl(lambda run, results: ended.append(results))
    reset_host()
    try:
        host = get_host()
        host.register_module("observer", module)
        config = RunConfig(encoders=["prior"], tasks=["age"], dataset=str(small_store), output=tmp_path / "out",
                           progress=False, bootstrap=50)
        [result] = Runner(config, host=host).run()
    finally:
        reset_host()
    [payload] = seen
    assert isinstance(payload, dict) and payload["_path"] == str(result.path)
    assert payload["scores"]["mae"]["value"] == result.main_score.value
    assert Result.from_dict(payload) == result and Result.from_dict(payload).path == result.path
    assert Result.from_dict(payload).to_dict() == json.loads(result.path.read_text())
    assert ended == [[payload]]
