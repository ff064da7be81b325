"""The site's fairness and age-gap views: what :mod:`harness.subgroups` and :mod:`harness.age_gap` stored
in each result, drawn as inline SVG (no plotting library, fixed number formats: byte-deterministic).

* Per task (index page): each encoder's worst group and largest gap with its CI; per result (encoder page):
  every group's score as a dot with its CI whisker, groups too small or single-class listed as such.
* Per dataset (index page) and per encoder: a forest plot of the age- and sex-adjusted difference in
  corrected age gap for each condition, with its 95 % CI and a zero line.

Results written before these analyses have no such keys and simply contribute nothing here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from harness.results import Result

BAR_W = 200  # plot width in px of the value axis
ROW_H = 16

STATUS_TEXT = {"too_small": "too few participants", "single_class": "one class only (or too few of one)"}


def stored_subgroups(result: Result) -> Mapping[str, Any] | None:
    entry = result.extra.get("subgroups")
    if not isinstance(entry, Mapping) or not isinstance(entry.get("groupings"), Mapping):
        return None
    return entry


def stored_age_gap(result: Result) -> Mapping[str, Any] | None:
    entry = result.extra.get("age_gap")
    if not isinstance(entry, Mapping) or not isinstance(entry.get("associations"), Mapping):
        return None
    return entry


def _f(value: Any, digits: int = 3) -> str:
    return f"{float(value):.{digits}f}"


def _ci(entry: Mapping[str, Any], digits: int = 3) -> str:
    return f"{_f(entry['value'], digits)} [{_f(entry['ci_low'], digits)}, {_f(entry['ci_high'], digits)}]"


def _svg(width: int, height: int, body: str, label: str) -> str:
    return (f"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" "
            f"height=\"{height}\" role=\"img\" aria-label=\"{escape(label)}\">{body}</svg>")


def _scale(lo: float, hi: float, x0: float) -> Any:
    span = (hi - lo) or 1.0
    return lambda v: x0 + BAR_W * (float(v) - lo) / span


def subgroup_svg(entry: Mapping[str, Any], label: str) -> str:
    """One row per group (grouped by grouping): the score as a dot, its CI as a whisker; the worst group red."""
    rows: list[tuple[str, str, Mapping[str, Any] | None, bool]] = []
    for name in sorted(entry["groupings"]):
        g = entry["groupings"][name]
        for group in sorted(g["groups"]):
            score = g["groups"][group]
            rows.append((name, group, score if score.get("status") == "ok" else None, g.get("worst") == group))
    values = [v for _, _, s, _ in rows if s for v in (s["ci_low"], s["ci_high"], s["value"])]
    if not values:
        return ""
    lo, hi = min(values), max(values)
    x0 = 130
    px = _scale(lo, hi, x0)
    height = 24 + ROW_H * len(rows)
    parts = [f"<line x1=\"{x0}\" y1=\"8\" x2=\"{x0}\" y2=\"{height - 14}\" stroke=\"#d8dde3\"/>",
             f"<text x=\"{x0}\" y=\"{height - 2}\" font-size=\"10\">{_f(lo)}</text>",
             f"<text x=\"{x0 + BAR_W}\" y=\"{height - 2}\" font-size=\"10\" text-anchor=\"end\">{_f(hi)}</text>",
             f"<text x=\"{x0 + BAR_W // 2}\" y=\"{height - 2}\" font-size=\"10\" text-anchor=\"middle\">"
             f"{escape(str(entry.get('metric', '')).upper())}</text>"]
    for i, (name, group, score, worst) in enumerate(rows):
        y = 14 + ROW_H * i
        parts.append(f"<text x=\"{x0 - 6}\" y=\"{y + 4}\" font-size=\"10\" text-anchor=\"end\">"
                     f"{escape(name)}: {escape(group)}</text>")
        if score is None:
            parts.append(f"<text x=\"{x0 + 4}\" y=\"{y + 4}\" font-size=\"10\" fill=\"#5b6570\">not scored</text>")
            continue
        colour = "#cf222e" if worst else "#1f6feb"
        parts.append(f"<line x1=\"{px(score['ci_low']):.1f}\" y1=\"{y}\" x2=\"{px(score['ci_high']):.1f}\" "
                     f"y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"1.5\"/>"
                     f"<circle cx=\"{px(score['value']):.1f}\" cy=\"{y}\" r=\"3\" fill=\"{colour}\"/>")
    return _svg(x0 + BAR_W + 20, height, "".join(parts), label)


def _group_rows(entry: Mapping[str, Any]) -> str:
    rows = []
    for name in sorted(entry["groupings"]):
        g = entry["groupings"][name]
        mark = " (defined by the task's own label)" if g.get("defined_by_task_label") else ""
        for group in sorted(g["groups"]):
            s = g["groups"][group]
            shown = _ci(s) if s.get("status") == "ok" else escape(STATUS_TEXT.get(str(s.get("status")),
                                                                                    str(s.get("status"))))
            pos = f", {s['positives']} positive" if "positives" in s else ""
            worst = " ← worst" if g.get("worst") == group else ""
            rows.append(f"<tr><td>{escape(name)}{mark}</td><td>{escape(group)}</td><td>{s['n']}{pos}</td>"
                        f"<td>{shown}{worst}</td></tr>")
        gap = g.get("gap")
        if gap:
            rows.append(f"<tr class=\"muted\"><td>{escape(name)}</td><td>gap</td><td></td><td>{escape(gap['best'])} vs "
                        f"{escape(gap['worst'])}: {_ci(gap)}</td></tr>")
    return "".join(rows)


def result_fairness(result: Result) -> str:
    """The encoder page's block for one result: bars and the table behind them ('' without subgroups)."""
    entry = stored_subgroups(result)
    if entry is None:
        return ""
    label = f"subgroup {result.metric}: {result.encoder.name} on {result.dataset.name} {result.task.name}"
    svg = subgroup_svg(entry, label)
    summary = _summary(entry)
    return (f"<div class=\"figure fairness\" data-task=\"{escape(result.task.name)}\">"
            f"<h3>{escape(result.dataset.name)} · {escape(result.task.name)}</h3>{svg}"
            f"<p>{summary}</p><table><thead><tr><th>grouping</th><th>group</th><th>participants</th>"
            f"<th>{escape(result.metric.upper())} [95% CI]</th></tr></thead><tbody>{_group_rows(entry)}</tbody>"
            "</table></div>")


