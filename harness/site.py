"""The static web leaderboard: ``leaderboard/site/`` (an index and one model-card page per encoder).

A pure function of the results (plus the encoders' specs and weight sidecars for the model cards), so
``harness leaderboard --check`` can regenerate it in memory and compare bytes. Pages are self-contained:
styles, the sorting/filter script and the figures (SVG drawn here, not by a plotting library whose
output changes between versions) are inline, and a Content-Security-Policy forbids every request, so a
page works from ``file://`` and offline and can load nothing from a CDN.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness import site_curves, site_fairness
from harness.calibration import Calibration, calibration
from harness.ranking import RankSummary, describe
from harness.results import Result

if TYPE_CHECKING:
    from harness.leaderboard import Table

SITE_DIR = "site"
KINDS = ("foundation", "ablation", "baseline")
MAX_POINTS = 400  # scatter plots show at most this many participants (a deterministic, even subsample)

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1180px;padding:0 16px;
color:#1b1f24}
h1{font-size:1.6em;margin:.8em 0 .2em}h2{font-size:1.25em;margin:1.6em 0 .4em}h3{font-size:1.05em}
table{border-collapse:collapse;margin:.4em 0 1em;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #d8dde3;padding:4px 8px;text-align:left;vertical-align:top}
td{white-space:nowrap}
th.sortable{cursor:pointer;user-select:none}th.sortable:hover{background:#eef2f6}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.best{font-weight:700;background:#eaf6ea}.muted{color:#5b6570}
.filters{display:flex;gap:1.2em;flex-wrap:wrap;align-items:center;padding:.6em 0;border-bottom:1px solid #d8dde3}
.figures{display:flex;flex-wrap:wrap;gap:12px}.figure{border:1px solid #d8dde3;padding:6px}
.figure p{margin:0;font-size:.85em}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px}
dt{font-weight:600}dd{margin:0}code{font-size:.9em}[hidden]{display:none!important}
"""

SCRIPT = """
(function(){
  function key(cell){var v=cell.getAttribute('data-value');
    if(v===null||v===''){return null;} var n=Number(v); return isNaN(n)?v.toLowerCase():n;}
  document.querySelectorAll('th.sortable').forEach(function(th){
    th.addEventListener('click',function(){
      var table=th.closest('table'),body=table.tBodies[0],col=th.cellIndex;
      var dir=th.getAttribute('aria-sort')==='ascending'?'descending':'ascending';
      table.querySelectorAll('th.sortable').forEach(function(o){o.removeAttribute('aria-sort');});
      th.setAttribute('aria-sort',dir);
      var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){var x=key(a.cells[col]),y=key(b.cells[col]);
        if(x===null&&y===null){return 0;} if(x===null){return 1;} if(y===null){return -1;}
        var c=x<y?-1:(x>y?1:0); return dir==='ascending'?c:-c;});
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
  var controls=document.querySelectorAll('[data-filter]');
  function apply(){
    var modality=document.getElementById('filter-modality'),dataset=document.getElementById('filter-dataset');
    var kinds={};document.querySelectorAll('input[data-filter=kind]').forEach(function(b){kinds[b.value]=b.checked;});
    document.querySelectorAll('[data-board],[data-fairness],[data-age-gap],[data-label-efficiency]').forEach(function(s){
      var show=(!modality||modality.value===''||s.getAttribute('data-modality')===modality.value)&&
               (!dataset||dataset.value===''||s.getAttribute('data-dataset')===dataset.value);
      s.hidden=!show;});
    document.querySelectorAll('tr[data-kind]').forEach(function(r){
      var k=r.getAttribute('data-kind');r.hidden=(k in kinds)&&!kinds[k];});
    document.querySelectorAll('tr[data-pair-dataset]').forEach(function(r){
      var d=r.getAttribute('data-pair-dataset'),m=r.getAttribute('data-pair-modality');
      r.hidden=(modality&&modality.value!==''&&m!==modality.value)||(dataset&&dataset.value!==''&&d!==dataset.value);});
  }
  controls.forEach(function(c){c.addEventListener('change',apply);});
})();
"""


