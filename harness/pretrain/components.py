"""Turn a recipe into objects through the plugin registries (the core imports no model package)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from harness.errors import PluginError, UsageError
from harness.pretrain.config import Recipe
from harness.specs import resolve_target


class Cascade:
    """Augmentations applied in order, each drawing from the same generator (picklable for workers)."""

    def __init__(self, transforms: Sequence[Any], spec: list[list[Any]]) -> None:
        self.transforms = list(transforms)
        self.spec = spec

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        for transform in self.transforms:
            x = transform(x, generator)
        return x

    def to_dict(self) -> list[list[Any]]:
        return self.spec


def build_augmentations(recipe: Recipe, host: Any) -> Cascade:
    """Each entry's params default to the registry entry's ``defaults[modality]``; an entry whose
    ``modalities`` metadata (empty = any) leaves out the recipe's modality is a usage error."""
    modality = recipe.input_spec.modality
    transforms, spec = [], []
    for name, params in recipe.augmentations:
        entry = host.augmentations.get(name)
        allowed = entry.spec.modalities
        if allowed and modality not in allowed:
            raise UsageError(f"augmentation '{name}' is not in the {modality} cascade: its plugin declares it "
                             f"for modality {'/'.join(allowed)} only", "drop it from the recipe's augmentations")
        merged = {**dict(entry.spec.defaults.get(modality, {})), **params}
        transforms.append(entry.load()(**merged))
        spec.append([name, merged])
    return Cascade(transforms, spec)


def build_pair_policy(recipe: Recipe, host: Any) -> Any:
    target = host.pair_policies.load(recipe.pair_policy)
    policy = target() if isinstance(target, type) else target
    if not hasattr(policy, "partners"):
        raise PluginError(f"pair policy '{recipe.pair_policy}' has no partners(index, anchors, rng) method",
                          "fix the plugin providing it")
    return policy


@dataclass
class Objective:
    """Sum of loss plugins, each called as its spec's ``consumes`` declares: ``pairs`` losses see both
    views' student and teacher projections, ``embeddings`` losses each view's student projections (averaged)."""

    losses: dict[str, tuple[nn.Module, str]]

    def __call__(self, s1: torch.Tensor, s2: torch.Tensor, t1: torch.Tensor, t2: torch.Tensor,
                 participant: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        total = s1.new_zeros((), dtype=torch.float32)
        parts: dict[str, float] = {}
        for name, (module, kind) in self.losses.items():
            if kind == "pairs":
                value = module(s1, s2, t1, t2, participant)
            else:
                value = 0.5 * (module(s1) + module(s2))
            total = total + value
            parts[name] = value
        return total, parts


def build_objective(recipe: Recipe, host: Any) -> Objective:
    if not recipe.losses:
        raise UsageError("the pretraining recipe has no losses", "keep at least the contrastive loss")
    losses = {}
    for name, params in recipe.losses.items():
        entry = host.losses.get(name)
        merged = {**dict(entry.spec.defaults), **params}
        losses[name] = (entry.load()(**merged), entry.spec.consumes)
    return Objective(losses)


def build_model(recipe: Recipe) -> nn.Module:
    builder = resolve_target(recipe.model, "pretrain model builder")
    if not callable(builder):
        raise PluginError(f"pretrain model builder '{recipe.model}' names a {type(builder).__name__}, not a callable",
                          "fix the encoder's recipe or the plugin providing it")
    model = builder(recipe.model_config)
    for attr in ("encoder", "embed"):
        if not hasattr(model, attr):
            raise PluginError(f"pretrain model builder '{recipe.model}' returned a model without .{attr}",
                              "the model needs .encoder, .embed(x) and forward(x) -> projections")
    return model


def architecture_of(model: nn.Module) -> Any:
    to_dict = getattr(getattr(model, "config", None), "to_dict", None)
    return to_dict() if callable(to_dict) else None
