"""HuBERT-ECG BASE end to end: its Hugging Face ``model.safetensors`` layout (older transformers' weight-norm
names, the pretraining heads) imports into the architecture written here, scores a 12-lead store with its
leads picked by name, and a store with fewer leads is refused (exit 2) or skipped, never fed repeated leads."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from harness_zoo.cards import CARDS, TWELVE_LEADS
from harness_zoo.models import build_model, state_dict_from_checkpoint

from harness import DataError
from harness.adapter import adapt
from tests.conftest import run_cli, write_store

NAME = "hubert-ecg-base"


def _hub_layout_state() -> dict[str, torch.Tensor]:
    """The tensors as the published checkpoint names them: ``weight_g``/``weight_v`` for the positional
    convolution's weight norm, plus HuBERTECG's ``final_proj`` and ``label_embedding`` heads."""
    torch.manual_seed(5)
    state = {}
    for key, tensor in build_model(NAME).state_dict().items():
        key = key.replace("conv.parametrizations.weight.original0", "conv.weight_g")
        key = key.replace("conv.parametrizations.weight.original1", "conv.weight_v")
        state[key] = torch.randn_like(tensor) * 0.02
    state["final_proj.0.weight"] = torch.randn(256, 768)
    state["final_proj.0.bias"] = torch.zeros(256)
    state["label_embedding.0.weight"] = torch.randn(500, 256)
    return state


def test_hub_names_map_onto_the_architecture_and_the_heads_are_dropped():
    state = _hub_layout_state()
    out = state_dict_from_checkpoint(NAME, state)
    assert list(out) == list(build_model(NAME).state_dict())
    g = "encoder.pos_conv_embed.conv.parametrizations.weight.original0"
    assert torch.equal(out[g], state["encoder.pos_conv_embed.conv.weight_g"])
    assert not any(k.startswith(("final_proj", "label_embedding")) for k in out)
    wrapped = {f"module.hubert_ecg.{k}": v for k, v in state.items()}
    assert list(state_dict_from_checkpoint(NAME, wrapped)) == list(out)


def test_the_adapter_scales_each_lead_to_minus_one_one_and_refuses_fewer_leads():
    spec = CARDS[NAME].input_spec
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3, 12, 1000)) * np.arange(1, 13)[None, :, None]).astype(np.float32)
    out = adapt(x, np.full(3, 1000), 100.0, spec, channel_names=list(TWELVE_LEADS))
    assert out.signal.shape == (6, 12, 500)  # 10 s -> two 5 s windows
    np.testing.assert_allclose(out.signal.reshape(3, 2, 12, 500).transpose(0, 2, 1, 3).reshape(3, 12, -1).max(-1),
                               1.0, atol=1e-6)
    with pytest.raises(DataError, match="needs 12 channels and the store has 1"):
        adapt(x[:, :1], np.full(3, 1000), 100.0, spec, channel_names=["II"])


def _import(tmp_path):
    from safetensors.torch import save_file

    source = tmp_path / "model.safetensors"
    save_file(_hub_layout_state(), str(source))
    out = tmp_path / "hubert.safetensors"
    code, _, err = run_cli("weights", "import", str(source), "--encoder", NAME, "--out", str(out),
                                "--allow-unverified")
    assert code == 0, err
    return out


def test_import_then_run_on_a_twelve_lead_store(tmp_path):
    checkpoint = _import(tmp_path)
    shuffled = list(TWELVE_LEADS[6:] + TWELVE_LEADS[:6])  # stored out of order: picked back by name
    store = write_store(tmp_path / "ecg12.zarr", participants=12, segments=2, modality="ecg", channels=12,
                        fs=500.0, seconds=10.0, channel_names=shuffled)
    results = tmp_path / "results"
    code, _, err = run_cli("run", "--encoder", NAME, "--checkpoint", str(checkpoint), "--dataset", str(store),
                           "--task", "age", "--folds", "3", "--bootstrap", "20", "--output", str(results),
                           "--quiet", "--no-cache")
    assert code == 0, err
    [result_file] = list(results.rglob("*.json"))
    result = json.loads(result_file.read_text())
    adaptation = result["config"]["input_adaptation"]
    assert adaptation["channels"] == f"channels {list(TWELVE_LEADS)} by name"
    assert (adaptation["target_fs"], adaptation["normalise"], adaptation["window_samples"]) == (100.0, "minmax", 500)
    assert result["encoder"]["config"]["weights"]["kind"] == "imported"
    assert np.isfinite(result["scores"][result["task"]["metric"]]["value"])


def test_a_store_with_fewer_leads_is_refused_or_skipped(tmp_path):
    checkpoint = _import(tmp_path)
    store = write_store(tmp_path / "ecg1.zarr", participants=8, segments=1, modality="ecg", channels=1,
                        fs=500.0, seconds=10.0, channel_names=["II"])
    args = ("run", "--encoder", NAME, "--checkpoint", str(checkpoint), "--dataset", str(store), "--task", "age",
            "--folds", "2", "--bootstrap", "10", "--output", str(tmp_path / "r"), "--quiet")
    code, _, err = run_cli(*args)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert "encoder 'hubert-ecg-base' needs 12 channels, dataset 'ecg1' has 1 (II)" in lines[0]
    code, _, err = run_cli(*args, "--skip-unsuitable")
    assert "skipped encoder 'hubert-ecg-base' on task 'age' (dataset 'ecg1'): encoder 'hubert-ecg-base' needs " \
           "12 channels" in err, err
    assert code == 2 and "nothing to run" in err and not list((tmp_path / "r").rglob("*.json")), err