def _summary(entry: Mapping[str, Any]) -> str:
    worst, gap = entry.get("worst_group"), entry.get("largest_gap")
    parts = []
    if worst:
        parts.append(f"worst group: {escape(worst['grouping'])} {escape(worst['group'])} ({_f(worst['value'])})")
    if gap:
        parts.append(f"largest gap: {escape(gap['grouping'])}, {escape(gap['best'])} vs {escape(gap['worst'])} "
                     f"{_ci(gap)}")
    return "; ".join(parts) or "no grouping with two scorable groups"


def results_by_task(results: Sequence[Result],
                    has: Callable[[Result], Any]) -> dict[tuple[str, str, str], list[Result]]:
    """The results for which ``has(result)`` is not None, grouped by (modality, dataset, task): one
    index section each."""
    cells: dict[tuple[str, str, str], list[Result]] = {}
    for r in results:
        if has(r) is not None:
            cells.setdefault((r.dataset.modality, r.dataset.name, r.task.name), []).append(r)
    return cells


def fairness_index_section(results: Sequence[Result]) -> str:
    """Per (dataset, task): each encoder's worst group and largest gap, sortable."""
    cells = results_by_task(results, stored_subgroups)
    if not cells:
        return ""
    out = ["<h2 id=\"fairness\">Subgroups</h2>\n<p>Each result's main metric per sex, age band (&lt;40, 40-59, "
           "≥60 years) and BMI band (&lt;25, 25-30, ≥30 kg/m²), with participant-bootstrap 95% CIs; worst group "
           "and largest gap (best minus worst, so positive = a gap) leave out groupings the task's own label "
           "defines. Per-group bars are on each encoder's page.</p>"]
    for (modality, dataset, task), rs in sorted(cells.items()):
        rows = []
        for r in sorted(rs, key=lambda r: r.encoder.name):
            entry = stored_subgroups(r)
            assert entry is not None
            worst, gap = entry.get("worst_group"), entry.get("largest_gap")
            rows.append(
                f"<tr><td data-value=\"{escape(r.encoder.name)}\">{escape(r.encoder.name)}</td>"
                f"<td data-value=\"{_f(worst['value'], 6) if worst else ''}\">"
                f"{escape(worst['grouping'] + ' ' + worst['group']) + ' ' + _f(worst['value']) if worst else '–'}</td>"
                f"<td data-value=\"{_f(gap['value'], 6) if gap else ''}\">"
                f"{escape(gap['grouping']) + ': ' + _ci(gap) if gap else '–'}</td></tr>")
        metric = rs[0].metric.upper()
        out.append(f"<section data-fairness data-modality=\"{escape(modality)}\" data-dataset=\"{escape(dataset)}\">"
                   f"<h3>{escape(dataset)} · {escape(task)} ({escape(metric)})</h3><table><thead><tr>"
                   + "".join(f"<th class=\"sortable\" scope=\"col\">{h}</th>"
                             for h in ("encoder", "worst group", "largest gap [95% CI]"))
                   + f"</tr></thead><tbody>{''.join(rows)}</tbody></table></section>")
    return "\n".join(out)


