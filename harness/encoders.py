"""The encoder contract: what an encoder declares and what it must return."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class InputSpec:
    """The input an encoder expects; the core's input adapter turns any store into it.

    ``normalise`` is ``"zscore"`` (per segment, per channel), ``"minmax"`` (per segment, per channel, to
    [-1, 1]) or ``"none"``. ``long_policy`` says what to
    do with recordings longer than the window: ``"crop"`` (centre crop) or ``"windows"`` (embed
    consecutive windows and average the embeddings). Shorter recordings are zero-padded after
    normalisation (``short_policy="pad"``) or tiled (``"tile"``). ``fewer_channels`` says what a store
    with fewer channels than ``channels`` gets: ``"repeat"`` (its channels repeated) or ``"refuse"`` (the
    run refuses that dataset: a 12-lead model fed one repeated lead would score something else).
    """

    modality: str
    channels: int
    fs: float
    window_s: float
    normalise: str = "zscore"
    long_policy: str = "windows"
    short_policy: str = "pad"
    preferred_channels: tuple[str, ...] = ()
    fewer_channels: str = "repeat"

    @property
    def samples(self) -> int:
        return round(self.fs * self.window_s)

    def to_dict(self) -> dict[str, Any]:
        out = {**asdict(self), "preferred_channels": list(self.preferred_channels), "samples": self.samples}
        if self.fewer_channels == "repeat":  # the default is left out: dicts recorded before it existed
            del out["fewer_channels"]        # (cache keys, weights revisions) stay the same
        return out


@dataclass
class Batch:
    """A batch of segments, already adapted to the encoder's :class:`InputSpec` when it has one.

    ``signal`` is float32 ``(n, channels, samples)``; ``n_valid`` how many leading samples of each row
    are real recording (the rest is padding); ``participant_id`` one id per segment; ``labels``
    per-segment arrays of the store's participant table (only the demographics baseline reads them).
    """

    signal: np.ndarray
    fs: float
    participant_id: np.ndarray
    n_valid: np.ndarray
    labels: dict[str, np.ndarray] = field(default_factory=dict)


ENCODER_ATTRIBUTES = ("name", "embedding_dim", "revision", "input_spec", "training_datasets", "training_revisions")


@runtime_checkable
class Encoder(Protocol):
    """What ``harness run`` needs from an encoder.

    ``revision`` identifies the weights and config (a content hash): results and the embedding cache
    are keyed by it. ``input_spec`` is ``None`` for encoders that read the raw store signal.
    ``training_datasets`` / ``training_revisions`` name the data (and store revisions) the loaded weights
    saw, which may differ from the spec's when a ``--checkpoint`` is given; both are ``()`` for none.

    Optional: ``constant_embedding = True`` declares an encoder whose embedding is the same for every
    segment by design (the ``prior`` baseline). Any other encoder that returns the same embedding for
    all segments of a store whose inputs differ is refused (:mod:`harness.embedding_checks`).

    Optional: ``use_inference_path(path, dtype) -> (path_used, reason)`` lets ``--inference`` switch a
    torch encoder's forward (``"trace"`` or ``"eager"``); build it with :func:`harness.trace_module`,
    which falls back to eager where tracing fails. Encoders without it run their own forward.
    """

    name: str
    embedding_dim: int
    revision: str
    input_spec: InputSpec | None
    training_datasets: tuple[str, ...]
    training_revisions: tuple[str, ...]

    def embed(self, batch: Batch) -> np.ndarray:
        """Return float32 ``(n, embedding_dim)`` embeddings, one row per segment."""
        ...

    def describe(self) -> dict[str, Any]:
        """Config to record in results (architecture, checkpoint, feature list, ...)."""
        ...
