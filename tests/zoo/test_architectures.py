"""The zoo architectures are the published ones: every tensor name and shape, the parameter count and a
seeded forward pass equal what the authors' public code gives (``reference_state_dicts.json``, taken by
running that code at the commits it names), and each encoder passes the harness conformance checks."""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from harness_zoo import specs
from harness_zoo.cards import CARDS
from harness_zoo.encoders import RANDOM_INIT, make_encoder
from harness_zoo.models import build_model, count_parameters, state_dict_from_checkpoint

from harness import UsageError
from harness.testing import parametrize_with_checks

REFERENCE = json.loads((Path(__file__).parent / "reference_state_dicts.json").read_text())
NAMES = sorted(CARDS)
SPECS = {spec.name: spec for spec in specs()}


@functools.cache
def _built(name: str):
    """One build per architecture for the read-only checks (the seeded forward builds its own)."""
    return build_model(name)


def test_every_card_has_a_reference():
    assert sorted(k for k in REFERENCE if not k.startswith("_")) == NAMES
    assert set(REFERENCE["_sources"]) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_tensor_names_and_shapes_are_the_published_ones(name):
    mine = [[key, list(t.shape)] for key, t in _built(name).state_dict().items()]
    assert mine == REFERENCE[name]["tensors"]


@pytest.mark.parametrize("name", NAMES)
def test_parameter_count_is_counted_from_the_model(name):
    assert count_parameters(_built(name)) == REFERENCE[name]["parameters"] == SPECS[name].parameters


def _filled(state):
    """Deterministic weights for architectures whose seeded init order is not the original's (HuBERT-ECG,
    built by transformers): the same values, in state_dict order, that the reference was computed with."""
    generator = torch.Generator().manual_seed(0)
    out = {}
    for key, tensor in state.items():
        r = torch.randn(tensor.shape, generator=generator, dtype=torch.float64).float()
        out[key] = 1 + 0.1 * r if key.endswith("norm.weight") else 0.05 * r
    return out


@pytest.mark.parametrize("name", NAMES)
def test_seeded_forward_equals_the_authors_code(name):
    """Same init order as the original modules, so a seeded build is their seeded build (or, for HuBERT-ECG,
    the same filled weights), and the embedding (PaPaGei's outputs[0], Pulse-PPG's max-pooled output,
    HuBERT-ECG's time-mean of the last hidden state) matches their forward."""
    ref = REFERENCE[name]["forward"]
    if ref.get("weights") == "filled":
        model = build_model(name)
        model.load_state_dict(_filled(model.state_dict()), strict=True)
    else:
        torch.manual_seed(ref["seed_model"])
        model = build_model(name)
    torch.manual_seed(ref["seed_input"])
    x = torch.randn(*ref["input_shape"])
    with torch.no_grad():
        emb = model.embed(x).double().numpy()
    assert emb.shape == (ref["input_shape"][0], CARDS[name].embedding_dim)
    np.testing.assert_allclose(emb[:, :6], ref["first"], atol=1e-4)
    np.testing.assert_allclose(emb.sum(1), ref["row_sums"], rtol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_specs_declare_what_the_card_says_and_bundle_no_weights(name):
    spec, card = SPECS[name], CARDS[name]
    assert spec.kind == "foundation" and spec.modalities == (card.input_spec.modality,)
    assert spec.input_specs == (card.input_spec,) and spec.embedding_dim == card.embedding_dim
    assert spec.weights is None and spec.weights_url == card.weights_url
    assert spec.weights_url.startswith(("https://zenodo.org/records/", "https://huggingface.co/PKUDigitalHealth/",
                                        "https://huggingface.co/Edoardo-BS/"))
    assert spec.weights_import and spec.license and spec.citation
    spec.validate()


def test_published_inputs():
    assert (CARDS["papagei-s"].input_spec.fs, CARDS["papagei-s"].input_spec.samples) == (125.0, 1250)
    assert (CARDS["pulse-ppg"].input_spec.fs, CARDS["pulse-ppg"].input_spec.samples) == (50.0, 500)
    ecg = CARDS["ecgfounder-1lead"].input_spec
    assert (ecg.modality, ecg.fs, ecg.samples, ecg.channels) == ("ecg", 500.0, 5000, 1)
    hubert = CARDS["hubert-ecg-base"].input_spec
    assert (hubert.fs, hubert.samples, hubert.channels, hubert.normalise) == (100.0, 500, 12, "minmax")
    assert hubert.fewer_channels == "refuse" and hubert.preferred_channels[:3] == ("I", "II", "III")


@pytest.mark.parametrize("name", NAMES)
def test_without_weights_the_encoder_refuses_to_run(name):
    with pytest.raises(UsageError) as info:
        make_encoder(name, modality=CARDS[name].input_spec.modality, checkpoint=None)
    text = str(info.value)
    assert "will not run untrained" in text and f"harness weights import FILE --encoder {name}" in text
    assert "\n" not in text


def _random_weights(spec):
    """The spec as registered, but built with seeded random weights (what no CLI call can ask for)."""
    def factory(*, modality, device="cpu", checkpoint=None):
        return make_encoder(spec.name, modality=modality, device=device, checkpoint=RANDOM_INIT)

    return dataclasses.replace(spec, factory=factory)


@parametrize_with_checks([_random_weights(spec) for spec in SPECS.values()])
def test_conformance_with_random_weights(spec, check):
    check(spec)


def test_random_weights_are_labelled_as_such():
    encoder = make_encoder("papagei-p", modality="ppg", checkpoint=RANDOM_INIT)
    assert encoder.describe()["weights"]["kind"].startswith("random-init")


def test_importer_strips_ddp_prefix_and_unwraps_training_containers():
    state = build_model("pulse-ppg").state_dict()
    wrapped = {"net": {f"module.{k}": v for k, v in state.items()}, "epoch": 3, "optimizer": {"state": {}}}
    out = state_dict_from_checkpoint("pulse-ppg", wrapped)
    assert list(out) == list(state) and all(torch.equal(out[k], state[k]) for k in state)


def test_importer_names_missing_and_unexpected_tensors_in_one_line():
    from harness import DataError

    state = dict(build_model("papagei-s").state_dict())
    with pytest.raises(DataError) as info:
        state_dict_from_checkpoint("papagei-p", state)
    assert "28 unexpected (expert_layers_1.0.0.bias" in str(info.value) and "\n" not in str(info.value)
    del state["dense.weight"]
    with pytest.raises(DataError, match=r"1 missing \(dense.weight\)"):
        state_dict_from_checkpoint("papagei-s", state)
    state["dense.weight"] = torch.zeros(3, 3)
    with pytest.raises(DataError, match=r"another shape \(dense.weight is \(3, 3\), expected \(512, 512\)\)"):
        state_dict_from_checkpoint("papagei-s", state)


def test_spec_checks_the_new_weights_fields():
    spec = SPECS["papagei-s"]
    bad = dataclasses.replace(spec, weights_url="http://example.org/w.pt", weights_import="not a target")
    problems = bad.problems()
    assert "field 'weights_url' must be an https:// URL or None" in problems
    assert any(p.startswith("field 'weights_import' must be a callable") for p in problems)
    assert spec.problems() == []
