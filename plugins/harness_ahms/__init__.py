"""Built-in AHMS plugin: the participant-contrastive PPG/ECG method of Abbaspourazad et al. (ICLR 2024).

This module only registers things; the torch code lives in ``model``, ``augment`` and ``losses`` and is
registered as lazy ``"module:attr"`` strings so that ``harness list`` never imports torch. The
per-modality augmentation defaults and default loss parameters live here (plain data, no torch) and are
the single source of truth that ``augment.DEFAULTS`` and the registry metadata both use.
"""

from __future__ import annotations

from typing import Any

from harness import AugmentationSpec, LossSpec, PairPolicySpec, hookimpl

__version__ = "0.1.0"

# Per-modality augmentation cascade (docs/method.md). Order matters: it is the order of application.
# Probabilities are the paper's; magnitudes are (≈) defaults.
AUGMENTATION_DEFAULTS: dict[str, dict[str, dict[str, Any]]] = {
    "ppg": {
        "cut-out": {"p": 0.4, "min_frac": 0.3, "max_frac": 0.5},
        "magnitude-warp": {"p": 0.25, "n_knots": 7, "sigma": 0.2, "per_channel": False},
        "time-warp": {"p": 0.15, "n_knots": 7, "sigma": 0.1, "per_channel": True},
        "gaussian-noise": {"p": 0.25, "min_sigma": 0.05, "max_sigma": 0.1},
        "channel-permute": {"p": 0.25},
    },
    "ecg": {
        "cut-out": {"p": 0.8, "min_frac": 0.3, "max_frac": 0.5},
        "magnitude-warp": {"p": 0.5, "n_knots": 7, "sigma": 0.2, "per_channel": False},
        "time-warp": {"p": 0.3, "n_knots": 7, "sigma": 0.1, "per_channel": True},
        "gaussian-noise": {"p": 0.5, "min_sigma": 0.05, "max_sigma": 0.1},
    },
}

AUGMENTATIONS: dict[str, tuple[str, str]] = {
    "cut-out": ("harness_ahms.augment:CutOut",
                "Zero one contiguous block of min_frac-max_frac of the length (all channels)."),
    "magnitude-warp": ("harness_ahms.augment:MagnitudeWarp",
                       "Multiply by a smooth natural cubic spline through n_knots knots ~ N(1, sigma)."),
    "time-warp": ("harness_ahms.augment:TimeWarp",
                  "Resample along a monotone time map whose speed is a cubic spline through n_knots "
                  "knots ~ N(1, sigma); length kept."),
    "gaussian-noise": ("harness_ahms.augment:GaussianNoise",
                       "Add N(0, s^2) noise with s ~ U(min_sigma, max_sigma) per sample."),
    "channel-permute": ("harness_ahms.augment:ChannelPermute",
                        "Shuffle the channels of each sample (multi-channel PPG only)."),
}

LOSS_DEFAULTS: dict[str, dict[str, Any]] = {
    "infonce": {"temperature": 0.04, "mask_same_participant": True},
    "koleo": {"weight": 0.1, "eps": 1e-8},
}

# name -> (factory, what the trainer passes it, description)
LOSSES: dict[str, tuple[str, str, str]] = {
    "infonce": ("harness_ahms.losses:InfoNCE", "pairs",
                "Symmetric NT-Xent, student vs cross-view teacher; same-participant negatives masked."),
    "koleo": ("harness_ahms.losses:KoLeo", "embeddings",
              "KoLeo spreading regulariser: -mean log nearest-neighbour distance, times weight."),
}

PAIR_POLICIES: dict[str, tuple[str, str]] = {
    "participant": ("harness_ahms.pairs:ParticipantPairs",
                    "Second view = a different segment of the same participant (AHMS)."),
    "segment": ("harness_ahms.pairs:SegmentPairs",
                "Second view = the same segment, augmented again (SimCLR-style ablation)."),
}


@hookimpl
def harness_register_augmentations(registry):
    for name, (target, description) in AUGMENTATIONS.items():
        defaults = {mod: dict(cfg[name]) for mod, cfg in AUGMENTATION_DEFAULTS.items() if name in cfg}
        registry.add(AugmentationSpec(name=name, factory=target, description=description, defaults=defaults))


@hookimpl
def harness_register_losses(registry):
    for name, (target, consumes, description) in LOSSES.items():
        registry.add(LossSpec(name=name, factory=target, consumes=consumes, description=description,
                              defaults=dict(LOSS_DEFAULTS[name])))


@hookimpl
def harness_register_pair_policies(registry):
    for name, (target, description) in PAIR_POLICIES.items():
        registry.add(PairPolicySpec(name=name, factory=target, description=description))


@hookimpl
def harness_register_encoders(registry):
    """ahms-ppg, ahms-ecg, their ablation variants and random-init (see encoders.py)."""
    from harness_ahms.encoders import register_encoders

    register_encoders(registry)
