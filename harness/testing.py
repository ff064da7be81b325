"""Conformance checks for plugin authors, one per plugin kind (like scikit-learn's ``check_estimator``).

Run them in your plugin's CI::

    from harness.testing import check_encoder
    def test_my_encoder():
        check_encoder(my_factory, modality="ppg")

Each check raises ``AssertionError`` with a message saying which part of the contract is broken.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from harness.adapter import adapt
from harness.datasets import BuildRequest, DatasetSpec
from harness.encoders import Batch, Encoder, InputSpec
from harness.metrics import METRICS
from harness.pairing import ParticipantIndex
from harness.store import StoreWriter, open_store, validate_store
from harness.store.schema import MODALITIES
from harness.tasks import TaskSpec


def _demo_segments(modality: str, n: int = 6, seed: int = 0) -> tuple[np.ndarray, float]:
    """Plausible raw store segments for a modality: a noisy pulse train at 70 bpm."""
    rng = np.random.default_rng(seed)
    fs, channels, seconds = (64.0, 4, 60.0) if modality == "ppg" else (128.0, 1, 30.0)
    t = np.arange(int(fs * seconds)) / fs
    base = np.sin(2 * np.pi * 70 / 60 * t) ** 8
    x = base[None, None, :] + 0.05 * rng.standard_normal((n, channels, t.size))
    return x.astype(np.float32), fs


def check_encoder(factory: Callable[..., Encoder], modality: str = "ppg", device: str = "cpu") -> Encoder:
    """An encoder builds, declares its input, and returns finite, deterministic (n, dim) embeddings."""
    assert modality in MODALITIES, f"modality must be one of {MODALITIES}"
    encoder = factory(modality=modality, device=device, checkpoint=None)
    for attr in ("name", "embedding_dim", "revision", "input_spec", "training_datasets"):
        assert hasattr(encoder, attr), f"encoder lacks attribute '{attr}'"
    assert isinstance(encoder.embedding_dim, int) and encoder.embedding_dim > 0, "embedding_dim must be > 0"
    assert isinstance(encoder.revision, str) and encoder.revision, "revision must be a non-empty string"
    assert encoder.input_spec is None or isinstance(encoder.input_spec, InputSpec), "input_spec type"
    json.dumps(encoder.describe(), default=str)
    raw, fs = _demo_segments(modality)
    adapted = adapt(raw, np.full(len(raw), raw.shape[-1]), fs, encoder.input_spec)
    pids = np.array([f"p{i // 2}" for i in adapted.row_of])
    labels = {"age": np.full(len(pids), 50.0), "sex": np.zeros(len(pids)), "bmi": np.full(len(pids), 25.0)}
    batch = Batch(adapted.signal, encoder.input_spec.fs if encoder.input_spec else fs, pids, adapted.n_valid,
                  labels)
    first = np.asarray(encoder.embed(batch))
    assert first.shape == (len(adapted.signal), encoder.embedding_dim), (
        f"embed returned {first.shape}, expected {(len(adapted.signal), encoder.embedding_dim)}")
    assert np.isfinite(first).all(), "embed returned NaN or inf"
    second = np.asarray(encoder.embed(batch))
    assert np.allclose(first, second, atol=1e-5), "embed is not deterministic for the same input"
    again = factory(modality=modality, device=device, checkpoint=None)
    assert again.revision == encoder.revision, "two builds of the same encoder differ in revision"
    return encoder


def check_task(task: TaskSpec) -> None:
    """A task is well-formed data: known kind and metrics, a label, a positive version."""
    assert isinstance(task, TaskSpec), "tasks register a harness.tasks.TaskSpec"
    assert task.name and task.label, "name and label must be non-empty"
    assert task.kind in ("regression", "classification"), f"unknown kind {task.kind!r}"
    for metric in (task.metric, *task.extra_metrics):
        assert metric in METRICS, f"unknown metric {metric!r}"
        assert task.kind in METRICS[metric].kinds, f"metric {metric!r} does not apply to {task.kind} tasks"
    assert task.version >= 1, "versions start at 1"
    if task.kind == "classification":
        assert task.metric == "auroc", "classification tasks report AUROC as main metric"
    assert set(task.modalities) <= set(MODALITIES), f"modalities must be among {MODALITIES}"


def check_dataset(spec: DatasetSpec, *, source: Path | None = None, participants: int = 12,
                  workdir: Path | None = None) -> None:
    """A dataset builds a valid store of its modality with the labels it declares."""
    assert isinstance(spec, DatasetSpec), "datasets register a harness.datasets.DatasetSpec"
    assert spec.modality in MODALITIES, f"modality must be among {MODALITIES}"
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        path = Path(tmp) / "store.zarr"
        import functools

        spec.build(BuildRequest(spec.name, functools.partial(StoreWriter, path), source=source,
                                participants=participants if spec.synthetic else None, progress=False))
        problems = validate_store(path)
        assert not problems, f"built store is invalid: {problems}"
        store = open_store(path)
        assert store.modality == spec.modality, "store modality differs from the spec"
        missing = set(spec.labels) - set(store.labels)
        assert not missing, f"store lacks declared labels {sorted(missing)}"


def check_augmentation(factory: Callable[..., Any], *, channels: int = 4, samples: int = 512) -> None:
    """An augmentation keeps shape and dtype, is reproducible from a generator, and is finite."""
    import torch

    transform = factory()
    x = torch.randn(8, channels, samples)
    out1 = transform(x.clone(), torch.Generator().manual_seed(0))
    out2 = transform(x.clone(), torch.Generator().manual_seed(0))
    assert out1.shape == x.shape and out1.dtype == x.dtype, "augmentation changed shape or dtype"
    assert torch.isfinite(out1).all(), "augmentation produced NaN or inf"
    assert torch.equal(out1, out2), "augmentation is not reproducible from its generator"


def check_loss(factory: Callable[..., Any], call: Callable[[Any, Any], Any]) -> None:
    """A loss returns a finite scalar with a gradient; ``call(loss, tensors)`` adapts the signature."""
    import torch

    loss = factory()
    z = torch.randn(16, 32, requires_grad=True)
    value = call(loss, z)
    assert value.ndim == 0 and math.isfinite(float(value.detach())), "loss must be a finite scalar"
    value.backward()
    assert z.grad is not None and torch.isfinite(z.grad).all(), "loss gives no finite gradient"


def check_pair_policy(policy: Any, participant_ids: np.ndarray | None = None) -> None:
    """A pair policy returns one valid partner index of the same participant per anchor."""
    if participant_ids is None:
        participant_ids = np.repeat(np.arange(20), 3).astype(str)
    index = ParticipantIndex.from_ids(participant_ids)
    anchors = np.arange(len(participant_ids))
    partners = np.asarray(policy.partners(index, anchors, np.random.default_rng(0)))
    assert partners.shape == anchors.shape, "one partner per anchor"
    assert ((partners >= 0) & (partners < len(participant_ids))).all(), "partner index out of range"
    assert (participant_ids[partners] == participant_ids[anchors]).all(), "partners must share the participant"
