"""The static site is a pure, self-contained function of the results: deterministic, checked by
`harness leaderboard --check`, and free of anything that would make a request."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from harness import leaderboard, ranking
from harness.results import load_results
from harness.site import CSP, render_site
from harness.suites import load_suites, paired_encoders
from tests.conftest import run_cli

from .conftest import SUBSET


def test_one_index_and_a_page_per_encoder(small_board: Path):
    site = small_board / "site"
    encoders = sorted({r.encoder.name for r in load_results(small_board / "results")})
    assert (site / "index.html").is_file()
    assert sorted(p.stem for p in (site / "encoders").glob("*.html")) == encoders
    index = (site / "index.html").read_text()
    for dataset in SUBSET:
        assert f'data-dataset="{dataset}"' in index
    for name in encoders:
        assert f'href="encoders/{name}.html"' in index
    assert 'id="rankings"' in index and "Friedman" in index  # the across-dataset summary of each suite


def test_pages_request_nothing(small_board: Path):
    """No CDN, no web fonts, no external links to load: a CSP that forbids requests, and no URL to fetch."""
    for page in (small_board / "site").rglob("*.html"):
        text = page.read_text()
        assert f'content="{CSP}"' in text
        assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", text), page
        assert "@import" not in text and "url(" not in text


def _inputs(board: Path) -> tuple[list, list, list]:
    results = load_results(board / "results")
    suites = {name: suite.datasets for name, suite in load_suites(board / "suites.toml").items()}
    return (results, leaderboard.paired_comparisons(results, paired_encoders(board / "suites.toml")),
            ranking.suite_rankings(results, suites))


def test_generation_is_byte_for_byte_deterministic(small_board: Path):
    results, paired, rankings = _inputs(small_board)
    assert paired and rankings, "the subset should hold declared pairs and suite datasets"
    first = render_site(results, paired, rankings=rankings)
    assert render_site(list(reversed(results)), paired, rankings=rankings) == first
    for name, content in first.items():
        assert (small_board / name).read_text() == content
    assert 'id="paired"' in first["site/index.html"]


def test_check_fails_when_a_page_differs_or_an_orphan_page_remains(small_board: Path, tmp_path: Path):
    board = tmp_path / "board"
    shutil.copytree(small_board, board)
    (board / "suites.toml").unlink()  # no paired tables: this test is about the files, not the bootstrap
    shutil.rmtree(board / "results" / "synthetic-ecg")  # one dataset is enough; it regenerates five times
    assert run_cli("leaderboard", "--results", str(board / "results"), "--out", str(board))[0] == 0
    args = ("leaderboard", "--results", str(board / "results"), "--out", str(board), "--check")
    code, out, _ = run_cli(*args)
    assert code == 0, out
    page = board / "site" / "encoders" / "prior.html"
    page.write_text(page.read_text().replace("prior", "pri0r", 1))
    code, out, _ = run_cli(*args)
    assert code == 1 and "site/encoders/prior.html" in out
    page.unlink()
    (board / "site" / "encoders" / "gone.html").write_text("<html></html>")
    code, out, _ = run_cli(*args)
    assert code == 1 and "site/encoders/gone.html" in out and "site/encoders/prior.html" in out
    code, _, _ = run_cli("leaderboard", "--results", str(board / "results"), "--out", str(board))
    assert code == 0 and not (board / "site" / "encoders" / "gone.html").exists()
    assert run_cli(*args)[0] == 0


def test_best_cells_and_overlap_marks_follow_the_metric_direction(small_board: Path):
    results = [r for r in load_results(small_board / "results") if r.dataset.name == "ppg-bp"]
    index = (small_board / "site" / "index.html").read_text()
    section = index.split('data-dataset="ppg-bp"', 1)[1].split("</section>", 1)[0]
    for task in ("age", "sex"):
        scored = [r for r in results if r.task.name == task]
        pick = min if not scored[0].task.higher_is_better else max
        best = pick(scored, key=lambda r: r.main_score.value)
        assert f'data-value="{best.main_score.value:.6f}" title="{best.counts.participants} participants" ' \
               f'class="best"' in section
    overlapping = [r for r in load_results(small_board / "results") if r.training_overlap]
    assert all(f"{r.main_score.value:.3f}" in (small_board / "site" / "index.html").read_text()
               for r in overlapping)


def test_text_from_results_is_escaped(tmp_path: Path, small_board: Path):
    """A third party's result file cannot inject markup: names are escaped."""
    results = load_results(small_board / "results")[:1]
    hostile = results[0].__class__.from_dict({**results[0].to_dict(), "encoder": {
        **results[0].to_dict()["encoder"], "name": "<script>alert(1)</script>"}})
    files = render_site([hostile])
    assert "<script>alert(1)</script>" not in "".join(files.values())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in files["site/index.html"]


def test_encoder_pages_show_calibration_derived_from_the_stored_predictions(small_board: Path):
    from harness.calibration import calibration

    results = [r for r in load_results(small_board / "results")
               if r.encoder.name == "ahms-ppg" and r.task.kind == "classification" and r.has_predictions]
    assert results
    page = (small_board / "site" / "encoders" / "ahms-ppg.html").read_text()
    for r in results:
        _, y, p = r.predictions.arrays()
        cal = calibration(y, p)
        assert f"{r.task.name} calibration: Brier {cal.brier:.3f}, ECE {cal.ece:.3f}" in page
    assert page.count('aria-label="reliability: ahms-ppg') == len(results)
