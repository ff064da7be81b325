"""The label-efficiency curves of the committed PPG-BP results in headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def test_label_efficiency_curves_render_and_follow_the_filters(browser: Any, small_board: Path, tmp_path: Path):
    tab = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    requests: list[str] = []
    problems: list[str] = []
    tab.on("request", lambda request: requests.append(request.url))
    tab.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    index = small_board / "site" / "index.html"
    tab.goto(index.as_uri())
    sections = tab.locator("section[data-label-efficiency][data-dataset=ppg-bp]")
    assert sections.count() >= 5 and tab.locator("#label-efficiency").is_visible()
    first = sections.first
    assert first.locator("svg polyline").count() >= 4  # one curve per encoder scored on the task
    assert first.locator("tbody tr").count() == first.locator("svg polyline").count()
    tab.screenshot(path=str(tmp_path / "label-efficiency-index.png"), full_page=True)
    tab.select_option("#filter-modality", "ecg")
    assert not first.is_visible()
    tab.select_option("#filter-modality", "")
    assert first.is_visible()
    assert not problems, problems
    assert all(url.startswith("file://") for url in requests), requests
