"""AHMS encoders: shipped-weight and checkpoint loading, clear errors, random-init."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from harness.encoders import Batch, Encoder
from harness.errors import DataError, UsageError
from harness.pretrain.checkpoint import state_sha256
from harness.registry import Registry
from harness_ahms.encoders import INPUT_SPECS, _make_factory, random_init, register_encoders
from harness_ahms.model import build_ssl_model


def _ecg_weights(tmp_path, mutate=None, name="w.safetensors"):
    torch.manual_seed(1)
    state = {k: v.clone() for k, v in build_ssl_model("ahms-ecg").encoder.state_dict().items()}
    if mutate:
        mutate(state)
    path = tmp_path / name
    save_file(state, str(path))
    return path, state


def test_registry_entries_carry_recipes_and_specs():
    reg = Registry("encoders")
    register_encoders(reg)
    for name in ("ahms-ppg", "ahms-ecg", "ahms-ppg-segment", "ahms-ecg-segment", "ahms-ppg-nokoleo",
                 "ahms-ecg-nokoleo", "random-init"):
        assert name in reg
    assert reg.get("ahms-ppg-segment").spec.recipe.pair_policy == "segment"
    assert "koleo" not in reg.get("ahms-ecg-nokoleo").spec.recipe.losses
    assert reg.get("ahms-ppg").spec.input_spec_for("ppg").samples == 3840


def test_missing_shipped_weights_say_how_to_get_them(monkeypatch, tmp_path):
    monkeypatch.setattr("harness_ahms.encoders.WEIGHTS_DIR", tmp_path)
    with pytest.raises(DataError, match=r"not shipped yet.*harness pretrain"):
        _make_factory("ahms-ppg", "ppg")(modality="ppg")


def test_exported_weights_load_and_embed(tmp_path):
    path, state = _ecg_weights(tmp_path)
    enc = _make_factory("ahms-ecg", "ecg")(modality="ecg", checkpoint=str(path))
    assert isinstance(enc, Encoder) and enc.embedding_dim == 256
    assert len(enc.revision) == 64 and enc.input_spec == INPUT_SPECS["ecg"]
    assert torch.equal(enc.model.encoder.state_dict()["stem.0.weight"], state["stem.0.weight"])
    x = np.random.default_rng(0).standard_normal((3, 1, 3840)).astype(np.float32)
    out = enc.embed(Batch(x, 128.0, np.array(["a", "b", "c"]), np.full(3, 3840)))
    assert out.shape == (3, 256) and out.dtype == np.float32
    assert enc.describe()["parameters"] > 0


def test_wrong_modality_wrong_shape_missing_and_extra_tensors(tmp_path):
    make = _make_factory("ahms-ecg", "ecg")
    with pytest.raises(UsageError, match="reads ecg"):
        make(modality="ppg")
    ppg = tmp_path / "ppg.safetensors"
    save_file(build_ssl_model("ahms-ppg").encoder.state_dict(), str(ppg))
    with pytest.raises(DataError, match="shape"):
        make(modality="ecg", checkpoint=str(ppg))
    path, _ = _ecg_weights(tmp_path, lambda s: s.pop("stem.0.weight"), "missing.safetensors")
    with pytest.raises(DataError, match="missing tensors"):
        make(modality="ecg", checkpoint=str(path))
    path, _ = _ecg_weights(tmp_path, lambda s: s.update(extra=torch.zeros(2)), "extra.safetensors")
    with pytest.raises(DataError, match="unexpected tensors"):
        make(modality="ecg", checkpoint=str(path))


def test_pickle_files_are_refused_unread(tmp_path):
    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps({"stem.0.weight": [1, 2, 3]}))
    with pytest.raises(DataError, match="not a safetensors file"):
        _make_factory("ahms-ecg", "ecg")(modality="ecg", checkpoint=str(path))
    pt = tmp_path / "model.pt"
    torch.save(build_ssl_model("ahms-ecg-small").encoder.state_dict(), pt)
    with pytest.raises(DataError, match="not a safetensors file"):
        _make_factory("ahms-ecg", "ecg")(modality="ecg", checkpoint=str(pt))


def test_random_init_is_fixed_and_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = random_init(modality="ppg")
    assert torch.equal(torch.rand(1), expected_next)
    b = random_init(modality="ppg")
    assert a.revision == b.revision == state_sha256(b.model.encoder.state_dict())
    assert random_init(modality="ecg").input_spec.channels == 1
