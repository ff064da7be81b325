"""Crash safety of ``harness pretrain``: SIGKILL a real subprocess at seeded random points.

tests/pretrain checks bitwise-exact resume by stopping the trainer in-process; this kills the real
command. After each kill the checkpoint folder is absent or whole (it is written to a temporary folder
and renamed); the same command (with ``--resume``) then finishes with exactly the weights of an
uninterrupted run.
"""

from __future__ import annotations

import random
import time

import pytest
import torch

from harness.pretrain.checkpoint import load_checkpoint
from tests.reliability.helpers import harness, start_harness, tiny_store
from tests.reliability.test_crash import _kill_after, _wait_for

STEPS = 8


def _args(store, out):
    return ["pretrain", "--encoder", "ahms-ppg", "--config", "small", "--dataset", str(store), "--steps",
            str(STEPS), "--batch-size", "8", "--checkpoint-every", "2", "--out", str(out), "--quiet", "--resume"]


@pytest.mark.slow
def test_killed_pretrain_resumes_to_the_uninterrupted_weights(tmp_path):
    store = tiny_store(tmp_path / "s.zarr", participants=16, segments=4, seconds=60.0)
    env = {"HARNESS_HOME": str(tmp_path / "home"), "OMP_NUM_THREADS": "1"}
    start = time.monotonic()
    full = harness(*_args(store, tmp_path / "full"), env=env)
    full_s = time.monotonic() - start
    assert full.returncode == 0, full.stderr
    out = tmp_path / "killed"
    rng = random.Random(3)
    for _ in range(3):
        proc = start_harness(*_args(store, out), env=env)
        _wait_for(tmp_path, "killed", proc)
        _kill_after(proc, rng.uniform(0.0, 0.7 * full_s))
        if (out / "checkpoint").exists():  # published: must load whole
            ckpt = load_checkpoint(out / "checkpoint")
            assert ckpt.step % 2 == 0 and 0 < ckpt.step <= STEPS
    again = harness(*_args(store, out), env=env)
    assert again.returncode == 0, again.stderr
    a, b = load_checkpoint(tmp_path / "full" / "checkpoint"), load_checkpoint(out / "checkpoint")
    assert a.step == b.step == STEPS and set(a.model) == set(b.model)
    for key in a.model:
        assert torch.equal(a.model[key], b.model[key]), key
