"""What a pretraining run is: the user's settings plus the encoder's recipe.

An encoder opts into ``harness pretrain`` by putting a ``pretrain`` mapping in its registry metadata.
The core reads only this mapping (it imports no model package itself)::

    registry.add("ahms-ppg", factory, ..., pretrain={
        "model": "package.module:build_fn",   # build_fn(config) -> nn.Module with .encoder, .embed(x)
                                              #   -> (B, D) and forward(x) -> (B, P) projections;
                                              #   config is a name or a dict; the model exposes
                                              #   .config.to_dict() (recorded in checkpoints)
        "config": "ahms-ppg",                 # default model config name ("--config small" appends "-small")
        "pair_policy": "participant",         # pair-policy registry name
        "losses": {"infonce": {"temperature": 0.04}, "koleo": {"weight": 0.1}},   # loss registry names
        "augmentations": [["cut-out", {"p": 0.4}], ...],   # augmentation registry names, applied in
                                              #   order; params default to the entry's defaults[modality]
        "input_spec": {...},                  # harness.encoders.InputSpec fields
        "momentum": 0.99, "lr": 1e-3, "weight_decay": 1e-5,   # optional defaults
    })

Loss entries are called by their registry metadata ``signature``: ``"pairs"`` ->
``loss(s1, s2, t1, t2, participant_ids)`` (student/teacher projections of the two views),
``"embeddings"`` -> ``loss(z)`` on each view's student projections (averaged over the views).
The metadata may also be a free-form signature string (``"forward(s1, s2, t1, t2, ...)"``,
``"forward(z)"``), which is recognised too.
Without ``signature`` the call is inferred from the number of ``forward`` arguments (5 or 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from harness.encoders import InputSpec
from harness.errors import UsageError

RECIPE_KEYS = ("model", "config", "pair_policy", "losses", "augmentations", "input_spec")


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
    pair_policy: str | None = None
    koleo: bool = True
    model_config: str | None = None           # a model config name, or "small"
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
        if self.crop_seconds is not None and self.crop_seconds <= 0:
            raise UsageError(f"--crop-seconds {self.crop_seconds} is not positive", "pass e.g. --crop-seconds 15")
        if not self.datasets:
            raise UsageError("no --dataset given", "pass --dataset NAME_OR_PATH (repeatable)")
        self.datasets = [str(d) for d in self.datasets]

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
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "encoder": self.encoder, "model": self.model, "model_config": self.model_config,
            "pair_policy": self.pair_policy, "losses": self.losses,
            "augmentations": [[name, params] for name, params in self.augmentations],
            "input_spec": self.input_spec.to_dict(), "momentum": self.momentum, "lr": self.lr,
            "weight_decay": self.weight_decay,
        }


def _augmentation_list(value: Any) -> list[tuple[str, dict[str, Any]]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [(str(k), dict(v or {})) for k, v in value.items()]
    out: list[tuple[str, dict[str, Any]]] = []
    for item in value:
        if isinstance(item, str):
            out.append((item, {}))
        elif isinstance(item, Mapping):
            out.append((str(item["name"]), dict(item.get("params", {}))))
        else:
            name, params = item
            out.append((str(name), dict(params or {})))
    return out


def input_spec_from(value: InputSpec | Mapping[str, Any]) -> InputSpec:
    if isinstance(value, InputSpec):
        return value
    known = {f.name for f in fields(InputSpec)}
    return InputSpec(**{k: v for k, v in value.items() if k in known})


def resolve_recipe(encoder: str, metadata: Mapping[str, Any], config: PretrainConfig) -> Recipe:
    """Merge an encoder's ``pretrain`` metadata with the user's overrides; fail clearly when absent."""
    recipe = metadata.get("pretrain")
    if not isinstance(recipe, Mapping):
        raise UsageError(f"encoder '{encoder}' declares no pretraining recipe",
                         "pick an encoder listed with a recipe, e.g. ahms-ppg or ahms-ecg")
    missing = [k for k in RECIPE_KEYS if k not in recipe]
    if missing:
        raise UsageError(f"encoder '{encoder}' has an incomplete pretraining recipe (missing {missing})",
                         "fix the plugin's registry metadata")
    model_config: str | dict[str, Any] = recipe["config"]
    if config.model_config:
        if config.model_config == "small":
            if not isinstance(model_config, str):
                raise UsageError("--config small needs a named default config",
                                 "pass a full config name instead")
            model_config = f"{model_config}-small"
        else:
            model_config = config.model_config
    losses = {str(k): dict(v or {}) for k, v in dict(recipe["losses"]).items()}
    if not config.koleo:
        losses.pop("koleo", None)
    return Recipe(
        encoder=encoder, model=str(recipe["model"]),
        model_config=model_config if isinstance(model_config, str) else dict(model_config),
        pair_policy=config.pair_policy or str(recipe["pair_policy"]), losses=losses,
        augmentations=_augmentation_list(recipe["augmentations"]),
        input_spec=input_spec_from(recipe["input_spec"]),
        momentum=float(config.momentum if config.momentum is not None else recipe.get("momentum", 0.99)),
        lr=float(config.lr if config.lr is not None else recipe.get("lr", 1e-3)),
        weight_decay=float(config.weight_decay if config.weight_decay is not None
                           else recipe.get("weight_decay", 1e-5)),
        extra={k: v for k, v in recipe.items() if k not in (*RECIPE_KEYS, "momentum", "lr", "weight_decay")},
    )