def age_gap_svg(entry: Mapping[str, Any], label: str) -> str:
    """Forest plot: each condition's adjusted difference in corrected age gap (years) with its CI."""
    assoc = entry["associations"]
    names = sorted(assoc)
    ok = [assoc[n] for n in names if assoc[n].get("status") == "ok"]
    if not ok:
        return ""
    lo = min(0.0, *(a["ci_low"] for a in ok))
    hi = max(0.0, *(a["ci_high"] for a in ok))
    x0 = 110
    px = _scale(lo, hi, x0)
    height = 24 + ROW_H * len(names)
    parts = [f"<line x1=\"{px(0):.1f}\" y1=\"6\" x2=\"{px(0):.1f}\" y2=\"{height - 14}\" stroke=\"#8a949e\" "
             "stroke-dasharray=\"4 3\"/>",
             f"<text x=\"{x0}\" y=\"{height - 2}\" font-size=\"10\">{_f(lo, 1)}</text>",
             f"<text x=\"{x0 + BAR_W}\" y=\"{height - 2}\" font-size=\"10\" text-anchor=\"end\">{_f(hi, 1)}</text>",
             f"<text x=\"{x0 + BAR_W // 2}\" y=\"{height - 2}\" font-size=\"10\" text-anchor=\"middle\">"
             "years</text>"]
    for i, name in enumerate(names):
        a = assoc[name]
        y = 14 + ROW_H * i
        parts.append(f"<text x=\"{x0 - 6}\" y=\"{y + 4}\" font-size=\"10\" text-anchor=\"end\">{escape(name)}</text>")
        if a.get("status") != "ok":
            parts.append(f"<text x=\"{x0 + 4}\" y=\"{y + 4}\" font-size=\"10\" fill=\"#5b6570\">too few</text>")
            continue
        parts.append(f"<line x1=\"{px(a['ci_low']):.1f}\" y1=\"{y}\" x2=\"{px(a['ci_high']):.1f}\" y2=\"{y}\" "
                     f"stroke=\"#8250df\" stroke-width=\"1.5\"/><circle cx=\"{px(a['estimate']):.1f}\" cy=\"{y}\" "
                     "r=\"3\" fill=\"#8250df\"/>")
    return _svg(x0 + BAR_W + 20, height, "".join(parts), label)


def _age_gap_rows(entry: Mapping[str, Any]) -> str:
    rows = []
    for name in sorted(entry["associations"]):
        a = entry["associations"][name]
        shown = (f"{_f(a['estimate'], 2)} [{_f(a['ci_low'], 2)}, {_f(a['ci_high'], 2)}], p={a['p_value']:.2g}"
                 if a.get("status") == "ok" else "too few participants in one arm")
        rows.append(f"<tr><td>{escape(name)}</td><td>{a['n_with']} / {a['n_without']}</td><td>{shown}</td></tr>")
    return "".join(rows)


def result_age_gap(result: Result) -> str:
    """One age result's block: the forest plot, the correction's effect on the slope, the table."""
    entry = stored_age_gap(result)
    if entry is None:
        return ""
    label = f"age gap: {result.encoder.name} on {result.dataset.name}"
    slopes = (f"slope of gap on age: raw {_f(entry['raw_gap_age_slope'])}, corrected "
              f"{_f(entry['corrected_gap_age_slope'])}")
    return (f"<div class=\"figure age-gap\" data-encoder=\"{escape(result.encoder.name)}\">"
            f"<h3>{escape(result.encoder.name)} · {escape(result.dataset.name)}</h3>"
            f"{age_gap_svg(entry, label)}<p>{slopes}</p><table><thead><tr><th>condition</th><th>with / without</th>"
            f"<th>adjusted Δ gap, years [95% CI]</th></tr></thead><tbody>{_age_gap_rows(entry)}</tbody></table></div>")


AGE_GAP_TEXT = ("<p>Out-of-fold predicted minus true age, corrected for regression to the mean with a line "
                "(gap on age) fitted in each training fold to its participants' cross-validated predictions; "
                "per condition, the OLS coefficient of corrected gap ~ condition + age + sex (years; positive = "
                "looks older) with its 95% CI.</p>")


def age_gap_index_section(results: Sequence[Result]) -> str:
    """Per dataset, every encoder's association estimates (forest plots)."""
    by_dataset: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        if stored_age_gap(r) is not None:
            by_dataset.setdefault((r.dataset.modality, r.dataset.name), []).append(r)
    if not by_dataset:
        return ""
    out = ["<h2 id=\"age-gap\">Age gap</h2>\n" + AGE_GAP_TEXT]
    for (modality, dataset), rs in sorted(by_dataset.items()):
        blocks = "".join(result_age_gap(r) for r in sorted(rs, key=lambda r: r.encoder.name))
        out.append(f"<section data-age-gap data-modality=\"{escape(modality)}\" data-dataset=\"{escape(dataset)}\">"
                   f"<h3>{escape(dataset)}</h3><div class=\"figures\">{blocks}</div></section>")
    return "\n".join(out)


def encoder_section(results: Sequence[Result]) -> str:
    """The encoder page's subgroup and age-gap views ('' when its results carry neither)."""
    fairness = "".join(result_fairness(r) for r in results)
    gaps = "".join(result_age_gap(r) for r in results)
    out = ""
    if fairness:
        out += ("<h2>Subgroups</h2>\n<p>Main metric per group with its participant-bootstrap 95% CI (red: the "
                "worst group of each result).</p>\n<div class=\"figures\">" + fairness + "</div>")
    if gaps:
        out += "\n<h2>Age gap</h2>\n" + AGE_GAP_TEXT + "<div class=\"figures\">" + gaps + "</div>"
    return out
