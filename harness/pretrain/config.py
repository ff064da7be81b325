"""What a pretraining run is: the user's settings plus the encoder's declared recipe.

An encoder opts into ``harness pretrain`` by giving its :class:`harness.EncoderSpec` a ``recipe``
(:class:`harness.RecipeSpec`): the model builder, its named model configs, the pair policy, the losses
and the augmentation cascade, each named by its registry entry. The core reads only that spec and
imports no model package itself. The user's options override the recipe generically:
``--model-config NAME`` picks one of the recipe's ``model_configs``, ``--drop-loss NAME`` removes one of
its losses (an ablation), ``--pair-policy NAME`` swaps the pair policy. How each loss is called is
declared by its :class:`harness.LossSpec` (``consumes``), never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from harness.encoders import InputSpec
from harness.errors import UsageError
from harness.specs import EncoderSpec, RecipeSpec, target_name


@dataclass
class PretrainConfig:
    """Everything the user chose for one run (recorded verbatim in every checkpoint)."""

    encoder: str
    datasets: list[str]
    out: str
    steps: int = 1000
    batch_size: int = 256
    lr: float | None = None
    weight_decay: float | None = None
    lr_decay_steps: list[int] | None = None   # None: halve at 50 % and 75 % of the steps
    lr_decay_factor: float = 0.5
    momentum: float | None = None
    seed: int = 0
    device: str = "auto"
    amp: str = "auto"                          # auto | bf16 | fp16 | off (CUDA only)
    checkpoint_every: int = 500
    workers: int = 0
    loader_threads: int | None = None          # decode/gather threads per loader process (None: auto)
    prefetch: bool = True                      # read the next round while this one trains
    pair_policy: str | None = None
    drop_losses: list[str] = field(default_factory=list)   # recipe losses to leave out (ablations)
    model_config: str | None = None           # one of the recipe's model_configs (None: "default")
    buffer_chunks: int | None = None          # chunks in the shuffle buffer (default: 2 batches' worth)
    holdout_fraction: float = 0.1
    rank_segments: int = 1024                 # held-out segments embedded for the effective rank
    rank_every_checkpoint: bool = False
    progress: bool = True
    crop_seconds: float | None = None          # train on random crops of this length (CPU budget option)

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise UsageError(f"--steps {self.steps} is not positive", "pass --steps 1 or more")
        if self.batch_size < 2:
            raise UsageError(f"--batch-size {self.batch_size} is too small for a contrastive loss",
                             "pass --batch-size 2 or more")
        if self.checkpoint_every < 1:
            raise UsageError(f"--checkpoint-every {self.checkpoint_every} is not positive",
                             "pass a positive number of steps")
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise UsageError(f"unknown --device '{self.device}'", "use auto, cpu or cuda")
        if self.amp not in ("auto", "bf16", "fp16", "off"):
            raise UsageError(f"unknown amp mode '{self.amp}'", "use auto, bf16, fp16 or off")
        if self.loader_threads is not None and not 1 <= self.loader_threads <= 64:
            raise UsageError(f"--loader-threads {self.loader_threads} is out of range", "pass 1 to 64")
        if self.crop_seconds is not None and self.crop_seconds <= 0:
            raise UsageError(f"--crop-seconds {self.crop_seconds} is not positive", "pass e.g. --crop-seconds 15")
        if isinstance(self.drop_losses, str):
            self.drop_losses = [self.drop_losses]
        if not self.datasets:
            raise UsageError("no --dataset given", "pass --dataset NAME_OR_PATH (repeatable)")
        self.datasets = [str(d) for d in self.datasets]

    def threads_per_loader(self) -> int:
        """``loader_threads``, or the cores this process may use shared by its loader processes (at most
        4: a round's decode is a few dozen chunks)."""
        if self.loader_threads is not None:
            return self.loader_threads
        import os

        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        return max(1, min(4, cores // max(1, self.workers)))

    def decay_milestones(self) -> list[int]:
        if self.lr_decay_steps is None:
            return sorted({max(1, self.steps // 2), max(1, self.steps * 3 // 4)})
        return sorted(int(s) for s in self.lr_decay_steps)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PretrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Recipe:
    """The encoder's pretraining recipe, resolved against the user's overrides."""

    encoder: str
    model: str
    model_config: str | dict[str, Any]
    pair_policy: str
    losses: dict[str, dict[str, Any]]
    augmentations: list[tuple[str, dict[str, Any]]]
    input_spec: InputSpec
    momentum: float = 0.99
    lr: float = 1e-3
    weight_decay: float = 1e-5

    def to_dict(self) -> dict[str, Any]:
        return {
            "encoder": self.encoder, "model": self.model, "model_config": self.model_config,
            "pair_policy": self.pair_policy, "losses": self.losses,
            "augmentations": [[name, params] for name, params in self.augmentations],
            "input_spec": self.input_spec.to_dict(), "momentum": self.momentum, "lr": self.lr,
            "weight_decay": self.weight_decay,
        }


def resolve_recipe(encoder: str, spec: EncoderSpec, config: PretrainConfig) -> Recipe:
    """The encoder's declared recipe with the user's overrides applied; fail clearly when there is none."""
    recipe = spec.recipe
    if not isinstance(recipe, RecipeSpec):
        raise UsageError(f"encoder '{encoder}' declares no pretraining recipe",
                         "pick an encoder whose spec has a recipe (`harness list encoders` marks them)")
    losses = {str(k): dict(v) for k, v in recipe.losses.items()}
    unknown = sorted(set(config.drop_losses) - set(losses))
    if unknown:
        raise UsageError(f"--drop-loss {unknown[0]}: the recipe of '{encoder}' has no such loss",
                         f"drop one of: {', '.join(losses)}")
    for name in config.drop_losses:
        losses.pop(name)
    if not losses:
        raise UsageError(f"--drop-loss leaves the recipe of '{encoder}' without a loss", "keep at least one loss")
    return Recipe(
        encoder=encoder, model=target_name(recipe.model), model_config=recipe.model_config(config.model_config),
        pair_policy=config.pair_policy or recipe.pair_policy, losses=losses,
        augmentations=[(str(name), dict(params)) for name, params in recipe.augmentations],
        input_spec=recipe.input_spec,
        momentum=float(config.momentum if config.momentum is not None else recipe.momentum),
        lr=float(config.lr if config.lr is not None else recipe.lr),
        weight_decay=float(config.weight_decay if config.weight_decay is not None else recipe.weight_decay),
    )
