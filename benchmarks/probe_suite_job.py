"""One probe-suite run in its own process: ``python benchmarks/probe_suite_job.py N`` prints JSON.

Participant-level embeddings are synthesised with the real label structure: the synthetic cohort's
labels and latent traits (age, sex, BMI, hypertension, diabetes drive heart rate, stiffness, ...) for N
participants, projected to DIM dimensions with noise, which is what a cheap encoder's participant means
look like to the probe. Every built-in PPG task whose label the cohort has is probed with the harness's
own ``run_probe`` (5 outer folds, inner CV, 1000 bootstrap resamples). Peak RSS is the process's own (VmHWM).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd
from peak_memory import own_peak_rss_kb  # a sibling: the job runs as a script from benchmarks/

DIM = 64


def cohort(n: int, seed: int = 0) -> pd.DataFrame:
    from harness_datasets.synthetic.cohort import BLOCK_PARTICIPANTS, sample_block

    blocks = [sample_block(seed, "ppg", b) for b in range(-(-n // BLOCK_PARTICIPANTS))]
    return pd.concat(blocks, ignore_index=True).iloc[:n]


def embeddings(table: pd.DataFrame, seed: int = 0) -> np.ndarray:
    latents = table[[c for c in table.columns if c.startswith("latent_")]].to_numpy(np.float64)
    latents = (latents - latents.mean(0)) / np.maximum(latents.std(0), 1e-9)
    rng = np.random.default_rng(seed)
    proj = rng.normal(size=(latents.shape[1], DIM)) / np.sqrt(latents.shape[1])
    return (latents @ proj + rng.normal(scale=1.0, size=(len(table), DIM))).astype(np.float32)


def main(n: int) -> dict:
    from harness.plugins import get_host
    from harness.probe import ProbeConfig, run_probe

    t0 = time.perf_counter()
    table = cohort(n)
    features = embeddings(table)
    host = get_host()
    scores = {}
    for name in host.tasks.names() if hasattr(host.tasks, "names") else [e.name for e in host.tasks.entries()]:
        task = host.tasks.load(name)
        if task.label not in table.columns or (task.modalities and "ppg" not in task.modalities):
            continue
        y = task.targets(table[task.label].to_numpy(np.float64))
        keep = np.isfinite(y)
        outcome = run_probe(task, features[keep], y[keep], ProbeConfig())
        scores[name] = round(outcome.scores[task.metric]["value"], 4)
    wall = time.perf_counter() - t0
    peak_kb = own_peak_rss_kb()
    return {"participants": n, "dim": DIM, "tasks": len(scores), "scores": scores, "wall_s": round(wall, 3),
            "peak_rss_mb": round(peak_kb / 1024, 1)}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
