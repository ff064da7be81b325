"""A store of N participants (one segment each) built and run through ``harness run`` in its own processes.

``python benchmarks/scale_run_job.py build N DIR`` writes the store (PPG, 64 Hz, 30 s segments: 100,000 of
them are 768 MB of float32 signal before compression, what fits this disk comfortably while each segment is
a realistic window), block by block; ``... run N DIR HOME`` times ``harness run --encoder handcrafted --task
age,sex`` on it in a child process and prints JSON with the child's wall time and peak RSS (getrusage).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

FS, SECONDS = 64.0, 30.0
BLOCK = 2_000


def build(n: int, path: str) -> None:
    from harness.store import StoreWriter

    rng = np.random.default_rng(0)
    samples = int(FS * SECONDS)
    t = np.arange(samples) / FS
    ages = rng.uniform(20, 80, n)
    sex = rng.integers(0, 2, n).astype(float)
    ids = np.char.add("P", np.char.zfill(np.arange(n).astype(str), 6))
    with StoreWriter(path, dataset=f"scale-{n}", modality="ppg", fs=FS, channel_names=["ppg"], samples=samples,
                     units="a.u.", source="benchmark", license="CC0-1.0") as writer:
        for lo in range(0, n, BLOCK):
            hi = min(lo + BLOCK, n)
            hr = 95 - 0.5 * ages[lo:hi] + 5 * sex[lo:hi]
            phase = 2 * np.pi * hr[:, None] / 60 * t[None, :] + rng.uniform(0, 6, (hi - lo, 1))
            signal = np.sin(phase) ** 2 + 0.1 * rng.standard_normal((hi - lo, samples))
            writer.append(signal[:, None, :].astype(np.float32), list(ids[lo:hi]), t_start=np.zeros(hi - lo))
        writer.set_participants({"participant_id": list(ids), "age": ages, "sex": sex})


def run(n: int, path: str, home: str) -> dict:
    env = {**os.environ, "HARNESS_HOME": home}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "harness", "run", "--encoder", "handcrafted", "--task", "age,sex",
                    "--dataset", path, "--bootstrap", "100", "--output", os.path.join(home, "results"), "--quiet"],
                   check=True, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"participants": n, "wall_s": round(wall, 2), "s_per_1k_segments": round(1000 * wall / n, 3),
            "peak_rss_mb": round(peak, 1)}


if __name__ == "__main__":
    mode, size = sys.argv[1], int(sys.argv[2])
    if mode == "build":
        build(size, sys.argv[3])
    else:
        print(json.dumps(run(size, sys.argv[3], sys.argv[4])))
