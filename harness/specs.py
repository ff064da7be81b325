"""Typed specs: what a plugin declares about each thing it registers, checked when it registers.

One frozen dataclass per plugin kind, in the spirit of MTEB's ``ModelMeta``: an encoder, a task, a dataset,
an augmentation, a loss, a pair policy and a pretraining recipe are described by fields the harness reads,
never by free keywords. ``Registry.add(spec)`` calls :meth:`Spec.validate`; a bad spec is reported like a
broken plugin (one warning line naming the plugin, the entry and the field).

``factory`` fields may be the object itself or a lazy ``"package.module:attr"`` string, so that listing
plugins imports no model code (and no torch).
"""

from __future__ import annotations

import pkgutil
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from harness.encoders import InputSpec
from harness.errors import PluginError
from harness.modality import MODALITY_PATTERN

ENCODER_KINDS = ("foundation", "baseline", "ablation")
LOSS_INPUTS = ("pairs", "embeddings")


class SpecError(PluginError):
    """A plugin registered a spec with a missing or malformed field."""


Factory = Callable[..., Any] | str


def is_lazy_target(value: object) -> bool:
    """``"package.module:attr"`` (resolved with :func:`pkgutil.resolve_name` on first use)."""
    return isinstance(value, str) and re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*", value) is not None


def target_name(value: Factory) -> str:
    """``"module:attr"`` for a factory given as an object or as a lazy string (recorded in checkpoints)."""
    if isinstance(value, str):
        return value
    return f"{getattr(value, '__module__', '?')}:{getattr(value, '__qualname__', repr(value))}"


def resolve_target(value: Factory, what: str = "target") -> Any:
    """The object a lazy ``"module:attr"`` string names (other values are returned as they are)."""
    if not isinstance(value, str):
        return value
    try:
        return pkgutil.resolve_name(value)
    except Exception as exc:
        raise PluginError(f"{what} '{value}' cannot be loaded ({type(exc).__name__}: {exc})",
                          "fix or disable the plugin providing it") from exc


