"""The plugin contract: every hook a plugin package may implement.

Registration hooks hand the plugin a :class:`~harness.registry.Registry` to which it adds typed specs
(:mod:`harness.specs`; the tox/llm ``register_*`` shape), each validated as it is added. Each plugin's
implementation is called on its own, so one failing plugin is reported and skipped instead of taking
the others down. Observer hooks are told about runs and results; their return values are ignored. Call
hooks by keyword only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

PROJECT_NAME = "biosignal_harness"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

if TYPE_CHECKING:
    from harness.registry import Registry


@hookspec
def harness_register_encoders(registry: Registry) -> None:
    """Add encoders: ``registry.add(harness.EncoderSpec(name=..., factory=..., ...))``.

    ``factory(*, modality: str, device: str, checkpoint: str | None) -> harness.Encoder``; the spec
    declares modalities, input specs, embedding size, training data, licence and weights (a model card).
    """


@hookspec
def harness_register_augmentations(registry: Registry) -> None:
    """Add augmentations: ``registry.add(harness.AugmentationSpec(...))``.

    ``factory(**params) -> callable(x: Tensor[B, C, T], generator: torch.Generator) -> Tensor``;
    ``defaults`` carries per-modality default parameters (``{"ppg": {...}, "ecg": {...}}``).
    """


@hookspec
def harness_register_losses(registry: Registry) -> None:
    """Add self-supervised losses: ``registry.add(harness.LossSpec(..., consumes="pairs"|"embeddings"))``."""


@hookspec
def harness_register_pair_policies(registry: Registry) -> None:
    """Add positive-pair policies for pretraining: ``registry.add(harness.PairPolicySpec(...))``."""


@hookspec
def harness_register_tasks(registry: Registry) -> None:
    """Add probe tasks: ``registry.add(harness.TaskSpec(...))``."""


@hookspec
def harness_register_datasets(registry: Registry) -> None:
    """Add datasets: ``registry.add(harness.DatasetSpec(...))``."""


@hookspec
def harness_run_start(run: dict[str, Any]) -> None:
    """Observer: a ``harness run`` is starting (encoders, tasks, dataset, seed, output folder)."""


@hookspec
def harness_result(result: dict[str, Any]) -> None:
    """Observer: one result JSON has been written (the full payload)."""


@hookspec
def harness_run_end(run: dict[str, Any], results: list[dict[str, Any]]) -> None:
    """Observer: a ``harness run`` has finished."""


REGISTRATION_HOOKS: dict[str, str] = {
    "encoders": "harness_register_encoders",
    "augmentations": "harness_register_augmentations",
    "losses": "harness_register_losses",
    "pair_policies": "harness_register_pair_policies",
    "tasks": "harness_register_tasks",
    "datasets": "harness_register_datasets",
}
