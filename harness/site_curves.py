"""Label-efficiency curves on the static site: one figure per (dataset, task), every encoder overlaid.

Inline SVG drawn here (deterministic text, no plotting library), x on a log scale of the share of
training participants, y the task's main metric; each encoder a coloured line with a legend, the spread
of its repeats as a vertical bar. Not-scorable fractions are left out of a line and named under it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from harness.results import Result
from harness.site_fairness import results_by_task

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22")
W, H, X0, Y0, PLOT_W, PLOT_H = 520, 250, 56, 16, 300, 190


def stored_curve(result: Result) -> Mapping[str, Any] | None:
    entry = result.extra.get("label_efficiency")
    return entry if isinstance(entry, Mapping) and entry.get("points") else None


def _ok(points: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [p for p in points if p.get("status") == "ok"]


def curve_svg(results: Sequence[Result], label: str) -> str:
    """The curves of ``results`` (one dataset and task), or "" when none has a scorable point."""
    curves = [(r.encoder.name, _ok(c["points"])) for r in results if (c := stored_curve(r)) is not None]
    curves = [(name, pts) for name, pts in curves if pts]
    if not curves:
        return ""
    xs = [float(p["fraction"]) for _, pts in curves for p in pts]
    ys = [float(v) for _, pts in curves for p in pts for v in (p["min"], p["max"])]
    lx0, lx1 = math.log10(min(xs)), math.log10(max(xs))
    y0, y1 = min(ys), max(ys)
    pad = (y1 - y0) * 0.08 or 0.05
    y0, y1 = y0 - pad, y1 + pad

    def px(f: float) -> float:
        return X0 + (PLOT_W * (math.log10(f) - lx0) / (lx1 - lx0) if lx1 > lx0 else PLOT_W / 2)

    def py(v: float) -> float:
        return Y0 + PLOT_H * (1 - (v - y0) / (y1 - y0))

    parts = [f"<rect x=\"{X0}\" y=\"{Y0}\" width=\"{PLOT_W}\" height=\"{PLOT_H}\" fill=\"none\" stroke=\"#888\"/>"]
    for f in sorted(set(xs)):
        parts.append(f"<text x=\"{px(f):.1f}\" y=\"{Y0 + PLOT_H + 14}\" font-size=\"10\" text-anchor=\"middle\">"
                     f"{f:g}</text>")
    for v in (y0 + pad, (y0 + y1) / 2, y1 - pad):
        parts.append(f"<text x=\"{X0 - 4}\" y=\"{py(v) + 3:.1f}\" font-size=\"10\" text-anchor=\"end\">{v:.3g}</text>")
    parts.append(f"<text x=\"{X0 + PLOT_W / 2}\" y=\"{H - 8}\" font-size=\"11\" text-anchor=\"middle\">share of "
                 "training participants (log scale)</text>")
    for i, (name, pts) in enumerate(curves):
        colour = PALETTE[i % len(PALETTE)]
        coords = " ".join(f"{px(float(p['fraction'])):.1f},{py(float(p['value'])):.1f}" for p in pts)
        parts.append(f"<polyline points=\"{coords}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\"/>")
        for p in pts:
            x = px(float(p["fraction"]))
            parts.append(f"<line x1=\"{x:.1f}\" x2=\"{x:.1f}\" y1=\"{py(float(p['min'])):.1f}\" "
                         f"y2=\"{py(float(p['max'])):.1f}\" stroke=\"{colour}\"/>"
                         f"<circle cx=\"{x:.1f}\" cy=\"{py(float(p['value'])):.1f}\" r=\"2.5\" fill=\"{colour}\">"
                         f"<title>{escape(name)} at {float(p['fraction']):g}: {float(p['value']):.3f}</title></circle>")
        ly = Y0 + 10 + 14 * i
        parts.append(f"<line x1=\"{X0 + PLOT_W + 14}\" x2=\"{X0 + PLOT_W + 30}\" y1=\"{ly}\" y2=\"{ly}\" "
                     f"stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{X0 + PLOT_W + 34}\" y=\"{ly + 4}\" "
                     f"font-size=\"11\">{escape(name)}</text>")
    height = max(H, Y0 + 24 + 14 * len(curves))
    return (f"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {height}\" width=\"{W}\" height=\"{height}\" "
            f"role=\"img\" aria-label=\"{escape(label)}\">{''.join(parts)}</svg>")


def _areas(results: Sequence[Result]) -> str:
    rows = []
    for r in sorted(results, key=lambda r: r.encoder.name):
        curve = stored_curve(r)
        if curve is None:
            continue
        skipped = [f"{float(p['fraction']):g} ({p.get('reason', '')})" for p in curve["points"]
                   if p.get("status") != "ok"]
        area = curve.get("area")
        rows.append(f"<tr><td data-value=\"{escape(r.encoder.name)}\">{escape(r.encoder.name)}</td>"
                    f"<td data-value=\"{'' if area is None else f'{float(area):.6f}'}\">"
                    f"{'–' if area is None else f'{float(area):.3f}'}</td>"
                    f"<td>{escape('; '.join(skipped)) or '–'}</td></tr>")
    return ("<table><thead><tr>" + "".join(f"<th class=\"sortable\" scope=\"col\">{h}</th>"
                                          for h in ("encoder", "area (mean over log share)", "not scorable"))
            + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def label_efficiency_index_section(results: Sequence[Result]) -> str:
    """Per (dataset, task): the curves of every encoder, and each curve's area, sortable."""
    cells = results_by_task(results, stored_curve)
    if not cells:
        return ""
    out = ["<h2 id=\"label-efficiency\">Label efficiency</h2>\n<p>The probe refitted on a share of each "
           "training fold's participants (seeded, class-stratified repeats), scored on the full test folds: the "
           "mean over repeats, bars spanning them; at 1 the main score. The area is the mean score over the "
           "log-share axis.</p>"]
    for (modality, dataset, task), rs in sorted(cells.items()):
        metric = rs[0].metric.upper()
        svg = curve_svg(sorted(rs, key=lambda r: r.encoder.name), f"label efficiency, {dataset} {task}")
        out.append(f"<section data-label-efficiency data-modality=\"{escape(modality)}\" "
                   f"data-dataset=\"{escape(dataset)}\"><h3>{escape(dataset)} · {escape(task)} ({escape(metric)})"
                   f"</h3><div class=\"figure\">{svg}</div>{_areas(rs)}</section>")
    return "\n".join(out)
