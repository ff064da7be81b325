"""The AHMS encoders (and their ablations) as harness encoders.

Each named encoder loads its shipped weights from ``weights/<name>.safetensors`` (+ ``<name>.json``
sidecar written by :func:`harness.pretrain.checkpoint.export_encoder`), or a user's checkpoint given as
``--checkpoint`` (a ``harness pretrain`` checkpoint folder, an output folder holding one, or an exported
``.safetensors`` file). Only safetensors are read: pickles are refused. ``random-init`` is the same
architecture, untrained, from a fixed seed: the floor any pretraining must beat.

Registry metadata ``pretrain`` is the recipe ``harness pretrain`` follows (shape documented in
:mod:`harness.pretrain.config`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness import Batch, DataError, EncoderSpec, InputSpec, RecipeSpec, UsageError, trace_module
from harness_ahms import AUGMENTATION_DEFAULTS, LOSS_DEFAULTS

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
MODEL_BUILDER = "harness_ahms.model:build_ssl_model"
RANDOM_INIT_SEED = 0
EMBEDDING_DIM = 256
WEIGHTS_LICENSE = "Apache-2.0"
CITATION = ("Abbaspourazad et al., Large-scale Training of Foundation Models for Wearable Biosignals, "
            "ICLR 2024 (method; these weights are this project's own)")

INPUT_SPECS: dict[str, InputSpec] = {
    "ppg": InputSpec(modality="ppg", channels=4, fs=64.0, window_s=60.0, normalise="zscore"),
    "ecg": InputSpec(modality="ecg", channels=1, fs=128.0, window_s=30.0, normalise="zscore",
                     preferred_channels=("I",)),
}

# name -> (modality, pair policy, use KoLeo, kind, description)
VARIANTS: dict[str, tuple[str, str, bool, str, str]] = {
    "ahms-ppg": ("ppg", "participant", True, "foundation",
                 "AHMS-style PPG encoder: participant-contrastive, EMA teacher, KoLeo (1-D EfficientNet)."),
    "ahms-ecg": ("ecg", "participant", True, "foundation",
                 "AHMS-style ECG encoder: participant-contrastive, EMA teacher, KoLeo (1-D EfficientNet)."),
    "ahms-ppg-segment": ("ppg", "segment", True, "ablation",
                         "Ablation of ahms-ppg: positives are two augmentations of one segment."),
    "ahms-ecg-segment": ("ecg", "segment", True, "ablation",
                         "Ablation of ahms-ecg: positives are two augmentations of one segment."),
    "ahms-ppg-nokoleo": ("ppg", "participant", False, "ablation", "Ablation of ahms-ppg without KoLeo."),
    "ahms-ecg-nokoleo": ("ecg", "participant", False, "ablation", "Ablation of ahms-ecg without KoLeo."),
}


def recipe_for(modality: str, pair_policy: str, koleo: bool) -> RecipeSpec:
    """The pretraining recipe of one variant (plain data: no torch import)."""
    losses: dict[str, dict[str, Any]] = {"infonce": dict(LOSS_DEFAULTS["infonce"])}
    if koleo:
        losses["koleo"] = dict(LOSS_DEFAULTS["koleo"])
    return RecipeSpec(
        model=MODEL_BUILDER, model_configs={"default": f"ahms-{modality}", "small": f"ahms-{modality}-small"},
        pair_policy=pair_policy, losses=losses,
        augmentations=tuple((name, dict(params)) for name, params in AUGMENTATION_DEFAULTS[modality].items()),
        input_spec=INPUT_SPECS[modality], momentum=0.99, lr=1e-3, weight_decay=1e-5,
    )


class AHMSEncoder:
    """A frozen 1-D EfficientNet returning 256-d embeddings (eval mode, inference mode, batched)."""

    embedding_dim = 256

    def __init__(self, name: str, model: Any, *, input_spec: InputSpec, revision: str, device: str,
                 training_datasets: tuple[str, ...], source: dict[str, Any], batch_size: int = 256) -> None:
        import torch

        self.name = name
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.input_spec = input_spec
        self.revision = revision
        self.training_datasets = tuple(training_datasets)
        self.source = source
        # Content revisions of the training stores: lets the harness tell "same recordings" from
        # "same dataset name" (e.g. a synthetic cohort drawn with another seed).
        self.training_revisions = tuple(d.get("revision") for d in source.get("data") or () if d.get("revision"))
        self.batch_size = batch_size
        self.embedding_dim = int(model.config.embed_dim)
        self._forward: Any = self.model.embed

    def use_inference_path(self, path: str, dtype: str) -> tuple[str, str]:
        """Run the forward eagerly or as a frozen TorchScript trace (``harness.Encoder``'s optional hook)."""
        if path != "trace":
            self._forward = self.model.embed
            return "eager", "asked for"
        import torch

        spec = self.input_spec
        example = torch.zeros((2, spec.channels, spec.samples), device=self.device)
        # SSLModel.embed is its encoder's forward, so the encoder module is what gets traced.
        self._forward, used, reason = trace_module(self.model.encoder, example,
                                                   device_type=self.device.type, dtype=dtype)
        return used, reason

    def embed(self, batch: Batch) -> Any:
        import numpy as np
        import torch

        signal = np.asarray(batch.signal, dtype=np.float32)
        spec = self.input_spec
        if signal.ndim != 3 or signal.shape[1:] != (spec.channels, spec.samples):
            raise DataError(f"encoder '{self.name}' expects (n, {spec.channels}, {spec.samples}) input, got "
                            f"{signal.shape}", "adapt the batch with harness.adapter.adapt first")
        out = []
        with torch.inference_mode():
            for start in range(0, len(signal), self.batch_size):
                x = torch.from_numpy(signal[start:start + self.batch_size]).to(self.device)
                out.append(self._forward(x).float().cpu().numpy())
        if not out:
            return np.zeros((0, self.embedding_dim), dtype=np.float32)
        return np.concatenate(out).astype(np.float32, copy=False)

    def describe(self) -> dict[str, Any]:
        from harness_ahms.model import count_parameters

        return {"name": self.name, "architecture": self.model.config.to_dict(),
                "parameters": count_parameters(self.model), "input_spec": self.input_spec.to_dict(),
                "revision": self.revision, "training_datasets": list(self.training_datasets),
                "device": str(self.device), **self.source}


# -- loading weights -------------------------------------------------------------------------------
def _encoder_from_state(config: Any, state: dict[str, Any], where: str) -> Any:
    """An :class:`~harness_ahms.model.EfficientNet1D` loaded strictly from ``state`` (cast to float32)."""
    import torch

    from harness_ahms.model import EfficientNet1D

    encoder = EfficientNet1D(config)
    expected = encoder.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing tensors (e.g. {missing[0]})")
        if extra:
            parts.append(f"{len(extra)} unexpected tensors (e.g. {extra[0]})")
        raise DataError(f"weights in {where} do not match the encoder architecture: {', '.join(parts)}",
                        "pass a checkpoint of the same encoder and config")
    for key, value in expected.items():
        if tuple(state[key].shape) != tuple(value.shape):
            raise DataError(f"weights in {where} do not match the encoder architecture: tensor {key} has "
                            f"shape {tuple(state[key].shape)}, expected {tuple(value.shape)}",
                            "pass a checkpoint of the same encoder and config")
    cast = {k: (v.to(expected[k].dtype) if torch.is_floating_point(v) else v) for k, v in state.items()}
    encoder.load_state_dict(cast, strict=True)
    return encoder


def _wrap(config: Any, encoder: Any) -> Any:
    """An SSLModel shell whose encoder is ``encoder`` (embed() is all probes use)."""
    from harness_ahms.model import SSLModel

    model = SSLModel(config)
    model.encoder = encoder
    return model


def _config_from(arch: Any, default_name: str) -> Any:
    from harness_ahms.model import EfficientNet1DConfig, get_config

    if arch:
        try:
            return EfficientNet1DConfig.from_dict(arch)
        except (UsageError, TypeError) as exc:
            raise DataError(f"the weights' architecture record is not valid ({exc})",
                            "re-export the weights with `harness pretrain --export`") from exc
    return get_config(default_name)


def load_weights(name: str, path: str | Path, modality: str) -> tuple[Any, str, tuple[str, ...], dict[str, Any]]:
    """Load an encoder from a checkpoint folder, an output folder, or a safetensors file (+ sidecar)."""
    from harness import (
        CHECKPOINT_FORMAT,
        is_checkpoint,
        load_checkpoint,
        read_json,
        read_safetensors,
        sha256_file,
        state_sha256,
    )

    path = Path(path)
    default_config = f"ahms-{modality}"
    if path.is_dir() and not is_checkpoint(path) and is_checkpoint(path / "checkpoint"):
        path = path / "checkpoint"
    if path.is_dir():
        ckpt = load_checkpoint(path, with_optimizer=False)
        state = ckpt.part("online.encoder")
        if not state:
            raise DataError(f"checkpoint {path} holds no online.encoder tensors",
                            "pass a checkpoint written by `harness pretrain`")
        config = _config_from(ckpt.meta.get("architecture"), default_config)
        datasets = tuple(d.get("name") for d in ckpt.meta.get("data", []))
        source = {"checkpoint": str(path), "format": CHECKPOINT_FORMAT, "step": ckpt.meta.get("step"),
                  "data": [d for d in ckpt.meta.get("data", []) if isinstance(d, dict)]}
        spec_modality = (ckpt.meta.get("recipe") or {}).get("input_spec", {}).get("modality")
        revision = state_sha256(state)
    else:
        if not path.exists():
            raise DataError(f"no checkpoint at {path}", "pass a checkpoint folder or a .safetensors file")
        state = read_safetensors(path)
        sidecar_path = path.with_suffix(".json")
        sidecar = read_json(sidecar_path) if sidecar_path.is_file() else {}
        config = _config_from(sidecar.get("architecture"), default_config)
        datasets = tuple(sidecar.get("training_datasets") or ())
        source = {"weights": str(path), "step": sidecar.get("step"), "objective": sidecar.get("objective"),
                  "data": [d for d in sidecar.get("data") or [] if isinstance(d, dict)]}
        spec_modality = (sidecar.get("input_spec") or {}).get("modality")
        revision = sha256_file(path)
    if spec_modality and spec_modality != modality:
        raise DataError(f"weights in {path} were trained on {spec_modality}, not {modality}",
                        f"pass a {modality} checkpoint or choose a {spec_modality} encoder")
    encoder = _encoder_from_state(config, state, str(path))
    return _wrap(config, encoder), revision, datasets, source


def _make_factory(name: str, modality: str):
    def factory(*, modality: str = modality, device: str = "cpu", checkpoint: str | None = None) -> AHMSEncoder:
        wanted = VARIANTS[name][0]
        if modality != wanted:
            raise UsageError(f"encoder '{name}' reads {wanted}, not {modality}",
                             f"use a {wanted} dataset or the ahms-{modality} encoder")
        path = Path(checkpoint) if checkpoint else WEIGHTS_DIR / f"{name}.safetensors"
        if not checkpoint and not path.is_file():
            raise DataError(f"weights for '{name}' are not shipped yet",
                            f"pretrain with `harness pretrain --encoder {name} --dataset ...` and pass "
                            "--checkpoint OUT/checkpoint")
        model, revision, datasets, source = load_weights(name, path, modality)
        recorded = None if checkpoint else _sidecar(name).get("file_sha256")
        if recorded and recorded != revision:
            raise DataError(f"shipped weights {path} do not match the sha256 their sidecar records "
                            "(damaged or replaced file)", "reinstall biosignal-harness or re-export the weights")
        return AHMSEncoder(name, model, input_spec=INPUT_SPECS[modality], revision=revision, device=device,
                           training_datasets=datasets, source=source)

    factory.__name__ = f"make_{name.replace('-', '_')}"
    return factory


def random_init(*, modality: str, device: str = "cpu", checkpoint: str | None = None) -> AHMSEncoder:
    """The AHMS architecture with untrained weights from a fixed seed (``checkpoint`` is ignored)."""
    import torch

    from harness import state_sha256
    from harness_ahms.model import build_ssl_model

    if modality not in INPUT_SPECS:
        raise UsageError(f"random-init has no {modality} configuration", f"use one of {sorted(INPUT_SPECS)}")
    gen_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(RANDOM_INIT_SEED)
        model = build_ssl_model(f"ahms-{modality}")
    finally:
        torch.random.set_rng_state(gen_state)
    revision = state_sha256(model.encoder.state_dict())
    return AHMSEncoder("random-init", model, input_spec=INPUT_SPECS[modality], revision=revision,
                       device=device, training_datasets=(),
                       source={"init": "random", "seed": RANDOM_INIT_SEED, "config": f"ahms-{modality}"})


def _sidecar(name: str) -> dict[str, Any]:
    """The shipped weights' JSON sidecar (empty when the weights are not shipped or it is unreadable)."""
    try:
        return dict(json.loads((WEIGHTS_DIR / f"{name}.json").read_text()))
    except (OSError, json.JSONDecodeError, TypeError, ValueError):
        return {}


def _spec(name: str, modality: str, policy: str, koleo: bool, kind: str, description: str) -> EncoderSpec:
    card = _sidecar(name)
    shipped = (WEIGHTS_DIR / f"{name}.safetensors").is_file()
    revisions = tuple(d["revision"] for d in card.get("data") or () if isinstance(d, dict) and d.get("revision"))
    return EncoderSpec(
        name=name, factory=_make_factory(name, modality), kind=kind, description=description,  # type: ignore[arg-type]
        modalities=(modality,), input_specs=(INPUT_SPECS[modality],), embedding_dim=EMBEDDING_DIM,
        parameters=card.get("parameters"), training_datasets=tuple(card.get("training_datasets") or ()),
        training_revisions=revisions, license=WEIGHTS_LICENSE, citation=CITATION,
        weights=f"harness_ahms:weights/{name}.safetensors" if shipped else None,
        weights_sha256=card.get("file_sha256") if shipped else None,
        recipe=recipe_for(modality, policy, koleo),
    )


def register_encoders(registry: Any) -> None:
    """Add the AHMS encoders, their ablations and ``random-init`` to the encoder registry."""
    for name, (modality, policy, koleo, kind, description) in VARIANTS.items():
        registry.add(_spec(name, modality, policy, koleo, kind, description))
    registry.add(EncoderSpec(
        name="random-init", factory=random_init, kind="baseline", modalities=("ppg", "ecg"),
        input_specs=tuple(INPUT_SPECS.values()), embedding_dim=EMBEDDING_DIM, license=WEIGHTS_LICENSE,
        description="AHMS architecture with untrained weights (fixed seed): the floor to beat.",
    ))
