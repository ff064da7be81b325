"""The bad-input battery, part 2: weights files. Only safetensors are read; a pickle is never unpickled."""

from __future__ import annotations

import os
import pickle

import pytest
import torch
from safetensors.torch import save_file

from tests.reliability.helpers import fails_cleanly


class _Marker:
    """Unpickling this creates a marker file: proof that foreign code ran."""

    def __init__(self, path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


@pytest.fixture(scope="module")
def ppg_state():
    from harness_ahms.model import build_ssl_model

    torch.manual_seed(0)
    return {k: v.clone() for k, v in build_ssl_model("ahms-ppg").encoder.state_dict().items()}


def _run_with(ws, checkpoint):
    return ws.run_args("--encoder", "ahms-ppg", "--task", "age", "--dataset", str(ws.store),
                       "--checkpoint", str(checkpoint))


@pytest.mark.parametrize("how", ["pickle.dumps", "torch.save"])
def test_a_pickle_passed_as_weights_is_refused_unopened(ws, tmp_path, how):
    marker = tmp_path / "PWNED"
    weights = tmp_path / "weights.pt"
    payload = {"state_dict": _Marker(marker)}
    if how == "torch.save":
        torch.save(payload, weights)
    else:
        weights.write_bytes(pickle.dumps(payload))
    fails_cleanly(_run_with(ws, weights), code=2, needles=["not a safetensors file", "pickled"],
                  protect=[*ws.protected, weights], env=ws.env)
    assert not marker.exists(), "the pickle was unpickled: foreign code ran"


def test_a_safetensors_named_pickle_is_refused_too(ws, tmp_path):
    marker = tmp_path / "PWNED"
    weights = tmp_path / "weights.safetensors"
    weights.write_bytes(pickle.dumps(_Marker(marker)))
    fails_cleanly(_run_with(ws, weights), code=2, needles=["not a safetensors file"], protect=ws.protected,
                  env=ws.env)
    assert not marker.exists()


def test_wrong_architecture(ws, tmp_path):
    weights = tmp_path / "other.safetensors"
    save_file({"fc.weight": torch.zeros(4, 4)}, str(weights))
    fails_cleanly(_run_with(ws, weights), code=2, needles=["do not match the encoder architecture"],
                  protect=ws.protected, env=ws.env)


def test_missing_tensor(ws, tmp_path, ppg_state):
    state = dict(ppg_state)
    dropped = sorted(state)[0]
    del state[dropped]
    weights = tmp_path / "missing.safetensors"
    save_file(state, str(weights))
    fails_cleanly(_run_with(ws, weights), code=2, needles=["1 missing tensors", dropped], protect=ws.protected,
                  env=ws.env)


def test_extra_tensor(ws, tmp_path, ppg_state):
    weights = tmp_path / "extra.safetensors"
    save_file({**ppg_state, "backdoor.weight": torch.ones(3)}, str(weights))
    fails_cleanly(_run_with(ws, weights), code=2, needles=["1 unexpected tensors", "backdoor.weight"],
                  protect=ws.protected, env=ws.env)


def test_tensor_of_the_wrong_shape(ws, tmp_path, ppg_state):
    state = dict(ppg_state)
    name = next(k for k, v in state.items() if v.ndim == 3)
    state[name] = torch.zeros(*state[name].shape[:-1], state[name].shape[-1] + 2)
    weights = tmp_path / "shape.safetensors"
    save_file(state, str(weights))
    fails_cleanly(_run_with(ws, weights), code=2, needles=[f"tensor {name} has shape"], protect=ws.protected,
                  env=ws.env)


def test_truncated_safetensors(ws, tmp_path, ppg_state):
    weights = tmp_path / "cut.safetensors"
    save_file(ppg_state, str(weights))
    weights.write_bytes(weights.read_bytes()[:5000])
    fails_cleanly(_run_with(ws, weights), code=2, needles=["not a readable safetensors file"],
                  protect=ws.protected, env=ws.env)


def test_missing_checkpoint(ws, tmp_path):
    fails_cleanly(_run_with(ws, tmp_path / "nowhere.safetensors"), code=2, needles=["no checkpoint at"],
                  protect=ws.protected, env=ws.env)
