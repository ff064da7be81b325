"""``--dtype auto``: bf16 only where the device runs it natively; the choice is recorded and keyed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness.errors import UsageError
from harness.inference import cpu_flags, native_bf16, resolve_dtype
from tests.conftest import run_cli, write_store


def _yes() -> bool:
    return True


def _no() -> bool:
    return False


def test_cpu_without_bf16_flags_runs_float32():
    p = resolve_dtype("auto", "cpu", flags=frozenset({"avx2", "fma"}), onednn=_yes)
    assert p.dtype == "float32" and p.requested == "auto"
    assert "no native bf16" in p.reason


@pytest.mark.parametrize("flag", ["amx_bf16", "avx512_bf16"])
def test_cpu_with_native_bf16_and_onednn_runs_bfloat16(flag):
    p = resolve_dtype("auto", "cpu", flags=frozenset({"avx2", flag}), onednn=_yes)
    assert p.dtype == "bfloat16" and flag in p.reason


def test_cpu_flags_without_onednn_bf16_fall_back_to_float32():
    p = resolve_dtype("auto", "cpu", flags=frozenset({"amx_bf16"}), onednn=_no)
    assert p.dtype == "float32" and "oneDNN" in p.reason


def test_cuda_follows_the_device_bf16_support():
    assert resolve_dtype("auto", "cuda:0", cuda=_yes).dtype == "bfloat16"
    assert resolve_dtype("auto", "cuda", cuda=_no).dtype == "float32"


def test_explicit_dtype_and_numpy_encoders_are_not_second_guessed():
    assert resolve_dtype("bfloat16", "cpu", flags=frozenset()).to_dict() == {
        "dtype": "bfloat16", "dtype_requested": "bfloat16", "dtype_reason": "asked for"}
    assert resolve_dtype("auto", "cpu", uses_torch=False, flags=frozenset({"amx_bf16"})).dtype == "float32"
    with pytest.raises(UsageError, match="not one of"):
        resolve_dtype("int8", "cpu")


def test_cpu_flags_reads_the_flags_line(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 amx_bf16\n\nprocessor\t: 1\nflags\t\t: fpu\n")
    assert cpu_flags(info) == frozenset({"fpu", "avx2", "amx_bf16"})
    assert cpu_flags(tmp_path / "missing") == frozenset()
    assert native_bf16("cpu", flags=cpu_flags(info), onednn=_yes)[0]


def test_auto_without_native_bf16_equals_float32_eager(monkeypatch):
    """On a machine without native bf16, auto is exactly the float32 eager forward."""
    import torch

    import harness
    import harness.inference as inference

    monkeypatch.setattr(inference, "cpu_flags", lambda: frozenset({"avx2"}))
    auto = harness.load_encoder("random-init", modality="ecg", dtype="auto")
    assert auto.dtype == "float32"
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 1, 3840)).astype(np.float32)
    got = auto.embed(x, fs=128.0)
    model = auto.encoder.model
    with torch.inference_mode():
        ref = model.embed(torch.from_numpy((x - x.mean(-1, keepdims=True)) / x.std(-1, keepdims=True))).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)


def test_result_records_the_precision_used_and_why(tmp_path):
    store = write_store(tmp_path / "s.zarr", participants=40, segments=2)
    out = tmp_path / "out"
    code, _, err = run_cli("run", "--encoder", "handcrafted", "--task", "age", "--dataset", str(store),
                           "--output", str(out), "--quiet", "--bootstrap", "20", "--dtype", "auto")
    assert code == 0, err
    (path,) = out.rglob("*.json")
    config = json.loads(path.read_text())["config"]
    assert config["dtype"] == "float32" and config["dtype_requested"] == "auto"
    assert "numpy-only" in config["dtype_reason"]


def test_the_protocol_is_the_precision_asked_for():
    """A bfloat16 suite runs its numpy-only encoders in float32: they stay in the suite's one table."""
    from harness.protocol import Protocol

    numpy_encoder = Protocol.from_config({"dtype": "float32", "dtype_requested": "bfloat16"})
    torch_encoder = Protocol.from_config({"dtype": "bfloat16", "dtype_requested": "bfloat16"})
    older_file = Protocol.from_config({"dtype": "bfloat16"})
    assert numpy_encoder == torch_encoder == older_file and numpy_encoder.dtype == "bfloat16"
