"""Embedding throughput with and without the cache; the probe suite at 1k, 10k and 100k participants."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from benchmarks.conftest import cached_store

JOB = Path(__file__).with_name("probe_suite_job.py")
SIZES = (1_000, 10_000, 100_000)


def test_embedding_cache(benchmark, bench_home, ledger, tmp_path):
    from harness.embed_cache import EmbeddingCache
    from harness.plugins import get_host
    from harness.runner import embed_store
    from harness.store import open_store

    store = open_store(cached_store("synthetic-ppg", 250))  # 1000 segments
    encoder = get_host().encoders.get("handcrafted").load()(modality="ppg", device="cpu", checkpoint=None)
    off = EmbeddingCache(tmp_path / "off", enabled=False)
    t0 = time.perf_counter()
    plain, _, hit0, _ = embed_store(encoder, store, batch_size=64, cache=off, progress=False)
    no_cache_s = time.perf_counter() - t0
    cache = EmbeddingCache(tmp_path / "on")
    t0 = time.perf_counter()
    first, _, hit1, _ = embed_store(encoder, store, batch_size=64, cache=cache, progress=False)
    cold_s = time.perf_counter() - t0

    def warm():
        return embed_store(encoder, store, batch_size=64, cache=cache, progress=False)

    again, _, hit2, _ = benchmark.pedantic(warm, rounds=5, iterations=1)
    warm_s = benchmark.stats.stats.min
    assert (hit0, hit1, hit2) == (False, False, True)
    np.testing.assert_allclose(again, first)
    np.testing.assert_allclose(plain, first, rtol=1e-5, atol=1e-6)
    n = store.n_segments
    ledger.figure("embedding segments/s (handcrafted)", {"no cache": round(n / no_cache_s, 1),
                                                         "cold cache": round(n / cold_s, 1),
                                                         "warm cache": round(n / warm_s, 1)})
    ledger.ratio("embed warm re-run / first run (time)", warm_s / cold_s, "<= 0.05", warm_s <= 0.05 * cold_s)
    ledger.ratio("embed first run with cache / no cache (time)", cold_s / no_cache_s, "info", True)


@pytest.mark.parametrize("dummy", [0])
def test_probe_suite_scaling(benchmark, ledger, dummy):
    """Each size in its own process, so its peak RSS is its own."""
    runs = {}

    def run_all():
        for n in SIZES:
            proc = subprocess.run([sys.executable, str(JOB), str(n)], capture_output=True, text=True, check=True)
            runs[n] = json.loads(proc.stdout.strip().splitlines()[-1])
        return runs

    benchmark.pedantic(run_all, rounds=1, iterations=1)
    walls = [runs[n]["wall_s"] for n in SIZES]
    slope = (math.log(walls[-1]) - math.log(walls[0])) / (math.log(SIZES[-1]) - math.log(SIZES[0]))
    tail = (math.log(walls[-1]) - math.log(walls[-2])) / (math.log(SIZES[-1]) - math.log(SIZES[-2]))
    ledger.figure("probe suite", {n: {k: runs[n][k] for k in ("wall_s", "peak_rss_mb", "tasks")} for n in SIZES})
    ledger.ratio("probe suite log-log slope 1k->100k", slope, "<= 1.1", slope <= 1.1)
    ledger.ratio("probe suite log-log slope 10k->100k", tail, "info", True)
    peak = runs[SIZES[-1]]["peak_rss_mb"]
    ledger.ratio("probe suite peak RSS at 100k (GB)", peak / 1024, "< 2", peak < 2048)
