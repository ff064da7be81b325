"""A small leaderboard (a copy of some committed results) and a headless Chromium to open it in."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.settings import env_flag
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "leaderboard" / "results"
SUBSET = ("ppg-bp", "synthetic-ecg")  # both modalities, foundation + ablation + baseline encoders


@pytest.fixture(scope="session")
def small_board(tmp_path_factory) -> Path:
    """``out/`` holding the site generated from a copy of two datasets' committed results."""
    out = tmp_path_factory.mktemp("board")
    for name in SUBSET:
        shutil.copytree(RESULTS / name, out / "results" / name)
    shutil.copy(ROOT / "leaderboard" / "suites.toml", out / "suites.toml")
    code, _, err = run_cli("leaderboard", "--results", str(out / "results"), "--out", str(out))
    assert code == 0, err
    return out


def _unavailable(reason: str) -> None:
    if env_flag("HARNESS_REQUIRE_BROWSER"):
        pytest.fail(f"browser tests required (HARNESS_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; skipped (failed in CI) where either is missing."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        _unavailable("Debian's chromium is not installed (bash scripts/bootstrap.sh --test installs it as root)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (it is in the test extras)")
    with sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        except Exception as exc:  # a browser that cannot start here
            _unavailable(f"chromium at {executable} does not start: {type(exc).__name__}: {exc}")
        yield chromium
        chromium.close()
