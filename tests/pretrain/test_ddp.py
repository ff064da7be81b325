"""DDP under torchrun: two gloo ranks on the CPU finish with identical weights and one checkpoint."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from harness.pretrain.checkpoint import load_checkpoint
from tests.conftest import run_process_group

from .conftest import tiny_store_at


@pytest.mark.slow
def test_two_ranks_end_identical(tmp_path):
    store = tiny_store_at(tmp_path / "s.zarr", participants=30)
    out = tmp_path / "out"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    code, _, stderr = run_process_group(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         str(Path(__file__).with_name("ddp_job.py")), str(store), str(out)], env=env, timeout=300)
    assert code == 0, stderr[-3000:]
    r0, r1 = load_file(str(out / "rank0.safetensors")), load_file(str(out / "rank1.safetensors"))
    assert set(r0) == set(r1)
    for key in r0:
        assert torch.equal(r0[key], r1[key]), key
    meta = load_checkpoint(out / "checkpoint").meta
    assert meta["world_size"] == 2 and meta["step"] == 4
    assert (out / "encoder.safetensors").is_file()
