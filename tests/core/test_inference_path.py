"""``--inference``: a frozen TorchScript trace where the encoder offers one, the same embeddings as eager,
and a clean fall-back (one line, same results) where tracing fails."""

from __future__ import annotations

import json

import numpy as np
import pytest

import harness
from harness.errors import UsageError
from harness.inference import choose_inference_path
from tests.conftest import run_cli, write_store


def _signals(n: int = 5) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((n, 1, 3840)).astype(np.float32)


def test_trace_equals_eager_float32():
    eager = harness.load_encoder("random-init", modality="ecg", inference="eager")
    traced = harness.load_encoder("random-init", modality="ecg", inference="trace")
    assert traced.encoder._forward is not traced.encoder.model.embed  # the frozen graph runs
    x = _signals(7)  # traced at batch 2: other batch sizes run through the same graph
    a, b = eager.embed(x, fs=128.0), traced.embed(x, fs=128.0)
    assert np.linalg.norm(a - b) / np.linalg.norm(a) < 1e-5
    np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)


def test_a_failing_trace_falls_back_to_eager_with_the_reason(monkeypatch):
    import torch

    def broken(*args, **kwargs):
        raise RuntimeError("tracer exploded\nsecond line")

    monkeypatch.setattr(torch.jit, "trace", broken)
    loaded = harness.load_encoder("random-init", modality="ecg", inference="eager")
    path = choose_inference_path(loaded.encoder, "auto", "float32")
    assert path.path == "eager" and path.requested == "auto"
    assert path.reason.startswith("trace failed (RuntimeError: tracer exploded)") and "\n" not in path.reason
    assert path.fell_back
    x = _signals(3)
    assert np.isfinite(loaded.embed(x, fs=128.0)).all()


def test_encoders_without_the_hook_run_their_own_forward():
    loaded = harness.load_encoder("handcrafted", modality="ppg", inference="eager")
    path = choose_inference_path(loaded.encoder, "trace", "float32")
    assert path.path == "eager" and "not offered" in path.reason and not path.fell_back
    with pytest.raises(UsageError, match="not one of"):
        choose_inference_path(loaded.encoder, "onnx", "float32")


def test_the_path_used_is_recorded_and_an_unknown_path_is_refused(tmp_path):
    store = write_store(tmp_path / "s.zarr", participants=20, segments=2, modality="ecg", channels=1, fs=128,
                        seconds=30)
    out = tmp_path / "out"
    code, _, err = run_cli("run", "--encoder", "random-init", "--task", "age", "--dataset", str(store),
                           "--output", str(out), "--quiet", "--bootstrap", "20", "--folds", "2", "--no-cache")
    assert code == 0, err
    (path,) = out.rglob("*.json")
    config = json.loads(path.read_text())["config"]
    assert config["inference_path"] == "trace" and config["inference_path_requested"] == "auto"
    code, _, err = run_cli("run", "--encoder", "random-init", "--task", "age", "--dataset", str(store),
                           "--output", str(out), "--quiet", "--inference", "jit")
    assert code == 2 and "invalid choice" in err and "Traceback" not in err
