"""What every baseline encoder shares: the plugin version, revision hashing and argument checks."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from harness import InputSpec, UsageError

PLUGIN_VERSION = "0.1.0"

# What the handcrafted features read: one channel at the rate the features were designed for, raw
# amplitude (no normalisation), consecutive windows averaged. Plain data, so registration imports no scipy.
HANDCRAFTED_INPUTS: dict[str, InputSpec] = {
    "ppg": InputSpec("ppg", channels=1, fs=64.0, window_s=60.0, normalise="none", long_policy="windows",
                     short_policy="pad"),
    "ecg": InputSpec("ecg", channels=1, fs=128.0, window_s=30.0, normalise="none", long_policy="windows",
                     short_policy="pad"),
}


def revision_of(settings: dict[str, Any]) -> str:
    """Content hash of an encoder's settings and the plugin version: the cache and results key.

    Bump :data:`PLUGIN_VERSION` whenever feature code changes what it computes, so stale cached
    embeddings are not reused.
    """
    payload = json.dumps({"plugin_version": PLUGIN_VERSION, **settings}, sort_keys=True, default=str)
    return hashlib.blake2b(payload.encode(), digest_size=8).hexdigest()


def refuse_checkpoint(name: str, checkpoint: str | None) -> None:
    """Baselines have no weights; a checkpoint argument means the user picked the wrong encoder."""
    if checkpoint is not None:
        raise UsageError(f"encoder '{name}' has no weights but was given checkpoint '{checkpoint}'",
                         "drop --checkpoint for baseline encoders")


def check_modality(name: str, modality: str, supported: tuple[str, ...]) -> None:
    """Fail early, naming the modalities an encoder can embed."""
    if supported and modality not in supported:
        raise UsageError(f"encoder '{name}' does not support modality '{modality}'",
                         f"use it with one of: {', '.join(supported)}")
