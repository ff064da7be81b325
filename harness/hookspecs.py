"""The plugin contract: every hook a plugin package may implement.

Registration hooks hand the plugin a :class:`~harness.registry.Registry` to which it adds named
entries with metadata (the tox/llm ``register_*`` shape). Each plugin's implementation is called on its
own, so one failing plugin is reported and skipped instead of taking the others down. Observer hooks
are told about runs and results; their return values are ignored. Call hooks by keyword only.
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
    """Add encoders: ``registry.add(name, factory, **metadata)``.

    ``factory(*, modality: str, device: str, checkpoint: str | None) -> harness.encoders.Encoder``.
    Metadata keys the harness reads: ``description``, ``modalities`` (tuple, empty = any),
    ``kind`` (``"foundation"``, ``"baseline"``, ``"ablation"``), ``training_datasets`` (names of datasets
    whose recordings the encoder was trained on, used to flag evaluation overlap).
    """


@hookspec
def harness_register_augmentations(registry: Registry) -> None:
    """Add augmentations: ``registry.add(name, factory, **metadata)``.

    ``factory(**params) -> callable(x: Tensor[B, C, T], generator: torch.Generator) -> Tensor``;
    metadata carries per-modality default probabilities (``defaults={"ppg": {...}, "ecg": {...}}``).
    """


@hookspec
def harness_register_losses(registry: Registry) -> None:
    """Add self-supervised losses: ``registry.add(name, factory, **metadata)``.

    ``factory(**params) -> torch.nn.Module`` called as documented by its metadata ``signature``.
    """


@hookspec
def harness_register_pair_policies(registry: Registry) -> None:
    """Add positive-pair policies for pretraining (``participant``, ``segment``, ...)."""


@hookspec
def harness_register_tasks(registry: Registry) -> None:
    """Add probe tasks: ``registry.add(name, harness.tasks.TaskSpec(...))``."""


@hookspec
def harness_register_datasets(registry: Registry) -> None:
    """Add datasets: ``registry.add(name, harness.datasets.DatasetSpec(...))``."""


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
