"""The leaderboard as a reader uses it, in headless Chromium: sort, filter, follow a link; no console
errors and no request beyond the page files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def page(browser: Any, tmp_path: Path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.requests, tab.problems = [], []
    tab.on("request", lambda request: tab.requests.append(request.url))
    tab.on("console", lambda message: tab.problems.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: tab.problems.append(str(error)))
    yield tab
    context.close()


def _column(tab: Any, board: str, header: str) -> list[float]:
    """The data-value of every visible row's cell under ``header`` in ``board``."""
    return tab.evaluate(
        """([board, header]) => {
            const table = document.querySelector(`section[data-board][data-dataset="${board}"] table`);
            const col = [...table.tHead.rows[0].cells].findIndex(c => c.textContent.trim().startsWith(header));
            return [...table.tBodies[0].rows].filter(r => !r.hidden)
                .map(r => r.cells[col].getAttribute('data-value'))
                .filter(v => v !== '').map(Number);
        }""", [board, header])


def test_sort_filter_and_open_an_encoder_page(page: Any, small_board: Path, tmp_path: Path):
    index = small_board / "site" / "index.html"
    page.goto(index.as_uri())
    assert page.title() == "biosignal-harness leaderboard"
    header = page.locator('section[data-board][data-dataset="ppg-bp"] th', has_text="age MAE")
    header.click()
    ascending = _column(page, "ppg-bp", "age MAE")
    assert len(ascending) >= 3 and ascending == sorted(ascending)
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    assert _column(page, "ppg-bp", "age MAE") == sorted(ascending, reverse=True)

    baselines = page.locator('section[data-board][data-dataset="ppg-bp"] tr[data-kind="baseline"]')
    assert baselines.count() >= 2 and baselines.first.is_visible()
    page.locator('input[data-filter="kind"][value="baseline"]').uncheck()
    assert all(not baselines.nth(i).is_visible() for i in range(baselines.count()))
    assert page.locator('section[data-board][data-dataset="ppg-bp"] tr[data-kind="foundation"]').first.is_visible()

    page.select_option("#filter-modality", "ecg")
    assert not page.locator('section[data-board][data-dataset="ppg-bp"]').is_visible()
    assert page.locator('section[data-board][data-dataset="synthetic-ecg"]').is_visible()
    page.select_option("#filter-modality", "")
    page.locator('input[data-filter="kind"][value="baseline"]').check()
    page.screenshot(path=str(tmp_path / "index.png"), full_page=True)

    page.locator('section[data-board][data-dataset="ppg-bp"] a', has_text="ahms-ppg").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/site/encoders/ahms-ppg.html")
    assert page.locator("h1").inner_text() == "ahms-ppg"
    assert page.locator("dt", has_text="parameters").count() == 1
    assert page.locator(".figure svg").count() >= 1
    page.screenshot(path=str(tmp_path / "encoder.png"), full_page=True)
    assert (tmp_path / "index.png").stat().st_size > 10_000

    assert page.problems == []
    site = (small_board / "site").as_uri()
    assert page.requests and all(url.startswith(site) for url in page.requests), page.requests