# -- helpers ---------------------------------------------------------------------------------------
def _num(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}"


def _arrow(higher_is_better: bool) -> str:
    return "↑" if higher_is_better else "↓"


def _page(title: str, body: str, *, root: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n"
        f"<p class=\"muted\">Generated by <code>harness leaderboard</code> from the committed result files; "
        f"do not edit by hand. <a href=\"{root}index.html\">Leaderboard</a></p>\n"
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def encoder_page(name: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return f"encoders/{safe}.html"


# -- encoder metadata ------------------------------------------------------------------------------
def _sidecar(weights: str | None) -> dict[str, Any]:
    """The JSON beside shipped weights (``package:path.safetensors`` -> ``path.json``), if any."""
    if not weights or ":" not in weights:
        return {}
    package, _, relative = weights.partition(":")
    try:
        path = resources.files(package).joinpath(relative.rsplit(".", 1)[0] + ".json")
        return json.loads(path.read_text())
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError, ValueError, OSError):
        return {}


def encoder_cards(results: Sequence[Result]) -> dict[str, dict[str, Any]]:
    """Model-card facts per encoder: its registered spec and weight sidecar where installed, else what
    its results record (a third party's results still get a page)."""
    from harness.plugins import get_host

    registry = get_host().encoders
    cards: dict[str, dict[str, Any]] = {}
    for r in results:
        card = cards.setdefault(r.encoder.name, {
            "name": r.encoder.name, "kind": r.encoder.kind, "embedding_dim": r.encoder.embedding_dim,
            "revisions": set(), "training_datasets": list(r.encoder.training_datasets), "registered": False,
            "config": dict(r.encoder.config),
        })
        if r.encoder.revision:
            card["revisions"].add(r.encoder.revision)
    for name, card in cards.items():
        card["revisions"] = sorted(card["revisions"])
        if name not in registry:
            continue
        spec = registry.spec(name)
        side = _sidecar(spec.weights)
        training: Mapping[str, Any] = side["training"] if isinstance(side.get("training"), Mapping) else {}
        card.update({
            "registered": True, "kind": spec.kind, "description": spec.description,
            "modalities": list(spec.modalities), "embedding_dim": spec.embedding_dim,
            "parameters": spec.parameters or side.get("parameters"),
            "input_specs": [s.to_dict() for s in spec.input_specs],
            "training_datasets": list(spec.training_datasets), "training_revisions": list(spec.training_revisions),
            "license": spec.license, "citation": spec.citation, "weights": spec.weights,
            "weights_sha256": spec.weights_sha256,
            "pretraining": {k: v for k, v in {
                "steps": side.get("step"), "seed": side.get("seed"), "device": training.get("device"),
                "world_size": training.get("world_size"), "amp": training.get("amp"),
                "wall_time_s": training.get("wall_time_s"),
                "data": [{k: d.get(k) for k in ("name", "revision", "participants", "segments")}
                         for d in side.get("data") or [] if isinstance(d, Mapping)],
            }.items() if v not in (None, [])},
        })
    return cards


def _throughput(results: Iterable[Result]) -> list[dict[str, Any]]:
    """Embedding segments/s of runs that computed (not cached) their embeddings, per dataset and device."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for r in results:
        t = r.timings
        embed_s, segments = t.get("embed_s"), r.dataset.extra.get("segments") or r.counts.segments
        if t.get("embedding_cache_hit") or not embed_s or not segments:
            continue
        env = r.environment
        device = f"{env.get('device', '?')}, {env.get('torch_threads', '?')} threads, {env.get('machine', '?')}"
        rows.setdefault((r.dataset.name, device), {"dataset": r.dataset.name, "device": device,
                                                   "segments": int(segments), "seconds": float(embed_s),
                                                   "dtype": r.config.get("dtype", "float32")})
    return [rows[k] for k in sorted(rows)]


# -- figures ---------------------------------------------------------------------------------------
def _svg(width: int, height: int, body: str, label: str) -> str:
    return (f"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" "
            f"height=\"{height}\" role=\"img\" aria-label=\"{escape(label)}\">{body}</svg>")


def _axes(x0: float, x1: float, y0: float, y1: float, xlabel: str, ylabel: str) -> str:
    return ("<rect x=\"40\" y=\"10\" width=\"200\" height=\"200\" fill=\"none\" stroke=\"#8a949e\"/>"
            f"<text x=\"40\" y=\"226\" font-size=\"10\">{_num(x0, 2)}</text>"
            f"<text x=\"240\" y=\"226\" font-size=\"10\" text-anchor=\"end\">{_num(x1, 2)}</text>"
            f"<text x=\"36\" y=\"210\" font-size=\"10\" text-anchor=\"end\">{_num(y0, 2)}</text>"
            f"<text x=\"36\" y=\"18\" font-size=\"10\" text-anchor=\"end\">{_num(y1, 2)}</text>"
            f"<text x=\"140\" y=\"240\" font-size=\"11\" text-anchor=\"middle\">{escape(xlabel)}</text>"
            f"<text x=\"12\" y=\"110\" font-size=\"11\" text-anchor=\"middle\" "
            f"transform=\"rotate(-90 12 110)\">{escape(ylabel)}</text>")


def scatter_svg(y_true: np.ndarray, y_pred: np.ndarray, label: str) -> str:
    """Predicted against true (regression), the identity line dashed."""
    order = np.argsort(y_true, kind="stable")
    if len(order) > MAX_POINTS:
        order = order[np.linspace(0, len(order) - 1, MAX_POINTS).round().astype(int)]
    lo = float(min(y_true.min(), y_pred.min()))
    hi = float(max(y_true.max(), y_pred.max()))
    span = hi - lo or 1.0

    def px(v: float) -> float:
        return 40 + 200 * (v - lo) / span

    def py(v: float) -> float:
        return 210 - 200 * (v - lo) / span

    dots = "".join(f"<circle cx=\"{px(float(y_true[i])):.1f}\" cy=\"{py(float(y_pred[i])):.1f}\" r=\"1.6\"/>"
                   for i in order)
    body = (_axes(lo, hi, lo, hi, "true", "predicted")
            + "<line x1=\"40\" y1=\"210\" x2=\"240\" y2=\"10\" stroke=\"#8a949e\" stroke-dasharray=\"4 3\"/>"
            + f"<g fill=\"#1f6feb\" fill-opacity=\"0.55\">{dots}</g>")
    return _svg(250, 250, body, label)


def roc_svg(y_true: np.ndarray, score: np.ndarray, label: str) -> str:
    """The ROC curve of out-of-fold scores (classification), chance dashed."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y_true.astype(int), score)
    points = " ".join(f"{40 + 200 * f:.1f},{210 - 200 * t:.1f}" for f, t in zip(fpr, tpr))
    body = (_axes(0.0, 1.0, 0.0, 1.0, "false positive rate", "true positive rate")
            + "<line x1=\"40\" y1=\"210\" x2=\"240\" y2=\"10\" stroke=\"#8a949e\" stroke-dasharray=\"4 3\"/>"
            + f"<polyline fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"1.6\" points=\"{points}\"/>")
    return _svg(250, 250, body, label)


def reliability_svg(cal: Calibration, label: str) -> str:
    """Observed positive rate against mean predicted probability per bin (dot area ~ participants)."""
    biggest = max(cal.counts)
    dots = "".join(f"<circle cx=\"{40 + 200 * p:.1f}\" cy=\"{210 - 200 * o:.1f}\" "
                   f"r=\"{1.5 + 3.5 * (n / biggest) ** 0.5:.1f}\"/>"
                   for p, o, n in zip(cal.mean_predicted, cal.observed, cal.counts))
    line = " ".join(f"{40 + 200 * p:.1f},{210 - 200 * o:.1f}" for p, o in zip(cal.mean_predicted, cal.observed))
    body = (_axes(0.0, 1.0, 0.0, 1.0, "mean predicted probability", "observed rate")
            + "<line x1=\"40\" y1=\"210\" x2=\"240\" y2=\"10\" stroke=\"#8a949e\" stroke-dasharray=\"4 3\"/>"
            + f"<polyline fill=\"none\" stroke=\"#bf8700\" stroke-width=\"1.2\" points=\"{line}\"/>"
            + f"<g fill=\"#bf8700\" fill-opacity=\"0.7\">{dots}</g>")
    return _svg(250, 250, body, label)


def result_calibration(result: Result) -> Calibration | None:
    """Brier/ECE of a binary classification result's stored out-of-fold probabilities, if it has them."""
    if result.task.kind != "classification" or not result.has_predictions:
        return None
    _, y_true, y_pred = result.predictions.arrays()  # type: ignore[union-attr]
    try:
        return calibration(y_true, y_pred)
    except ValueError:  # not 0/1 labels with probabilities: nothing to calibrate
        return None


def figure(result: Result) -> str | None:
    if not result.has_predictions:
        return None
    _, y_true, y_pred = result.predictions.arrays()  # type: ignore[union-attr]
    finite = np.isfinite(y_true) & np.isfinite(y_pred)
    y_true, y_pred = y_true[finite], y_pred[finite]
    if len(y_true) < 2:
        return None
    label = f"{result.encoder.name} on {result.dataset.name} {result.task.name}"
    binary = result.task.kind == "classification" and set(np.unique(y_true)) <= {0.0, 1.0}
    if binary and len(np.unique(y_true)) == 2:
        return roc_svg(y_true, y_pred, f"ROC: {label}")
    if result.task.kind == "regression":
        return scatter_svg(y_true, y_pred, f"predicted vs true: {label}")
    return None


# -- pages -----------------------------------------------------------------------------------------
def _score_cell(r: Result, best: bool) -> str:
    s = r.main_score
    mark = "†" if r.training_overlap else ""
    title = f"{r.counts.participants} participants"
    text = f"{_num(s.value)} <span class=\"muted\">[{_num(s.ci_low)}, {_num(s.ci_high)}]</span>{mark}"
    css = ' class="best"' if best else ""
    return f"<td data-value=\"{s.value:.6f}\" title=\"{title}\"{css}>{text}</td>"


def _board_section(table: Table, cards: Mapping[str, Mapping[str, Any]]) -> str:
    """One table: one dataset revision scored under one protocol (:func:`harness.leaderboard.tables`)."""
    modality, dataset, results = table.modality, table.dataset, table.results
    tasks = sorted({r.task.name for r in results})
    meta = {r.task.name: r.task for r in results}
    index = {(r.encoder.name, r.task.name): r for r in results}
    best: dict[str, float] = {}
    for t in tasks:
        values = [r.main_score.value for (e, tt), r in index.items() if tt == t]
        best[t] = max(values) if meta[t].higher_is_better else min(values)
    revision = table.revision or "?"
    head = "".join(
        f"<th class=\"sortable\" scope=\"col\">{escape(t)} <span class=\"muted\">{escape(meta[t].metric.upper())} "
        f"{_arrow(meta[t].higher_is_better)}</span></th>" for t in tasks)
    rows = []
    for encoder in sorted({e for e, _ in index}):
        kind = str(cards.get(encoder, {}).get("kind") or "")
        cells = []
        for t in tasks:
            r = index.get((encoder, t))
            cells.append(_score_cell(r, r.main_score.value == best[t]) if r else "<td data-value=\"\">–</td>")
        rows.append(f"<tr data-kind=\"{escape(kind)}\"><td data-value=\"{escape(encoder)}\">"
                    f"<a href=\"{encoder_page(encoder)}\">{escape(encoder)}</a></td>"
                    f"<td data-value=\"{escape(kind)}\">{escape(kind)}</td>{''.join(cells)}</tr>")
    board_id = f"board-{modality}-{table.folder}"
    part = (f" <span class=\"muted\">(table {escape(table.part)}: another protocol or revision, not comparable "
            f"with the other tables of this dataset)</span>") if table.part else ""
    return (f"<section data-board id=\"{escape(board_id)}\" data-modality=\"{escape(modality)}\" "
            f"data-dataset=\"{escape(dataset)}\">\n<h2>{escape(modality.upper())} · {escape(dataset)} "
            f"<span class=\"muted\">revision <code>{escape(revision)}</code></span>{part}</h2>\n"
            f"<p class=\"muted\">{escape(table.protocol.describe())}</p>\n"
            f"<table class=\"board\">\n<thead><tr><th class=\"sortable\" scope=\"col\">encoder</th>"
            f"<th class=\"sortable\" scope=\"col\">kind</th>{head}</tr></thead>\n<tbody>\n"
            + "\n".join(rows) + "\n</tbody>\n</table>\n</section>")


def _paired_section(paired: Sequence[Mapping[str, Any]], modality_of: Mapping[str, str]) -> str:
    if not paired:
        return ""
    rows = []
    for p in paired:
        dataset = str(p["dataset"])
        ov = p.get("training_overlap") or [False, False]
        rows.append(
            f"<tr data-pair-dataset=\"{escape(dataset)}\" "
            f"data-pair-modality=\"{escape(modality_of.get(dataset, ''))}\">"
            f"<td data-value=\"{escape(p['a'])} {escape(p['b'])}\">{escape(p['a'])} vs {escape(p['b'])}</td>"
            f"<td data-value=\"{escape(dataset)}\">{escape(dataset)}</td>"
            f"<td data-value=\"{escape(p['task'])}\">{escape(p['task'])}</td>"
            f"<td data-value=\"{float(p['score_a']):.6f}\">{_num(float(p['score_a']))}{'†' if ov[0] else ''}</td>"
            f"<td data-value=\"{float(p['score_b']):.6f}\">{_num(float(p['score_b']))}{'†' if ov[1] else ''}</td>"
            f"<td data-value=\"{float(p['difference']):.6f}\">{float(p['difference']):+.3f} <span class=\"muted\">"
            f"[{float(p['ci_low']):+.3f}, {float(p['ci_high']):+.3f}]</span></td>"
            f"<td data-value=\"{escape(str(p['verdict']))}\">{escape(str(p['verdict']))}</td></tr>")
    head = "".join(f"<th class=\"sortable\" scope=\"col\">{h}</th>" for h in
                   ("pair", "dataset", "task", "first", "second", "difference [95% CI]", "verdict"))
    return ("<section id=\"paired\">\n<h2>Paired comparisons</h2>\n<p>First minus second encoder on the task's main "
            "metric, both scored on the same participant-bootstrap resamples; the verdict names the encoder that "
            "is better across the whole 95 % CI, or \"tie\".</p>\n"
            f"<table class=\"paired\">\n<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows)
            + "\n</tbody>\n</table>\n</section>")


def _protocol(results: Sequence[Result]) -> str:
    def values(get: Any) -> str:
        found = sorted({str(v) for v in (get(r) for r in results) if v is not None})
        return ", ".join(found) or "?"

    probe: list[Mapping[str, Any]] = [r.config["probe"] if isinstance(r.config.get("probe"), Mapping) else {}
                                      for r in results]
    folds = sorted({str(p.get("folds")) for p in probe if p.get("folds") is not None}) or ["?"]
    boots = sorted({str(p.get("bootstrap")) for p in probe if p.get("bootstrap") is not None}) or ["?"]
    return (f"<p>{len(results)} results. Each cell is the task's main metric on pooled out-of-fold predictions of a "
            f"participant-disjoint {'/'.join(folds)}-fold linear probe (seed {values(lambda r: r.config.get('seed'))}, "
            f"inference {values(lambda r: r.config.get('dtype'))}), with its participant-bootstrap 95 % CI "
            f"({'/'.join(boots)} resamples). Best per column in bold; ↑ higher is better, ↓ lower; † the encoder's "
            "pretraining data includes the evaluation dataset. Click a column header to sort.</p>")


def _rank_svg(s: RankSummary) -> str:
    """Mean rank bars with their CI whiskers and the critical difference as a red bar."""
    k = len(s.encoders)
    width, row = 420, 22
    scale = (width - 190) / max(k, 2)  # rank r sits at 140 + r * scale
    bars = []
    for i, (name, mean, lo, hi) in enumerate(zip(s.encoders, s.mean_rank, s.ci_low, s.ci_high)):
        y = 8 + i * row
        bars.append(
            f"<text x=\"135\" y=\"{y + 12}\" font-size=\"11\" text-anchor=\"end\">{escape(name)}</text>"
            f"<rect x=\"140\" y=\"{y + 3}\" width=\"{mean * scale:.1f}\" height=\"12\" fill=\"#9ec5fe\"/>"
            f"<line x1=\"{140 + lo * scale:.1f}\" x2=\"{140 + hi * scale:.1f}\" y1=\"{y + 9}\" "
            f"y2=\"{y + 9}\" stroke=\"#1b1f24\"/>"
            f"<text x=\"{140 + hi * scale + 4:.1f}\" y=\"{y + 12}\" font-size=\"10\">{mean:.2f}</text>")
    if s.critical_difference is not None:
        y = 8 + k * row
        bars.append(f"<line x1=\"140\" x2=\"{140 + s.critical_difference * scale:.1f}\" y1=\"{y + 6}\" "
                    f"y2=\"{y + 6}\" stroke=\"#cf222e\" stroke-width=\"3\"/><text x=\"135\" y=\"{y + 10}\" "
                    f"font-size=\"11\" text-anchor=\"end\">CD</text>")
    return _svg(width, 8 + (k + 1) * row, "".join(bars), f"mean ranks, {s.suite} {s.modality}")


def _rankings_section(rankings: Sequence[RankSummary]) -> str:
    if not rankings:
        return ""
    parts = ["<section id=\"rankings\">\n<h2>Across datasets</h2>\n<p>Per suite and modality, each encoder's mean "
             "rank over the (dataset, task) cells (1 = best, bootstrap 95 % CI over cells), the Friedman test and "
             "the Nemenyi critical difference (CD, α = 0.05). Bars: mean rank; whiskers: CI; encoders whose mean "
             "ranks differ by more than the CD are distinguishable. Only encoders scored on every cell are "
             "ranked.</p>"]
    for s in rankings:
        parts.append(f"<div data-board data-modality=\"{escape(s.modality)}\" data-dataset=\"\">"
                     f"<h3>{escape(s.suite)} · {escape(s.modality.upper())} ({len(s.cells)} cells)</h3>"
                     f"{_rank_svg(s)}<p>{escape(describe(s))}</p></div>")
    return "\n".join(parts) + "\n</section>"


def index_html(results: Sequence[Result], paired: Sequence[Mapping[str, Any]],
               cards: Mapping[str, Mapping[str, Any]], rankings: Sequence[RankSummary] = ()) -> str:
    from harness.leaderboard import tables

    grids = tables(list(results))
    modalities = sorted({t.modality for t in grids})
    datasets = sorted({t.dataset for t in grids})
    kinds = sorted({str(c.get("kind")) for c in cards.values() if c.get("kind")},
                   key=lambda k: (KINDS.index(k) if k in KINDS else len(KINDS), k))
    options = "".join(f"<option value=\"{escape(m)}\">{escape(m.upper())}</option>" for m in modalities)
    dataset_options = "".join(f"<option value=\"{escape(d)}\">{escape(d)}</option>" for d in datasets)
    boxes = "".join(f"<label><input type=\"checkbox\" data-filter=\"kind\" value=\"{escape(k)}\" checked> "
                    f"{escape(k)}</label>" for k in kinds)
    filters = (f"<div class=\"filters\"><label>modality <select id=\"filter-modality\" data-filter=\"modality\">"
               f"<option value=\"\">all</option>{options}</select></label>"
               f"<label>dataset <select id=\"filter-dataset\" data-filter=\"dataset\"><option value=\"\">all</option>"
               f"{dataset_options}</select></label><span>encoder kind: {boxes}</span></div>")
    sections = "\n".join(_board_section(t, cards) for t in grids)
    modality_of = {t.dataset: t.modality for t in grids}
    body = ("<h1>biosignal-harness leaderboard</h1>\n" + _protocol(results) + "\n" + filters + "\n"
            + (sections or "<p>No results yet.</p>") + "\n" + _rankings_section(rankings) + "\n"
            + _paired_section(paired, modality_of)
            + "\n" + site_fairness.fairness_index_section(results)
            + "\n" + site_fairness.age_gap_index_section(results)
            + "\n" + site_curves.label_efficiency_index_section(results))
    return _page("biosignal-harness leaderboard", body, root="")


def _calibration_cells(r: Result) -> str:
    cal = result_calibration(r)
    if cal is None:
        return "<td data-value=\"\">–</td><td data-value=\"\">–</td>"
    return f"<td data-value=\"{cal.brier:.6f}\">{cal.brier:.3f}</td><td data-value=\"{cal.ece:.6f}\">{cal.ece:.3f}</td>"


def _dl(items: Iterable[tuple[str, Any]]) -> str:
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in items if v not in (None, "", [], {}))
    return f"<dl>{rows}</dl>"


