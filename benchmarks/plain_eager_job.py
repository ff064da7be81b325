"""Plain eager float32 in a process of its own, as a user's PyTorch script would run it: ``python
benchmarks/plain_eager_job.py NAME INPUT.npy BATCH THREADS`` prints segments/s as JSON.

The harness builds the model (the same weights), but ``HARNESS_KEEP_FREED_MEMORY=0`` leaves the C
allocator as PyTorch gets it, so this is the reference the harness's own settings are measured
against (:mod:`harness.allocator`); the forward is the model's ``embed`` under ``inference_mode``.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np


def main(name: str, inputs: str, batch: int, threads: int) -> None:
    os.environ["HARNESS_KEEP_FREED_MEMORY"] = "0"
    import torch

    import harness

    torch.set_num_threads(threads)
    model = harness.load_encoder(name, device="cpu", inference="eager").encoder.model
    x = torch.from_numpy(np.load(inputs))

    def plain() -> None:
        with torch.inference_mode():
            for lo in range(0, len(x), batch):
                model.embed(x[lo:lo + batch])

    plain()
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        plain()
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"seconds": best, "segments_per_s": len(x) / best}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
