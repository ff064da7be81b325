"""Participant means of an N-segment x 256-d embedding cache in its own process (peak RSS from getrusage).

``python benchmarks/participant_means_job.py write N DIR`` writes a zarr array shaped like the embedding
cache's (``embeddings[segment, 256]``, chunks of 4096 rows, float32) with synthesised values, block by
block; ``... means N DIR`` times :func:`harness.probe.participant_means` on it and prints JSON. Four
segments per participant, as in the synthetic cohorts.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from peak_memory import own_peak_rss_kb  # a sibling: the job runs as a script from benchmarks/

DIM = 256
PER_PARTICIPANT = 4
WRITE_ROWS = 65_536


def participant_ids(n: int) -> np.ndarray:
    return np.char.add("p", (np.arange(n) // PER_PARTICIPANT).astype(str))


def write(n: int, path: str) -> None:
    import zarr

    array = zarr.create_array(path, shape=(n, DIM), chunks=(4096, DIM), dtype="float32", overwrite=True)
    rng = np.random.default_rng(0)
    for lo in range(0, n, WRITE_ROWS):
        hi = min(lo + WRITE_ROWS, n)
        array[lo:hi] = rng.standard_normal((hi - lo, DIM), dtype=np.float32)


def means(n: int, path: str) -> dict:
    import zarr

    from harness.probe import participant_means

    array = zarr.open_array(path, mode="r")
    ids = participant_ids(n)
    start = time.perf_counter()
    got_ids, got = participant_means(array, ids)
    wall = time.perf_counter() - start
    assert len(got_ids) == n // PER_PARTICIPANT and np.isfinite(got).all()
    return {"segments": n, "wall_s": round(wall, 2),
            "peak_rss_mb": round(own_peak_rss_kb() / 1024, 1)}


if __name__ == "__main__":
    mode, size, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode == "write":
        write(size, folder)
    else:
        print(json.dumps(means(size, folder)))