class FieldChecks:
    """Collects a spec's broken fields, in declaration order (every spec kind's ``problems`` uses it)."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def need(self, ok: bool, field_name: str, what: str) -> None:
        if not ok:
            self.items.append(f"field '{field_name}' {what}")

    def names(self, value: object, field_name: str, *, modality: bool = False) -> None:
        items: tuple[str, ...] = value if isinstance(value, tuple) else ()
        ok = isinstance(value, tuple) and all(isinstance(v, str) and v for v in items)
        self.need(ok, field_name, f"must be a tuple of non-empty strings, got {value!r}")
        if ok and modality:
            bad = [v for v in items if not MODALITY_PATTERN.match(v)]
            self.need(not bad, field_name, f"holds {bad!r}; modalities are lowercase names like 'ppg'")

    def factory(self, value: object, field_name: str = "factory") -> None:
        self.need(callable(value) or is_lazy_target(value), field_name,
                  f"must be a callable or a 'package.module:attr' string, got {value!r}")


NORMALISATIONS = ("zscore", "minmax", "none")


def input_spec_problems(spec: object, where: str = "input_spec") -> list[str]:
    """What is wrong with an :class:`InputSpec` (used by encoder and recipe specs)."""
    p = FieldChecks()
    if not isinstance(spec, InputSpec):
        return [f"field '{where}' must be a harness.InputSpec, got {type(spec).__name__}"]
    p.need(bool(MODALITY_PATTERN.match(str(spec.modality))), f"{where}.modality",
           f"is {spec.modality!r}; use a lowercase name like 'ppg'")
    p.need(isinstance(spec.channels, int) and spec.channels >= 1, f"{where}.channels", "must be an int >= 1")
    p.need(isinstance(spec.fs, int | float) and spec.fs > 0, f"{where}.fs", "must be a positive rate in Hz")
    p.need(isinstance(spec.window_s, int | float) and spec.window_s > 0, f"{where}.window_s",
           "must be a positive number of seconds")
    p.need(spec.normalise in NORMALISATIONS, f"{where}.normalise", "must be 'zscore', 'minmax' or 'none'")
    p.need(spec.long_policy in ("crop", "windows"), f"{where}.long_policy", "must be 'crop' or 'windows'")
    p.need(spec.short_policy in ("pad", "tile"), f"{where}.short_policy", "must be 'pad' or 'tile'")
    p.need(spec.fewer_channels in ("repeat", "refuse"), f"{where}.fewer_channels", "must be 'repeat' or 'refuse'")
    p.names(tuple(spec.preferred_channels), f"{where}.preferred_channels")
    return p.items


@dataclass(frozen=True, kw_only=True)
class Spec:
    """Common to every spec: a registry name and a one-line description."""

    entry_kind: ClassVar[str] = "entry"
    name: str
    description: str = ""

    def problems(self) -> list[str]:
        """Every broken field, as ``"field 'x' must ..."``; empty when the spec is sound."""
        p = FieldChecks()
        p.need(isinstance(self.name, str) and bool(self.name.strip()), "name", "must be a non-empty string")
        p.need(isinstance(self.description, str), "description", "must be a string")
        return p.items

    def validate(self) -> None:
        problems = self.problems()
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise SpecError(f"{self.entry_kind} '{self.name}' has an invalid spec: {problems[0]}{more}",
                            f"fix the {type(self).__name__} the plugin registers")



@dataclass(frozen=True, kw_only=True)
class RecipeSpec:
    """How ``harness pretrain`` trains an encoder; every name refers to another registry's entry.

    ``model`` builds the network: ``model(config) -> nn.Module`` with ``.encoder``, ``.embed(x) -> (B, D)``
    and ``forward(x) -> (B, P)`` projections. ``model_configs`` maps the names a user may pass as
    ``--model-config`` to the builder's config names; ``"default"`` is used without the option.
    ``losses`` maps loss names to parameters (overriding the loss spec's defaults); ``augmentations`` is
    the ordered cascade, each ``(name, params)`` over the augmentation's defaults for the modality.
    """

    model: Factory
    model_configs: Mapping[str, str]
    pair_policy: str
    losses: Mapping[str, Mapping[str, Any]]
    augmentations: tuple[tuple[str, Mapping[str, Any]], ...]
    input_spec: InputSpec
    momentum: float = 0.99
    lr: float = 1e-3
    weight_decay: float = 1e-5

    def problems(self) -> list[str]:
        p = FieldChecks()
        p.factory(self.model, "recipe.model")
        p.need(isinstance(self.model_configs, Mapping) and "default" in self.model_configs
               and all(isinstance(v, str) and v for v in self.model_configs.values()), "recipe.model_configs",
               "must map names (including 'default') to model config names")
        p.need(isinstance(self.pair_policy, str) and bool(self.pair_policy), "recipe.pair_policy",
               "must name a pair policy")
        p.need(isinstance(self.losses, Mapping) and bool(self.losses)
               and all(isinstance(v, Mapping) for v in self.losses.values()), "recipe.losses",
               "must map at least one loss name to its parameters")
        p.need(isinstance(self.augmentations, tuple) and all(
            isinstance(a, tuple) and len(a) == 2 and isinstance(a[0], str) and isinstance(a[1], Mapping)
            for a in self.augmentations), "recipe.augmentations", "must be a tuple of (name, params) pairs")
        p.need(0 <= self.momentum < 1, "recipe.momentum", "must be in [0, 1)")
        p.need(self.lr > 0, "recipe.lr", "must be positive")
        p.need(self.weight_decay >= 0, "recipe.weight_decay", "must be >= 0")
        return p.items + input_spec_problems(self.input_spec, "recipe.input_spec")

    def model_config(self, choice: str | None) -> str:
        """The builder's config for ``--model-config CHOICE`` (a listed name or one of its values)."""
        from harness.errors import UsageError

        if choice is None:
            return self.model_configs["default"]
        if choice in self.model_configs:
            return self.model_configs[choice]
        if choice in self.model_configs.values():
            return choice
        known = ", ".join(sorted(self.model_configs))
        raise UsageError(f"--model-config '{choice}' is not one of this recipe's model configs ({known})",
                         f"pass one of: {known}")



@dataclass(frozen=True, kw_only=True)
class EncoderSpec(Spec):
    """An encoder and what its model card needs.

    ``factory(*, modality, device, checkpoint) -> Encoder``. ``modalities`` empty = any. ``input_specs``
    is the input the encoder takes, one per modality it reads (what the adapter delivers).
    ``embedding_dim`` / ``parameters`` are ``None`` when they depend on the input. ``training_datasets``
    and ``training_revisions`` name the data the weights saw (flags evaluation overlap). ``input_labels``
    are participant labels the encoder reads as input (only these reach ``Batch.labels``; tasks on them
    are refused); ``requires_any_label`` says the encoder is useless on a store without any of them.
    ``weights_url`` is where official weights not bundled with the plugin are published, and
    ``weights_import`` (``obj -> state dict``) turns that file, as ``torch.load(weights_only=True)`` reads it,
    into the encoder's exact tensors (``harness weights import``; ``weights_sha256`` is then the file's).
    ``recipe`` makes the encoder trainable with ``harness pretrain``. ``uses_torch=False`` says the encoder
    never runs torch (numpy-only baselines): ``harness run`` then neither imports torch nor asks it for a GPU.
    """

    entry_kind: ClassVar[str] = "encoder"
    factory: Factory
    kind: Literal["foundation", "baseline", "ablation"] = "foundation"
    modalities: tuple[str, ...] = ()
    input_specs: tuple[InputSpec, ...] = ()
    embedding_dim: int | None = None
    parameters: int | None = None
    training_datasets: tuple[str, ...] = ()
    training_revisions: tuple[str, ...] = ()
    license: str = ""
    citation: str = ""
    weights: str | None = None
    weights_sha256: str | None = None
    weights_url: str | None = None
    weights_import: Factory | None = None
    input_labels: tuple[str, ...] = ()
    requires_any_label: tuple[str, ...] = ()
    recipe: RecipeSpec | None = None
    uses_torch: bool = True

    def problems(self) -> list[str]:
        p = FieldChecks()
        p.factory(self.factory)
        p.need(isinstance(self.uses_torch, bool), "uses_torch", "must be True or False")
        p.need(self.kind in ENCODER_KINDS, "kind", f"is {self.kind!r}, expected one of "
               f"{', '.join(ENCODER_KINDS)}")
        p.names(self.modalities, "modalities", modality=True)
        p.need(isinstance(self.input_specs, tuple), "input_specs", "must be a tuple of harness.InputSpec")
        for key in ("embedding_dim", "parameters"):
            value = getattr(self, key)
            p.need(value is None or (isinstance(value, int) and value > 0), key, f"must be a positive int or None, "
                   f"got {value!r}")
        for key in ("training_datasets", "training_revisions", "input_labels", "requires_any_label"):
            p.names(getattr(self, key), key)
        p.need(self.weights_sha256 is None or re.fullmatch(r"[0-9a-f]{64}", str(self.weights_sha256)) is not None,
               "weights_sha256", "must be a 64-digit lowercase hex sha256")
        p.need(self.weights_url is None or str(self.weights_url).startswith("https://"), "weights_url",
               "must be an https:// URL or None")
        if self.weights_import is not None:
            p.factory(self.weights_import, "weights_import")
        problems = super().problems() + p.items
        for i, spec in enumerate(self.input_specs if isinstance(self.input_specs, tuple) else ()):
            problems += input_spec_problems(spec, f"input_specs[{i}]")
            if isinstance(spec, InputSpec) and self.modalities and spec.modality not in self.modalities:
                problems.append(f"field 'input_specs[{i}]' is for {spec.modality!r}, which is not in modalities")
        if self.recipe is not None:
            problems += (self.recipe.problems() if isinstance(self.recipe, RecipeSpec)
                         else ["field 'recipe' must be a harness.RecipeSpec or None"])
        return problems

    def input_spec_for(self, modality: str) -> InputSpec | None:
        return next((s for s in self.input_specs if s.modality == modality), None)


@dataclass(frozen=True, kw_only=True)
class AugmentationSpec(Spec):
    """``factory(**params) -> callable(x: Tensor[B, C, T], generator) -> Tensor``.

    ``defaults`` maps each modality the augmentation suits to its default parameters.
    """

    entry_kind: ClassVar[str] = "augmentation"
    factory: Factory
    defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def modalities(self) -> tuple[str, ...]:
        return tuple(self.defaults)

    def problems(self) -> list[str]:
        p = FieldChecks()
        p.factory(self.factory)
        ok = isinstance(self.defaults, Mapping) and all(isinstance(v, Mapping) for v in self.defaults.values())
        p.need(ok, "defaults", "must map modality names to parameter mappings")
        if ok:
            p.names(tuple(self.defaults), "defaults", modality=True)
        return super().problems() + p.items


@dataclass(frozen=True, kw_only=True)
class LossSpec(Spec):
    """``factory(**params) -> nn.Module``; ``consumes`` says how the trainer calls it.

    ``"pairs"``: ``loss(s1, s2, t1, t2, participant_ids)`` on the student/teacher projections of both views;
    ``"embeddings"``: ``loss(z)`` on each view's student projections (averaged over the two views).
    """

    entry_kind: ClassVar[str] = "loss"
    factory: Factory
    consumes: Literal["pairs", "embeddings"]
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def problems(self) -> list[str]:
        p = FieldChecks()
        p.factory(self.factory)
        p.need(self.consumes in LOSS_INPUTS, "consumes", f"is {self.consumes!r}, expected 'pairs' or 'embeddings'")
        p.need(isinstance(self.defaults, Mapping), "defaults", "must be a mapping of parameters")
        return super().problems() + p.items


@dataclass(frozen=True, kw_only=True)
class PairPolicySpec(Spec):
    """``factory() -> PairPolicy`` (see :class:`harness.pairing.PairPolicy`)."""

    entry_kind: ClassVar[str] = "pair policy"
    factory: Factory

    def problems(self) -> list[str]:
        p = FieldChecks()
        p.factory(self.factory)
        return super().problems() + p.items
