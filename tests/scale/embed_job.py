"""Run by test_distributed_embedding (under ``torch.distributed.run``, or alone): ``harness run`` with one
extra encoder that can die or fail on rank 1, to show what a launch does when one rank goes.

Usage: embed_job.py MODE LOG_DIR HARNESS-RUN-ARGS...; MODE is ``ok`` (a well-behaved encoder), ``die``
(rank 1 kills itself with SIGKILL half-way through its first unit, once rank 0 has marked one of
its own complete) or ``fail`` (rank 1's encoder raises).
Every process appends how many segments it embedded to ``LOG_DIR/rank<R>.log``.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from harness import EncoderSpec, InputSpec, hookimpl
from harness.cli import main
from harness.embed_cache import EmbeddingCache
from harness.plugins import get_host

MODE, LOG_DIR, ARGS = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
RANK = int(os.environ.get("RANK", "0"))


class BandEncoder:
    """Log power in 8 frequency bands of each segment's first channel (numpy: the same on every rank)."""

    name = "band-power"
    embedding_dim = 8
    revision = "band-power-v1"
    training_datasets = training_revisions = ()

    def __init__(self, modality: str) -> None:
        self.input_spec = InputSpec(modality, 1, 64.0, 60.0)
        self.embedded = 0

    def embed(self, batch):
        if RANK == 1 and MODE == "fail":
            raise RuntimeError("the sensor model is missing")
        if RANK == 1 and MODE == "die" and self.embedded >= 512:
            _wait_for_a_marked_unit()
            os.kill(os.getpid(), signal.SIGKILL)
        spectrum = np.abs(np.fft.rfft(batch.signal[:, 0], axis=-1)) ** 2
        bands = np.array_split(spectrum[:, 1:], self.embedding_dim, axis=-1)
        self.embedded += len(batch.signal)
        with (LOG_DIR / f"rank{RANK}.log").open("a") as log:
            log.write(f"{len(batch.signal)}\n")
        return np.log1p(np.stack([b.mean(axis=-1) for b in bands], axis=1)).astype(np.float32)

    def describe(self) -> dict[str, int]:
        return {"bands": self.embedding_dim}


def _wait_for_a_marked_unit(timeout_s: float = 120.0) -> None:
    """Until some rank has marked a unit of the work in progress complete (rank 0: its first unit)."""
    cache = EmbeddingCache()
    fs, root = cache.root.filesystem()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        fs.invalidate_cache(root)
        for path in fs.glob(f"{root}/*.partial"):
            progress = cache.progress(str(path).rstrip("/").rsplit("/", 1)[-1].removesuffix(".partial"))
            if progress and progress[0] >= 1:
                return
        time.sleep(0.1)


class Plugin:
    @hookimpl
    def harness_register_encoders(self, registry):
        registry.add(EncoderSpec(name="band-power", factory=lambda *, modality, device="cpu", checkpoint=None:
                                 BandEncoder(modality), kind="baseline", embedding_dim=8, uses_torch=False,
                                 description="8-band log power (test plugin)"))


if __name__ == "__main__":
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    get_host().register_module("band-power-test", Plugin())
    sys.exit(main(ARGS))
