"""Every built-in plugin entry passes the conformance checks third-party authors run (harness.testing)."""

from __future__ import annotations

import pytest

from harness import testing
from harness.plugins import PluginHost
from tests.conftest import real_data

HOST = PluginHost().load_entry_points()
BUILTIN = {"tasks", "synthetic", "baselines", "ahms", "realdata"}


def _entries(kind: str):
    return [e for e in HOST.registries[kind].entries() if e.provider in BUILTIN]


def _encoder_cases():
    for entry in _entries("encoders"):
        for modality in entry.metadata.get("modalities") or ("ppg", "ecg"):
            yield pytest.param(entry, modality, id=f"{entry.name}-{modality}")


@pytest.mark.parametrize(("entry", "modality"), list(_encoder_cases()))
def test_builtin_encoders_conform(entry, modality):
    if entry.metadata.get("shipped") is False:
        pytest.skip(f"{entry.name}: weights not shipped (see plugins/harness_ahms/weights/README.md)")
    testing.check_encoder(entry.load(), modality=modality)


@pytest.mark.parametrize("entry", _entries("tasks"), ids=lambda e: e.name)
def test_builtin_tasks_conform(entry):
    testing.check_task(entry.load())


@pytest.mark.parametrize("entry", _entries("datasets"), ids=lambda e: e.name)
def test_builtin_datasets_conform(entry, tmp_path):
    spec = entry.load()
    source = None if spec.synthetic else real_data(spec.default_source)
    testing.check_dataset(spec, source=source, workdir=tmp_path)


@pytest.mark.parametrize("entry", _entries("augmentations"), ids=lambda e: e.name)
def test_builtin_augmentations_conform(entry):
    cls = entry.load()
    defaults = next(iter(entry.metadata["defaults"].values()))
    testing.check_augmentation(lambda: cls(**{**defaults, "p": 1.0}))


@pytest.mark.parametrize("entry", _entries("losses"), ids=lambda e: e.name)
def test_builtin_losses_conform(entry):
    cls = entry.load()
    if entry.metadata["signature"].startswith("forward(s1"):
        def call(loss, z):
            return loss(z[:8], z[8:], z[:8].detach().flip(0), z[8:].detach().flip(0), None)
    else:
        def call(loss, z):
            return loss(z)
    testing.check_loss(cls, call)


@pytest.mark.parametrize("entry", _entries("pair_policies"), ids=lambda e: e.name)
def test_builtin_pair_policies_conform(entry):
    testing.check_pair_policy(entry.load()())
