"""Leaderboard figures a person would rather look at than read: predicted vs true, ROC curves.

Drawn from the out-of-fold predictions stored in each result; written as SVG with a fixed hash salt
and no date so the same results give the same files.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from harness.results import Predictions, Result


def _figure_text(fig: Any) -> str:
    import io

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight", dpi=110)
    return buffer.getvalue()


def _roc(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, score)
    return fpr, tpr


def _predictions(result: Result) -> Predictions:
    assert result.predictions is not None  # render_plots groups only results with predictions
    return result.predictions


def render_plots(results: list[Result], *, folder: Callable[[Result], str] | None = None) -> dict[str, str]:
    """Return {relative path: svg text}, one figure per (folder, task); ``folder`` names a result's
    table (default: its dataset), so results of different protocols never share a figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "biosignal-harness"
    groups: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for r in results:
        if r.has_predictions:
            groups[(folder(r) if folder else r.dataset.name, r.task.name)].append(r)
    files: dict[str, str] = {}
    for (dataset, task), rs in sorted(groups.items()):
        rs = sorted(rs, key=lambda r: r.encoder.name)
        metric = rs[0].task.metric
        if rs[0].task.kind == "regression":
            cols = min(len(rs), 4)
            rows = -(-len(rs) // cols)
            fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False)
            lo = min(min(_predictions(r).y_true) for r in rs)
            hi = max(max(_predictions(r).y_true) for r in rs)
            for ax, r in zip(axes.flat, rs):
                _, y, p = _predictions(r).arrays()
                ax.scatter(y, p, s=4, alpha=0.4, rasterized=True)  # points as one image: small files
                ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8)
                ax.set_title(f"{r.encoder.name}\n{metric.upper()} {r.main_score.value:.2f}", fontsize=9)
                ax.set_xlabel(f"true {task}", fontsize=8)
                ax.set_ylabel("predicted", fontsize=8)
            for ax in list(axes.flat)[len(rs):]:
                ax.axis("off")
        else:
            fig, ax = plt.subplots(figsize=(4.5, 4.5))
            for r in rs:
                _, y, p = _predictions(r).arrays()
                fpr, tpr = _roc(y, p)
                ax.plot(fpr, tpr, lw=1.2, label=f"{r.encoder.name} ({r.main_score.value:.3f})")
            ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
            ax.set_xlabel("false positive rate")
            ax.set_ylabel("true positive rate")
            ax.legend(fontsize=7, loc="lower right")
        fig.suptitle(f"{dataset} · {task}", fontsize=10)
        fig.tight_layout()
        files[f"plots/{dataset}/{task}.svg"] = _figure_text(fig)
        plt.close(fig)
    return files
