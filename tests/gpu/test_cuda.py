"""CUDA paths (run by scripts/gpu_check.sh on a GPU machine; skipped without CUDA): GPU inference
against CPU embeddings, AMP pretraining steps, and a torchrun run on NCCL."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import harness  # noqa: E402
from tests.conftest import run_process_group, write_store  # noqa: E402

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (scripts/gpu_check.sh)")]


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.parametrize("name", ["ahms-ppg", "ahms-ecg"])
def test_cuda_embeddings_match_the_cpu_in_fp32_and_bf16(name):
    cpu = harness.load_encoder(name, device="cpu")
    gpu = harness.load_encoder(name, device="cuda")
    spec = cpu.encoder.input_spec
    x = np.random.default_rng(0).standard_normal((16, spec.channels, spec.samples)).astype(np.float32)
    reference = cpu.embed(x, fs=spec.fs)
    fp32 = gpu.embed(x, fs=spec.fs)
    np.testing.assert_allclose(fp32, reference, rtol=1e-3, atol=1e-3)  # cuDNN picks other conv algorithms
    gpu.dtype = "bfloat16"
    bf16 = gpu.embed(x, fs=spec.fs)
    assert np.isfinite(bf16).all() and _cosine(bf16, reference).min() > 0.99


def test_amp_pretraining_steps_on_cuda(tmp_path):
    from harness.pretrain.config import PretrainConfig
    from harness.pretrain.trainer import pretrain

    store = write_store(tmp_path / "s.zarr", participants=24, segments=4, channels=4)
    for amp in ("bf16", "fp16"):
        config = PretrainConfig(encoder="ahms-ppg", datasets=[str(store)], out=str(tmp_path / amp), steps=3,
                                batch_size=16, device="cuda", amp=amp, checkpoint_every=3, model_config="small",
                                progress=False)
        summary = pretrain(config)
        assert summary["step"] == 3 and np.isfinite(summary["metrics"]["last_loss"])


def test_torchrun_on_nccl(tmp_path):
    store = write_store(tmp_path / "s.zarr", participants=24, segments=4, channels=4)
    ranks = min(2, torch.cuda.device_count())
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(ranks),
           "-m", "harness", "pretrain", "--encoder", "ahms-ppg", "--config", "small", "--dataset", str(store),
           "--steps", "3", "--batch-size", "16", "--checkpoint-every", "3", "--device", "cuda",
           "--out", str(tmp_path / "out"), "--quiet"]
    code, out, err = run_process_group(cmd, env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=300)
    assert code == 0, out[-2000:] + err[-3000:]
    assert "pretrained ahms-ppg for 3 steps" in out
