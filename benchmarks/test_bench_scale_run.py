"""A 100,000-participant store through ``harness run --encoder handcrafted`` (issue goal: peak RSS < 2 GB,
time per segment within 1.2x of the 10,000-participant run in the same benchmark session)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.conftest import OUT

JOB = Path(__file__).with_name("scale_run_job.py")
SIZES = (10_000, 100_000)


def test_hundred_thousand_participants_run_flat(benchmark, ledger, tmp_path):
    runs = {}
    for n in SIZES:
        store = OUT / "scale" / f"scale-{n}.zarr"
        if not (store / "zarr.json").exists():
            subprocess.run([sys.executable, str(JOB), "build", str(n), str(store)], check=True)
        home = tmp_path / f"home-{n}"  # a cold embedding cache: the run embeds, probes and writes
        proc = subprocess.run([sys.executable, str(JOB), "run", str(n), str(store), str(home)],
                              capture_output=True, text=True, check=True)
        runs[n] = json.loads(proc.stdout.strip().splitlines()[-1])
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    small, big = (runs[n] for n in SIZES)
    per_segment = big["s_per_1k_segments"] / small["s_per_1k_segments"]
    ledger.figure("harness run handcrafted, one 30 s segment per participant", runs)
    ledger.ratio("100k-participant run peak RSS (GB)", big["peak_rss_mb"] / 1024, "< 2", big["peak_rss_mb"] < 2048)
    ledger.ratio("100k vs 10k run: time per segment", per_segment, "<= 1.2", per_segment <= 1.2)
