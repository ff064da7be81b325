"""Conformance checks for plugin authors, one per plugin kind (like scikit-learn's ``check_estimator``).

Run them in your plugin's CI, either one by one::

    from harness.testing import check_encoder
    def test_my_encoder():
        check_encoder(MY_ENCODER_SPEC)          # or check_encoder(my_factory, modality="acc")

or all that apply to each of your specs, as scikit-learn's ``parametrize_with_checks`` does::

    from harness.testing import parametrize_with_checks

    @parametrize_with_checks([MY_ENCODER_SPEC, MY_TASK_SPEC, MY_DATASET_SPEC])
    def test_conforms(spec, check):
        check(spec)

Each check raises ``AssertionError`` with a message saying which part of the contract is broken. Demo
inputs follow what the plugin declares (its input spec, its input labels), not one model's shapes.
"""

from __future__ import annotations

import functools
import json
import math
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from harness.adapter import adapt
from harness.datasets import BuildRequest, DatasetSpec
from harness.encoders import Batch, Encoder, InputSpec
from harness.metrics import METRICS
from harness.modality import modality_problem
from harness.pairing import ParticipantIndex
from harness.specs import AugmentationSpec, EncoderSpec, LossSpec, PairPolicySpec, Spec, resolve_target
from harness.store import StoreWriter, open_store, validate_store
from harness.tasks import TaskSpec

#: The modality an encoder that takes any modality is checked with (a name no plugin needs to know).
DEMO_MODALITY = "demo"
#: Input for encoders that declare none (they read the raw store signal).
GENERIC_INPUT = InputSpec(DEMO_MODALITY, channels=1, fs=64.0, window_s=30.0)
#: Plausible values for the labels an encoder may declare as input.
DEMO_LABELS = {"age": 50.0, "sex": 0.0, "bmi": 25.0, "height": 170.0, "weight": 72.0}


def demo_segments(spec: InputSpec | None, n: int = 6, seed: int = 0) -> tuple[np.ndarray, float]:
    """Raw store-like segments shaped as ``spec`` declares (channels, rate, window): a noisy 70 bpm pulse
    train, 1.5 windows long when the encoder averages consecutive windows."""
    spec = spec or GENERIC_INPUT
    rng = np.random.default_rng(seed)
    seconds = spec.window_s * (1.5 if spec.long_policy == "windows" else 1.0)
    t = np.arange(max(round(spec.fs * seconds), 2)) / spec.fs
    base = np.sin(2 * np.pi * 70 / 60 * t) ** 8
    x = base[None, None, :] + 0.05 * rng.standard_normal((n, spec.channels, t.size))
    return x.astype(np.float32), float(spec.fs)


def _spec_and_factory(target: EncoderSpec | Callable[..., Encoder]) -> tuple[EncoderSpec | None, Callable[..., Any]]:
    if isinstance(target, EncoderSpec):
        return target, resolve_target(target.factory)
    return None, target


def check_spec(spec: Spec) -> None:
    """A spec validates (the registry would accept it) and is immutable."""
    assert isinstance(spec, Spec), f"{type(spec).__name__} is not a harness spec"
    problems = spec.problems()
    assert not problems, f"{spec.entry_kind} '{spec.name}': {problems[0]}"
    params = getattr(spec, "__dataclass_params__", None)
    assert params is not None and params.frozen, "specs must be frozen dataclasses"


