"""The subgroup and age-gap views in headless Chromium: drawn, no console error, no request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.results import Result
from harness.site import render_site
from tests.core.test_site_fairness import _results
from tests.result_payloads import result_payload


def test_subgroup_bars_and_age_gap_forest_render_in_a_browser(browser: Any, tmp_path: Path):
    ecg = Result.from_json(json.dumps(result_payload("enc-ecg", "age", [30.0 + i for i in range(20)],
                                                     [31.0 + i for i in range(20)], dataset="other", modality="ecg")))
    for name, text in render_site([*_results(), ecg]).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    requests: list[str] = []
    problems: list[str] = []
    tab.on("request", lambda request: requests.append(request.url))
    tab.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    page = tmp_path / "site" / "encoders" / "enc-new.html"
    tab.goto(page.as_uri())
    bars = tab.locator("div.fairness svg")
    assert bars.count() == 1 and bars.first.is_visible()
    assert bars.first.locator("circle").count() >= 5  # sex x2 and age bands x3 scored
    forest = tab.locator("div.age-gap svg")
    assert forest.is_visible() and forest.locator("circle").count() == 1
    tab.goto((tmp_path / "site" / "index.html").as_uri())
    assert tab.locator("#fairness").is_visible() and tab.locator("section[data-age-gap] svg").is_visible()
    tab.screenshot(path=str(tmp_path / "fairness-index.png"), full_page=True)
    tab.select_option("#filter-modality", "ecg")  # the views follow the modality filter
    assert not tab.locator("section[data-fairness]").first.is_visible()
    assert not tab.locator("section[data-age-gap]").is_visible()
    tab.select_option("#filter-modality", "ppg")
    assert tab.locator("section[data-fairness]").first.is_visible()
    context.close()
    assert problems == []
    assert all(url.startswith("file://") for url in requests)
