"""The bad-input battery, part 3: result files the leaderboard and `harness compare` must not trust.

Each case starts from real committed results (PPG-BP, prior and handcrafted), damages or mixes them
the way a hand edit, a copy or a different run would, and checks the real CLI: exit 2, one line
naming the file and the field, no traceback (``--debug`` shows one), and the leaderboard files
already written are byte-identical afterwards.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.reliability.helpers import ROOT, assert_one_line_error, fails_cleanly, snapshot
from tests.result_payloads import rescore

COMMITTED = ROOT / "leaderboard" / "results" / "ppg-bp"
ENCODERS = ("prior", "handcrafted")
TASKS = ("hypertension", "age")


def _results(folder: Path) -> Path:
    """Two encoders x two tasks (one classification, one regression) copied from the committed board."""
    for encoder in ENCODERS:
        (folder / "ppg-bp" / encoder).mkdir(parents=True, exist_ok=True)
        for task in TASKS:
            shutil.copy(COMMITTED / encoder / f"{task}.json", folder / "ppg-bp" / encoder / f"{task}.json")
    return folder


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    payload = json.loads(path.read_text())
    change(payload)
    path.write_text(json.dumps(payload))


@pytest.fixture
def board(tmp_path):
    """A results folder and a leaderboard generated from it (the files a failing command must keep)."""
    results = _results(tmp_path / "results")
    out = tmp_path / "board"
    code, _, err = run_cli("leaderboard", "--results", str(results), "--out", str(out))
    assert code == 0, err
    return results, out


def _set(*keys: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        node = payload
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return change


def _delete(*keys: str) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        node = payload
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]
    return change


# (task file, change, words the one line must hold)
DAMAGE = {
    "auroc-1.7": ("hypertension", _set("scores", "auroc", "value", value=1.7), ["auroc value 1.7", "[0, 1]"]),
    "auroc-nan": ("hypertension", _set("scores", "auroc", "value", value=float("nan")), ["auroc value NaN"]),
    "mae-inf": ("age", _set("scores", "mae", "ci_high", value=float("inf")), ["mae ci_high inf", "not a finite"]),
    "no-encoder-name": ("age", _delete("encoder", "name"), ["field 'encoder.name' is missing"]),
    "encoder-name-list": ("age", _set("encoder", "name", value=["prior"]), ["field 'encoder.name' is a list"]),
    "encoder-name-newline": ("age", _set("encoder", "name", value="a\nb"), ["field 'encoder.name'", "printable"]),
    "overlap-as-text": ("age", _set("training_overlap", value="false"), ["field 'training_overlap' is text"]),
    "direction-flipped": ("hypertension", _set("task", "higher_is_better", value=False),
                          ["field 'task.higher_is_better' is false", "auroc is higher-is-better"]),
    "participants-true": ("age", _set("counts", "participants", value=True), ["field 'counts.participants'"]),
    "participants-zero": ("age", _set("counts", "participants", value=0), ["counts.participants' is 0"]),
    "prediction-nan": ("age", _set("predictions", "y_pred", 3, value=float("nan")),
                       ["field 'predictions.y_pred[3]'", "finite number"]),
    "prediction-text": ("age", _set("predictions", "y_true", 0, value="41"), ["field 'predictions.y_true[0]'"]),
    "predictions-short": ("age", lambda p: p["predictions"]["y_pred"].pop(), ["field 'predictions' holds"]),
    "label-not-binary": ("hypertension", _set("predictions", "y_true", 0, value=2.0),
                         ["predictions.y_true", "other than 0 and 1"]),
    "folds-as-text": ("age", _set("config", "probe", "folds", value="5"), ["field 'config.probe.folds' is text"]),
    "extra-metric-missing": ("age", _delete("scores", "r2"), ["field 'scores.r2' is missing"]),
    "schema-true": ("age", _set("schema_version", value=True), ["schema version True"]),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_a_damaged_result_is_refused_naming_file_and_field(board, case):
    results, out = board
    task, change, needles = DAMAGE[case]
    path = results / "ppg-bp" / "prior" / f"{task}.json"
    _edit(path, change)
    fails_cleanly(["leaderboard", "--results", results, "--out", out], code=2, needles=[str(path), *needles],
                  protect=[out])
    fails_cleanly(["leaderboard", "--results", results, "--out", out, "--check"], code=2, needles=[str(path)],
                  protect=[out], debug=False)


@pytest.mark.parametrize(("text", "needle"), [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"schema_version": ' + "9" * 5000 + "}", "unreadable"),
    ("\ufeff{}", "unreadable"),
], ids=["deep-nesting", "huge-integer", "bom"])
def test_result_text_that_breaks_the_json_parser_is_one_line(board, text, needle):
    results, out = board
    path = results / "ppg-bp" / "prior" / "age.json"
    path.write_text(text, encoding="utf-8")
    fails_cleanly(["leaderboard", "--results", results, "--out", out], code=2, needles=[str(path), needle],
                  protect=[out])


def test_output_folder_inside_the_results_is_not_read_back(tmp_path):
    """`--out` equal to `--results`: the leaderboard's own JSON carries a marker and is passed over,
    so every later run (and `--check`) works; a JSON without the marker is still refused."""
    results = _results(tmp_path / "results")
    for _ in range(2):
        code, _, err = run_cli("leaderboard", "--results", str(results), "--out", str(results))
        assert code == 0, err
    assert json.loads((results / "leaderboard.json").read_text())["generated_by"] == "harness leaderboard"
    code, out, err = run_cli("leaderboard", "--results", str(results), "--out", str(results), "--check")
    assert code == 0 and "is current" in out, err
    readme = (results / "README.md").read_text()
    assert readme.count("| handcrafted ") == 1  # four results, one table: nothing read twice
    (results / "notes.json").write_text('{"boards": []}')
    fails_cleanly(["leaderboard", "--results", results, "--out", results], code=2,
                  needles=[str(results / "notes.json"), "is not a result file"], protect=[results])


def test_generated_text_describes_the_protocol_actually_used(tmp_path):
    """3 folds, seed 7, 200 resamples, 90 % CI, and a results folder that is not leaderboard/results."""
    results = _results(tmp_path / "my-runs")
    for path in results.rglob("*.json"):
        _edit(path, lambda p: (p["config"]["probe"].update(folds=3, seed=7, bootstrap=200, confidence=0.9),
                               rescore(p)))
    out = tmp_path / "board"
    code, _, err = run_cli("leaderboard", "--results", str(results), "--out", str(out))
    assert code == 0, err
    readme = (out / "README.md").read_text()
    assert "from the result files in `my-runs/`" in readme and "leaderboard/results" not in readme
    assert "5-fold" not in readme and "1,000" not in readme and "95 %" not in readme
    assert "3-fold linear probe (split seed 7;" in readme
    assert "90 % CI from 200 participant-bootstrap resamples; float32 inference" in readme
    board = json.loads((out / "leaderboard.json").read_text())["boards"][0]
    assert board["protocol"]["folds"] == 3 and board["protocol"]["seed"] == 7


def _mixed_seeds(tmp_path: Path) -> Path:
    """handcrafted scored with seed 3, prior with the committed seed 0."""
    results = _results(tmp_path / "results")
    for path in (results / "ppg-bp" / "handcrafted").glob("*.json"):
        _edit(path, lambda p: (p["config"]["probe"].update(seed=3), p["config"].update(seed=3), rescore(p)))
    return results


def test_mixed_protocols_are_split_and_flagged_and_refused_by_check(tmp_path):
    results = _mixed_seeds(tmp_path)
    out = tmp_path / "board"
    code, _, err = run_cli("leaderboard", "--results", str(results), "--out", str(out))
    assert code == 0
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: the results of ppg-bp were scored under 2 different")
    assert "seed 0 vs 3" in lines[0] and "not compared" in lines[0]
    readme = (out / "README.md").read_text()
    assert "table 1 of 2" in readme and "table 2 of 2" in readme and readme.count("Not comparable") == 2
    first, second = readme.split("table 2 of 2")
    assert "| prior " in first and "| handcrafted " not in first and "| handcrafted " in second
    # alone in its table, each encoder is that table's best: bold never compares across protocols
    assert "split seed 0;" in first and "split seed 3;" in second
    summary = json.loads((out / "leaderboard.json").read_text())
    assert [b["protocol"]["seed"] for b in summary["boards"]] == [0, 3] and summary["mixed_protocols"]
    fails_cleanly(["leaderboard", "--results", results, "--out", out, "--check"], code=2,
                  needles=["scored under 2 different protocols", "seed 0 vs 3", "re-run them with one"],
                  protect=[out, results])


def test_paired_comparisons_need_one_protocol(tmp_path):
    results = _mixed_seeds(tmp_path)
    fails_cleanly(["compare", "handcrafted", "prior", "--task", "age", "--results", results], code=2,
                  needles=["scored under different protocols", "seed 3 vs 0"], protect=[results])
    out = tmp_path / "board"
    (tmp_path / "suites.toml").write_text('[s]\ndatasets = ["ppg-bp"]\nencoders = ["handcrafted", "prior"]\n'
                                          'tasks = ["age"]\npaired = [["handcrafted", "prior"]]\n')
    code, _, err = run_cli("leaderboard", "--results", str(results), "--out", str(out),
                           "--suites", str(tmp_path / "suites.toml"))
    assert code == 0, err
    assert "## Paired comparisons" not in (out / "README.md").read_text()
    assert "paired" not in json.loads((out / "leaderboard.json").read_text())


def test_same_protocol_pairs_still_compare(tmp_path):
    results = _results(tmp_path / "results")
    code, out, err = run_cli("compare", "handcrafted", "prior", "--task", "age", "--results", str(results))
    assert code == 0, err
    assert "ppg-bp · age · MAE: handcrafted" in out


def test_two_copies_of_one_result_are_refused(tmp_path):
    results = _results(tmp_path / "results")
    copy = results / "copy" / "age.json"
    copy.parent.mkdir()
    shutil.copy(results / "ppg-bp" / "prior" / "age.json", copy)
    before = snapshot(results)
    fails_cleanly(["leaderboard", "--results", results, "--out", tmp_path / "board"], code=2,
                  needles=["both score encoder 'prior' on task 'age'", str(copy)], protect=[results])
    assert snapshot(results) == before and not (tmp_path / "board").exists()


def test_a_different_dataset_revision_gets_its_own_table(tmp_path):
    results = _results(tmp_path / "results")
    for path in (results / "ppg-bp" / "handcrafted").glob("*.json"):
        _edit(path, _set("dataset", "revision", value="0" * 24))
    code, _, err = run_cli("leaderboard", "--results", str(results), "--out", str(tmp_path / "board"))
    assert code == 0
    assert "revision bfe29cf8f4456054167c5dc1 vs 000000000000000000000000" in err \
        or "revision 000000000000000000000000 vs bfe29cf8f4456054167c5dc1" in err
    line = assert_one_line_error(*run_cli("leaderboard", "--results", str(results), "--out",
                                          str(tmp_path / "board"), "--check")[::2], 2)
    assert "revision" in line
