"""The bad-input battery, part 3b: results whose numbers their own predictions do not give.

The leaderboard recomputes every stored score from the out-of-fold predictions the result keeps
(:mod:`harness.rederive`). Each case hand-edits a copy of a committed result in a way that passes
every type and range check (a plausible AUROC, a shifted CI), and the real CLI must refuse it: exit 2,
one line naming the file and what disagrees, the written leaderboard byte-identical, ``--check`` too.
A third party's folder merged with ``--results`` passes the same checks.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.rederive import rederivation_problems
from harness.results import load_result
from tests.conftest import run_cli
from tests.reliability.helpers import ROOT, fails_cleanly
from tests.result_payloads import rescore

COMMITTED = ROOT / "leaderboard" / "results" / "ppg-bp"


def _copy(folder: Path, encoders: tuple[str, ...] = ("prior", "handcrafted"),
          tasks: tuple[str, ...] = ("hypertension", "age")) -> Path:
    for encoder in encoders:
        (folder / "ppg-bp" / encoder).mkdir(parents=True, exist_ok=True)
        for task in tasks:
            shutil.copy(COMMITTED / encoder / f"{task}.json", folder / "ppg-bp" / encoder / f"{task}.json")
    return folder


def _edit(path: Path, change) -> None:
    payload = json.loads(path.read_text())
    change(payload)
    path.write_text(json.dumps(payload))


@pytest.fixture
def board(tmp_path):
    results = _copy(tmp_path / "results")
    out = tmp_path / "board"
    code, _, err = run_cli("leaderboard", "--results", str(results), "--out", str(out))
    assert code == 0, err
    return results, out


def _bump(metric: str, part: str, by: float):
    def change(p):
        p["scores"][metric][part] += by
    return change


def _drop_predictions(p):
    del p["predictions"]


def _swap_predictions(p):
    """Predictions of another participant order: the bootstrap draws then give another CI."""
    for key in ("participant_id", "y_true", "y_pred"):
        p["predictions"][key].reverse()


# (file: encoder/task, change, words the one line must hold)
CASES = {
    "auroc-raised": ("handcrafted/hypertension", _bump("auroc", "value", 0.05),
                     ["stores auroc", "out-of-fold predictions give"]),
    "mae-lowered": ("handcrafted/age", _bump("mae", "value", -0.5), ["stores mae", "predictions give"]),
    "ci-narrowed": ("handcrafted/age", _bump("mae", "ci_high", -0.2), ["stores mae ci_high"]),
    "extra-metric": ("handcrafted/age", _bump("r2", "value", 0.01), ["stores r2"]),
    "no-predictions": ("handcrafted/age", _drop_predictions, ["no out-of-fold predictions", "cannot be re-derived"]),
    "participants": ("handcrafted/age", lambda p: p["counts"].update(participants=p["counts"]["participants"] + 1),
                     ["counts", "participants but holds predictions for"]),
    "positives": ("handcrafted/hypertension", lambda p: p["counts"].update(positives=p["counts"]["positives"] - 1),
                  ["positives but its predictions hold"]),
    "order": ("handcrafted/age", _swap_predictions, ["ci_", "predictions give"]),
    "unlisted-metric": ("handcrafted/hypertension",
                        lambda p: p["scores"].update(mae={"value": 0.1, "ci_low": 0.0, "ci_high": 0.2}),
                        ["scores mae, which task 'hypertension' does not list"]),
    "bootstrap-unrecorded": ("handcrafted/age", lambda p: p["config"]["probe"].pop("bootstrap"),
                             ["does not record its bootstrap settings"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_score_its_predictions_do_not_give_is_refused(board, case):
    results, out = board
    name, change, needles = CASES[case]
    path = results / "ppg-bp" / f"{name}.json"
    _edit(path, change)
    fails_cleanly(["leaderboard", "--results", results, "--out", out], code=2, needles=[str(path), *needles],
                  protect=[out, results])
    fails_cleanly(["leaderboard", "--results", results, "--out", out, "--check"], code=2, needles=[str(path)],
                  protect=[out, results], debug=False)


def test_every_committed_result_is_rederived_exactly():
    """The committed board passes: each of its scores is what its predictions give."""
    paths = sorted((ROOT / "leaderboard" / "results").rglob("*.json"))
    assert len(paths) > 100
    for path in paths[::7]:  # a spread sample; `harness leaderboard --check` in CI does them all
        assert rederivation_problems(load_result(path)) == [], path


def test_a_rescored_edit_is_a_genuine_other_run(tmp_path):
    """Changing the protocol *and* rescoring (what a run under those settings writes) is accepted."""
    results = _copy(tmp_path / "results")
    for path in results.rglob("*.json"):
        _edit(path, lambda p: (p["config"]["probe"].update(bootstrap=300), rescore(p)))
    code, _, err = run_cli("leaderboard", "--results", str(results), "--out", str(tmp_path / "board"))
    assert code == 0, err


def test_a_third_party_folder_merges_under_the_same_checks(tmp_path):
    """The committed handcrafted results and a submission's prior results give one table; a tampered
    submission is refused naming its file, and nothing already written changes."""
    ours = _copy(tmp_path / "ours", encoders=("handcrafted",))
    theirs = _copy(tmp_path / "theirs", encoders=("prior",))
    out = tmp_path / "board"
    code, _, err = run_cli("leaderboard", "--results", str(ours), "--results", str(theirs), "--out", str(out))
    assert code == 0, err
    readme = (out / "README.md").read_text()
    assert "| handcrafted " in readme and "| prior " in readme and readme.count("## PPG · ppg-bp") == 1
    assert "`ours/` and `theirs/`" in readme
    code, stdout, _ = run_cli("leaderboard", "--results", str(ours), "--results", str(theirs), "--out", str(out),
                              "--check")
    assert code == 0 and "is current" in stdout
    # the same folder twice is read once
    code, _, err = run_cli("leaderboard", "--results", str(ours), "--results", str(ours / "."), "--out",
                           str(tmp_path / "once"))
    assert code == 0, err
    tampered = theirs / "ppg-bp" / "prior" / "age.json"
    _edit(tampered, _bump("mae", "value", -1.0))
    fails_cleanly(["leaderboard", "--results", ours, "--results", theirs, "--out", out], code=2,
                  needles=[str(tampered), "stores mae"], protect=[out, ours, theirs])


def test_a_submission_that_duplicates_a_committed_cell_is_refused(tmp_path):
    ours = _copy(tmp_path / "ours", encoders=("prior",))
    theirs = _copy(tmp_path / "theirs", encoders=("prior",))
    fails_cleanly(["leaderboard", "--results", ours, "--results", theirs, "--out", tmp_path / "board"], code=2,
                  needles=["both score encoder 'prior'", "keep one of them"], protect=[ours, theirs])
