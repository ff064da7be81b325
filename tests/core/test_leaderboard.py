import json

from harness import leaderboard
from tests.conftest import run_cli


def _result(encoder, task, value, low, high, metric="mae", higher=False):
    return {"schema_version": 1, "encoder": {"name": encoder, "revision": "r"},
            "task": {"name": task, "metric": metric, "higher_is_better": higher, "version": 1},
            "dataset": {"name": "d", "modality": "ppg", "revision": "rev"},
            "scores": {metric: {"value": value, "ci_low": low, "ci_high": high}},
            "config": {}, "counts": {"participants": 10}, "environment": {}, "timings": {},
            "training_overlap": encoder == "b"}


def _write(folder, results):
    for r in results:
        path = folder / r["encoder"]["name"] / f"{r['task']['name']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(r))


def test_tables_mark_the_best_and_overlap(tmp_path):
    _write(tmp_path, [_result("a", "age", 5.0, 4.5, 5.5), _result("b", "age", 7.0, 6.0, 8.0),
                      _result("a", "sex", 0.6, 0.5, 0.7, "auroc", True),
                      _result("b", "sex", 0.9, 0.8, 0.95, "auroc", True)])
    files = leaderboard.generate(tmp_path)
    md = files["README.md"]
    assert "**5.000 [4.500, 5.500]**" in md and "7.000 [6.000, 8.000]†" in md
    assert "**0.900 [0.800, 0.950]†**" in md
    summary = json.loads(files["leaderboard.json"])
    assert summary["boards"][0]["entries"]["a"]["age"]["value"] == 5.0


def test_check_detects_stale_files(tmp_path):
    results = tmp_path / "results"
    _write(results, [_result("a", "age", 5.0, 4.5, 5.5)])
    assert run_cli("leaderboard", "--out", str(tmp_path))[0] == 0
    assert run_cli("leaderboard", "--check", "--out", str(tmp_path))[0] == 0
    _write(results, [_result("c", "age", 4.0, 3.5, 4.5)])
    code, out, _ = run_cli("leaderboard", "--check", "--out", str(tmp_path))
    assert code == 1 and "stale" in out
