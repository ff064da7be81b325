"""The ``prior`` baseline: an embedding that carries no information, the floor of every table.

Every segment gets the same 1-d embedding (0.0), and the encoder says so (``constant_embedding``), so
the harness's check for collapsed embeddings lets it through. The probe fits nothing on features that
carry no information: each regression fold predicts its training mean exactly, and every participant
gets the same classification score, so AUROC is exactly 0.5 with a zero-width CI (the "prior" floor).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness import Batch, InputSpec
from harness_baselines._common import check_modality, refuse_checkpoint, revision_of

# The signal is never read, so ask the input adapter for the cheapest thing it can give:
# one channel, one sample per second, a one-second centre crop, no normalisation.
CHEAP_SPEC_FS = 1.0
CHEAP_SPEC_WINDOW_S = 1.0


def cheap_input_spec(modality: str) -> InputSpec:
    """An input spec for encoders that ignore the signal (1 channel, 1 Hz, 1 s, no normalisation)."""
    return InputSpec(modality=modality, channels=1, fs=CHEAP_SPEC_FS, window_s=CHEAP_SPEC_WINDOW_S,
                     normalise="none", long_policy="crop", short_policy="pad")


class PriorEncoder:
    """Returns a constant zero column for every segment; see the module docstring."""

    embedding_dim = 1
    #: constant by design: the whole-store check for collapsed embeddings does not refuse it
    constant_embedding = True
    training_datasets: tuple[str, ...] = ()
    training_revisions: tuple[str, ...] = ()

    def __init__(self, modality: str, name: str = "prior") -> None:
        self.name = name
        self.modality = modality
        self.input_spec = cheap_input_spec(modality)
        self.revision = revision_of(self._settings())

    def _settings(self) -> dict[str, Any]:
        return {"encoder": self.name, "modality": self.modality, "value": 0.0,
                "input_spec": self.input_spec.to_dict()}

    def embed(self, batch: Batch) -> np.ndarray:
        return np.zeros((len(batch.signal), self.embedding_dim), dtype=np.float32)

    def describe(self) -> dict[str, Any]:
        return {**self._settings(), "kind": "baseline", "features": ["constant"],
                "revision": self.revision,
                "note": "constant embedding; probes reduce to the training mean / prevalence"}


def make_prior(*, modality: str, device: str = "cpu", checkpoint: str | None = None) -> PriorEncoder:
    """Factory registered as ``prior``; ``device`` is ignored (nothing to compute)."""
    refuse_checkpoint("prior", checkpoint)
    check_modality("prior", modality, ())
    return PriorEncoder(modality)