def check_encoder(target: EncoderSpec | Callable[..., Encoder], modality: str | None = None,
                  device: str = "cpu") -> Encoder:
    """An encoder builds, declares its input, and returns finite, deterministic (n, dim) embeddings.

    Pass its :class:`EncoderSpec` (then what the spec declares is checked against the built encoder)
    or its factory and a modality.
    """
    spec, factory = _spec_and_factory(target)
    if spec is not None:
        check_spec(spec)
        modality = modality or (spec.modalities[0] if spec.modalities else DEMO_MODALITY)
        assert not spec.modalities or modality in spec.modalities, f"the spec does not declare modality {modality!r}"
    modality = modality or DEMO_MODALITY
    assert modality_problem(modality) is None, modality_problem(modality)
    encoder = factory(modality=modality, device=device, checkpoint=None)
    for attr in ("name", "embedding_dim", "revision", "input_spec", "training_datasets"):
        assert hasattr(encoder, attr), f"encoder lacks attribute '{attr}'"
    assert isinstance(encoder.embedding_dim, int) and encoder.embedding_dim > 0, "embedding_dim must be > 0"
    assert isinstance(encoder.revision, str) and encoder.revision, "revision must be a non-empty string"
    assert encoder.input_spec is None or isinstance(encoder.input_spec, InputSpec), "input_spec type"
    if spec is not None:
        assert encoder.name == spec.name, f"encoder calls itself {encoder.name!r}, its spec {spec.name!r}"
        if spec.embedding_dim is not None:
            assert encoder.embedding_dim == spec.embedding_dim, (
                f"encoder embeds in {encoder.embedding_dim} dims, its spec declares {spec.embedding_dim}")
        declared = spec.input_spec_for(modality)
        if declared is not None:
            assert encoder.input_spec == declared, "the encoder's input_spec differs from the one its spec declares"
    json.dumps(encoder.describe(), default=str)
    raw, fs = demo_segments(encoder.input_spec)
    adapted = adapt(raw, np.full(len(raw), raw.shape[-1]), fs, encoder.input_spec)
    pids = np.array([f"p{i // 2}" for i in adapted.row_of])
    names = spec.input_labels if spec is not None else ("age", "sex", "bmi")
    labels = {name: np.full(len(pids), DEMO_LABELS.get(name, 1.0)) for name in names}
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
    assert isinstance(task, TaskSpec), "tasks register a harness.TaskSpec"
    assert task.name and task.label, "name and label must be non-empty"
    assert task.kind in ("regression", "classification"), f"unknown kind {task.kind!r}"
    for metric in (task.metric, *task.extra_metrics):
        assert metric in METRICS, f"unknown metric {metric!r}"
        assert task.kind in METRICS[metric].kinds, f"metric {metric!r} does not apply to {task.kind} tasks"
    assert task.version >= 1, "versions start at 1"
    if task.kind == "classification":
        assert task.metric == "auroc", "classification tasks report AUROC as main metric"
    for modality in task.modalities:
        assert modality_problem(modality) is None, modality_problem(modality)


def check_dataset(spec: DatasetSpec, *, source: Path | None = None, participants: int = 12,
                  workdir: Path | None = None) -> None:
    """A dataset builds a valid store of its modality with the labels it declares."""
    assert isinstance(spec, DatasetSpec), "datasets register a harness.DatasetSpec"
    check_spec(spec)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        path = Path(tmp) / "store.zarr"
        spec.run_build(BuildRequest(spec.name, functools.partial(StoreWriter, path), source=source,
                                    participants=participants if spec.synthetic else None, progress=False))
        problems = validate_store(path)
        assert not problems, f"built store is invalid: {problems}"
        store = open_store(path)
        assert store.modality == spec.modality, "store modality differs from the spec"
        missing = set(spec.labels) - set(store.labels)
        assert not missing, f"store lacks declared labels {sorted(missing)}"
        missing = set(spec.segment_labels) - set(store.segment_labels)
        assert not missing, f"store lacks declared segment labels {sorted(missing)}"


def check_augmentation(target: AugmentationSpec | Callable[..., Any], *, channels: int = 4,
                       samples: int = 512) -> None:
    """An augmentation keeps shape and dtype, is reproducible from a generator, and is finite.

    With a spec, it is checked with each modality's declared defaults (forced to always apply).
    """
    import torch

    if isinstance(target, AugmentationSpec):
        check_spec(target)
        cls = resolve_target(target.factory)
        for params in target.defaults.values() or [{}]:
            def make(params: Any = params) -> Any:
                return cls(**{**params, "p": 1.0} if "p" in params else params)

            check_augmentation(make, channels=channels, samples=samples)
        return
    transform = target()
    x = torch.randn(8, channels, samples)
    out1 = transform(x.clone(), torch.Generator().manual_seed(0))
    out2 = transform(x.clone(), torch.Generator().manual_seed(0))
    assert out1.shape == x.shape and out1.dtype == x.dtype, "augmentation changed shape or dtype"
    assert torch.isfinite(out1).all(), "augmentation produced NaN or inf"
    assert torch.equal(out1, out2), "augmentation is not reproducible from its generator"


