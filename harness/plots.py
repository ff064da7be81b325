"""Leaderboard figures a person would rather look at than read: predicted vs true, ROC curves.

Drawn from the out-of-fold predictions stored in each result; written as SVG with a fixed hash salt
and no date so the same results give the same files.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np


def _figure_text(fig) -> str:
    import io

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight", dpi=110)
    return buffer.getvalue()


def _roc(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, score)
    return fpr, tpr


def render_plots(results: list[dict[str, Any]]) -> dict[str, str]:
    """Return {relative path: svg text}, one figure per (dataset, task)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "biosignal-harness"
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        if r.get("predictions", {}).get("y_true"):
            groups[(r["dataset"]["name"], r["task"]["name"])].append(r)
    files: dict[str, str] = {}
    for (dataset, task), rs in sorted(groups.items()):
        rs = sorted(rs, key=lambda r: r["encoder"]["name"])
        metric = rs[0]["task"]["metric"]
        if rs[0]["task"]["kind"] == "regression":
            cols = min(len(rs), 4)
            rows = -(-len(rs) // cols)
            fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False)
            lo = min(min(r["predictions"]["y_true"]) for r in rs)
            hi = max(max(r["predictions"]["y_true"]) for r in rs)
            for ax, r in zip(axes.flat, rs):
                y = np.asarray(r["predictions"]["y_true"])
                p = np.asarray(r["predictions"]["y_pred"])
                ax.scatter(y, p, s=4, alpha=0.4, rasterized=True)  # points as one image: small files
                ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8)
                s = r["scores"][metric]
                ax.set_title(f"{r['encoder']['name']}\n{metric.upper()} {s['value']:.2f}", fontsize=9)
                ax.set_xlabel(f"true {task}", fontsize=8)
                ax.set_ylabel("predicted", fontsize=8)
            for ax in list(axes.flat)[len(rs):]:
                ax.axis("off")
        else:
            fig, ax = plt.subplots(figsize=(4.5, 4.5))
            for r in rs:
                y = np.asarray(r["predictions"]["y_true"])
                fpr, tpr = _roc(y, np.asarray(r["predictions"]["y_pred"]))
                ax.plot(fpr, tpr, lw=1.2, label=f"{r['encoder']['name']} ({r['scores'][metric]['value']:.3f})")
            ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
            ax.set_xlabel("false positive rate")
            ax.set_ylabel("true positive rate")
            ax.legend(fontsize=7, loc="lower right")
        fig.suptitle(f"{dataset} · {task}", fontsize=10)
        fig.tight_layout()
        files[f"plots/{dataset}/{task}.svg"] = _figure_text(fig)
        plt.close(fig)
    return files
