"""Fuzzing the result loader: whatever a file holds, ``Result`` is parsed or refused in one line.

Never another exception: a ``DataError`` (exit 2 at the CLI) naming the file is the only way a bad
file may fail, and a file that parses renders into a table and a summary line without error.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from harness import leaderboard
from harness.errors import HarnessError
from harness.results import Result, format_score
from tests.conftest import run_cli
from tests.fuzz.strategies import JSON, TEMPLATE, cheap, mutated_results

PATH = Path("fuzz/d/e/t.json")


def _parse(text: str) -> Result | None:
    """The parsed result, or None after checking the refusal is one line naming the file."""
    try:
        result = Result.from_json(text, path=PATH)
    except HarnessError as exc:
        message = str(exc)
        assert "\n" not in message and str(PATH) in message, message
        return None
    return result


def _renders(result: Result) -> None:
    """A parsed result is usable by every reader: in range, finite, tabulated, summarised."""
    for score in result.scores.values():
        assert all(math.isfinite(v) for v in (score.value, score.ci_low, score.ci_high))
    markdown = leaderboard.render_markdown(leaderboard.summarise([result]))
    assert result.main_score is not None and "## " in markdown
    assert "\n" not in format_score(result)
    _ = result.protocol.describe()


@given(st.text(max_size=200))
@example("[" * 50_000)  # nesting deeper than the parser's recursion limit
@example('{"schema_version": ' + "1" * 5000 + "}")  # beyond Python's integer-string limit
@example('{"schema_version": true}')
@example("\ufeff{}")
def test_any_text(text):
    result = _parse(text)
    if result is not None:
        _renders(result)


@given(JSON)
def test_any_json_value(value):
    result = _parse(json.dumps(value))
    if result is not None:
        _renders(result)


@given(mutated_results())
@example({**TEMPLATE, "encoder": {k: v for k, v in TEMPLATE["encoder"].items() if k != "name"}})
@example({**TEMPLATE, "training_overlap": "false"})
@example({**TEMPLATE, "task": {**TEMPLATE["task"], "higher_is_better": False}})
@example({**TEMPLATE, "task": {**TEMPLATE["task"], "metric": []}})
@example({**TEMPLATE, "scores": {"auroc": {"value": 0.5, "ci_low": 0.4, "ci_high": float("inf")}}})
@example({**TEMPLATE, "predictions": {**TEMPLATE["predictions"], "y_pred": [float("nan")] * 20}})
@example({**TEMPLATE, "predictions": {**TEMPLATE["predictions"], "y_true": [2.0] * 20}})
@example({**TEMPLATE, "config": {**TEMPLATE["config"], "probe": {"folds": 1}}})
@example({**TEMPLATE, "config": {**TEMPLATE["config"], "probe": {"confidence": 95}}})
@example({**TEMPLATE, "counts": {"participants": 5, "positives": 9}})
def test_mutated_real_result(payload):
    result = _parse(json.dumps(payload))
    if result is not None:
        _renders(result)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-cli")


@cheap(8)
@given(mutated_results())
def test_leaderboard_cli_on_a_mutated_result(folder, payload):
    """The real CLI: exit 2 with one line for a bad file, never 1 from an internal error."""
    results = folder / "results"
    path = results / "d" / "e" / "t.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload))
    code, out, err = run_cli("leaderboard", "--results", str(results), "--out", str(folder / "board"), "--check")
    if code == 2:
        assert err.count("\n") == 1 and err.startswith("error: ") and "internal error" not in err, err
    else:
        assert code == 1 and "is stale" in out and not err, (code, out, err)