def _input_spec_text(spec: Mapping[str, Any]) -> str:
    return escape(f"{spec.get('modality')}: {spec.get('channels')} channel(s) at {spec.get('fs')} Hz, "
                  f"{spec.get('window_s')} s windows ({spec.get('samples')} samples), normalise "
                  f"{spec.get('normalise')}, longer recordings: {spec.get('long_policy')}")


def encoder_html(name: str, card: Mapping[str, Any], results: Sequence[Result]) -> str:
    mine = sorted((r for r in results if r.encoder.name == name),
                  key=lambda r: (r.dataset.modality, r.dataset.name, r.task.name))
    pre = card.get("pretraining") or {}
    data = "".join(f"<li>{escape(str(d.get('name')))} (revision <code>{escape(str(d.get('revision')))}</code>, "
                   f"{d.get('participants', '?')} participants, {d.get('segments', '?')} segments)</li>"
                   for d in pre.get("data", []))
    arch = card.get("config", {}).get("architecture") if isinstance(card.get("config"), Mapping) else None
    facts = _dl([
        ("kind", escape(str(card.get("kind") or "?"))),
        ("description", escape(str(card.get("description") or ""))),
        ("modalities", escape(", ".join(card.get("modalities") or []))),
        ("parameters", f"{card['parameters']:,}" if isinstance(card.get("parameters"), int) else None),
        ("embedding dimension", card.get("embedding_dim")),
        ("input", "<br>".join(_input_spec_text(s) for s in card.get("input_specs") or [])),
        ("architecture", f"<code>{escape(json.dumps(arch, sort_keys=True))}</code>" if arch else None),
        ("revisions scored", ", ".join(f"<code>{escape(r)}</code>" for r in card.get("revisions") or [])),
        ("pretraining data", f"<ul>{data}</ul>" if data else escape(", ".join(card.get("training_datasets") or []))),
        ("pretraining", escape(", ".join(f"{k} {pre[k]}" for k in ("steps", "seed", "device", "world_size", "amp")
                                         if k in pre)
                               + (f", {pre['wall_time_s'] / 60:.1f} min" if isinstance(pre.get("wall_time_s"),
                                                                                     int | float) else ""))),
        ("weights", f"<code>{escape(str(card.get('weights')))}</code>" if card.get("weights") else None),
        ("weights sha256", f"<code>{escape(str(card.get('weights_sha256')))}</code>"
         if card.get("weights_sha256") else None),
        ("licence", escape(str(card.get("license") or ""))),
        ("citation", escape(str(card.get("citation") or ""))),
        ("registered here", "yes" if card.get("registered") else "no (facts from its result files)"),
    ])
    speed_rows = "".join(
        f"<tr><td>{escape(t['dataset'])}</td><td>{escape(t['device'])}</td><td>{escape(str(t['dtype']))}</td>"
        f"<td data-value=\"{t['segments'] / t['seconds']:.3f}\">{t['segments'] / t['seconds']:.1f}</td></tr>"
        for t in _throughput(mine))
    speed = ("<h2>Measured embedding throughput</h2>\n<p>Segments per second of the runs that computed these "
             "embeddings (adapter included), on the machine each result records.</p>\n<table><thead><tr><th>dataset"
             "</th><th>machine</th><th>dtype</th><th>segments/s</th></tr></thead><tbody>"
             f"{speed_rows}</tbody></table>") if speed_rows else ""
    score_rows = "".join(
        f"<tr><td data-value=\"{escape(r.dataset.name)}\">{escape(r.dataset.name)}</td>"
        f"<td data-value=\"{escape(r.task.name)}\">{escape(r.task.name)}</td>"
        f"<td data-value=\"{escape(r.metric)}\">{escape(r.metric.upper())} {_arrow(r.task.higher_is_better)}</td>"
        f"{_score_cell(r, False)}<td data-value=\"{r.counts.participants}\">{r.counts.participants}</td>"
        f"{_calibration_cells(r)}</tr>"
        for r in mine)
    scores = ("<h2>Scores</h2>\n<table class=\"scores\"><thead><tr>"
              + "".join(f"<th class=\"sortable\" scope=\"col\">{h}</th>"
                        for h in ("dataset", "task", "metric", "score [95% CI]", "participants", "Brier ↓",
                                  "ECE ↓"))
              + f"</tr></thead><tbody>{score_rows}</tbody></table>")
    figures = []
    for r in mine:
        svg = figure(r)
        if svg:
            shown = min(r.counts.participants, MAX_POINTS) if r.task.kind == "regression" else r.counts.participants
            figures.append(f"<div class=\"figure\">{svg}<p>{escape(r.dataset.name)} · {escape(r.task.name)} "
                           f"({shown} of {r.counts.participants} participants)</p></div>")
        cal = result_calibration(r)
        if cal is not None:
            label = f"reliability: {r.encoder.name} on {r.dataset.name} {r.task.name}"
            figures.append(f"<div class=\"figure\">{reliability_svg(cal, label)}<p>{escape(r.dataset.name)} · "
                           f"{escape(r.task.name)} calibration: Brier {cal.brier:.3f}, ECE {cal.ece:.3f}</p></div>")
    figs = ("<h2>Out-of-fold predictions</h2>\n<p>ROC curves and reliability diagrams (observed positive rate "
            "per bin of predicted probability, dot area ~ participants; ECE over 10 equal-width bins) for "
            "classification tasks; predicted against true values for regression tasks (dashed: chance / "
            "identity / perfect calibration).</p>\n<div class=\"figures\">"
            + "".join(figures) + "</div>") if figures else ""
    body = f"<h1>{escape(name)}</h1>\n{facts}\n{speed}\n{scores}\n{figs}\n{site_fairness.encoder_section(mine)}"
    return _page(f"{name} · biosignal-harness", body, root="../")


def orphan_pages(out_dir: Path, files: Mapping[str, str]) -> list[str]:
    """Pages under ``out_dir/site`` that the results no longer give (an encoder whose results went)."""
    root = Path(out_dir) / SITE_DIR
    if not root.is_dir():
        return []
    found = (p.relative_to(out_dir).as_posix() for p in root.rglob("*.html"))
    return sorted(name for name in found if name not in files)


def render_site(results: Sequence[Result], paired: Sequence[Mapping[str, Any]] = (),
                cards: Mapping[str, Mapping[str, Any]] | None = None,
                rankings: Sequence[RankSummary] = ()) -> dict[str, str]:
    """{path relative to the leaderboard folder: content} for every page of the site."""
    ordered = sorted(results, key=lambda r: (r.dataset.modality, r.dataset.name, r.encoder.name, r.task.name))
    cards = encoder_cards(ordered) if cards is None else cards
    files = {f"{SITE_DIR}/index.html": index_html(ordered, paired, cards, rankings)}
    for name in sorted(cards):
        files[f"{SITE_DIR}/{encoder_page(name)}"] = encoder_html(name, cards[name], ordered)
    return files