def _call_as_declared(consumes: str) -> Callable[[Any, Any], Any]:
    if consumes == "pairs":
        def pairs(loss: Any, z: Any) -> Any:
            return loss(z[:8], z[8:], z[:8].detach().flip(0), z[8:].detach().flip(0), None)

        return pairs

    def embeddings(loss: Any, z: Any) -> Any:
        return loss(z)

    return embeddings


def check_loss(target: LossSpec | Callable[..., Any], call: Callable[[Any, Any], Any] | None = None) -> None:
    """A loss returns a finite scalar with a gradient, called the way its spec's ``consumes`` says
    (or through ``call(loss, tensors)`` for a bare factory)."""
    import torch

    if isinstance(target, LossSpec):
        check_spec(target)
        factory = resolve_target(target.factory)
        call = call or _call_as_declared(target.consumes)
        loss = factory(**dict(target.defaults))
    else:
        assert call is not None, "pass call(loss, tensors) for a bare loss factory"
        loss = target()
    z = torch.randn(16, 32, requires_grad=True)
    value = call(loss, z)
    assert value.ndim == 0 and math.isfinite(float(value.detach())), "loss must be a finite scalar"
    value.backward()
    assert z.grad is not None and torch.isfinite(z.grad).all(), "loss gives no finite gradient"


def check_pair_policy(policy: Any, participant_ids: np.ndarray | None = None) -> None:
    """A pair policy returns one valid partner index of the same participant per anchor."""
    if isinstance(policy, PairPolicySpec):
        check_spec(policy)
        target = resolve_target(policy.factory)
        policy = target() if isinstance(target, type) else target
    if participant_ids is None:
        participant_ids = np.repeat(np.arange(20), 3).astype(str)
    index = ParticipantIndex.from_ids(participant_ids)
    anchors = np.arange(len(participant_ids))
    partners = np.asarray(policy.partners(index, anchors, np.random.default_rng(0)))
    assert partners.shape == anchors.shape, "one partner per anchor"
    assert ((partners >= 0) & (partners < len(participant_ids))).all(), "partner index out of range"
    assert (participant_ids[partners] == participant_ids[anchors]).all(), "partners must share the participant"


def checks_for(spec: Any) -> Iterator[tuple[str, Callable[[Any], None]]]:
    """``(id, check)`` for every check that applies to ``spec`` (an encoder gets one per modality)."""
    if isinstance(spec, EncoderSpec):
        for modality in spec.modalities or (DEMO_MODALITY,):
            yield f"check_encoder[{modality}]", functools.partial(_run_encoder_check, modality=modality)
    elif isinstance(spec, TaskSpec):
        yield "check_task", check_task
    elif isinstance(spec, DatasetSpec):
        if spec.synthetic:
            yield "check_dataset", check_dataset
        else:
            yield "check_spec", check_spec
    elif isinstance(spec, AugmentationSpec):
        yield "check_augmentation", check_augmentation
    elif isinstance(spec, LossSpec):
        yield "check_loss", check_loss
    elif isinstance(spec, PairPolicySpec):
        yield "check_pair_policy", check_pair_policy
    else:
        raise TypeError(f"{type(spec).__name__} is not a harness spec")


def _run_encoder_check(spec: EncoderSpec, *, modality: str) -> None:
    check_encoder(spec, modality=modality)


def parametrize_with_checks(specs: Sequence[Any]) -> Any:
    """A ``pytest.mark.parametrize`` over ``(spec, check)`` for every check each spec needs.

    Real datasets need their release to build; for them the decorator checks the spec only (call
    :func:`check_dataset` with ``source=`` yourself).
    """
    import pytest

    params = [pytest.param(spec, check, id=f"{getattr(spec, 'name', spec)}-{check_id}")
              for spec in specs for check_id, check in checks_for(spec)]
    return pytest.mark.parametrize(("spec", "check"), params)
