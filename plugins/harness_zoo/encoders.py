"""The zoo encoders: published architectures that run only with the weights the user imported.

No weights are bundled or downloaded. ``checkpoint=None`` is refused with the way to get and import the
official file, so no result can show an untrained network under a published model's name. Tests and
conformance checks build the architecture with random weights by passing :data:`RANDOM_INIT`, an object
the command line cannot produce.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from harness import Batch, DataError, UsageError, read_safetensors, state_sha256
from harness_zoo.cards import CARDS, PLUGIN_VERSION, ZooCard

RANDOM_SEED = 0
SAFETENSORS_FORMAT = "harness-zoo-weights/1"


class _RandomInit:
    """Sentinel checkpoint: build the architecture with seeded random weights (tests only)."""

    def __repr__(self) -> str:
        return "RANDOM_INIT"


RANDOM_INIT = _RandomInit()


def _import_hint(card: ZooCard) -> str:
    return (f"download {card.weights_file} from {card.weights_url}, convert it once with `harness weights "
            f"import FILE --encoder {card.name}`, then pass the .safetensors it writes as --checkpoint")


def _read_imported(card: ZooCard, checkpoint: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Tensors and metadata of a file ``harness weights import`` wrote for this encoder."""
    path = Path(checkpoint)
    if not path.is_file():
        raise UsageError(f"no weights file at {path}", _import_hint(card))
    with path.open("rb") as handle:
        head = handle.read(9)
    if len(head) < 9 or head[8:9] != b"{":
        raise UsageError(f"{path} is not a safetensors file; encoder '{card.name}' never opens pickled "
                         "checkpoints at run time", _import_hint(card))
    from safetensors import safe_open

    tensors = read_safetensors(path)
    with safe_open(str(path), framework="pt") as handle:
        metadata = dict(handle.metadata() or {})
    if metadata.get("encoder") not in (None, card.name):
        raise UsageError(f"{path} holds weights imported for encoder '{metadata['encoder']}', not '{card.name}'",
                         f"use --encoder {metadata['encoder']}, or import the {card.name} weights")
    return tensors, metadata


class ZooEncoder:
    """A frozen published network: eval mode, inference mode, batched; embeddings as float32."""

    training_revisions: tuple[str, ...] = ()

    def __init__(self, card: ZooCard, model: Any, *, device: str, weights: dict[str, Any],
                 batch_size: int = 128) -> None:
        import torch

        self.card = card
        self.name = card.name
        self.embedding_dim = card.embedding_dim
        self.input_spec = card.input_spec
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.weights = weights
        self.batch_size = batch_size
        # The data behind the official weights is not a harness store: nothing to flag as overlap.
        self.training_datasets: tuple[str, ...] = ()
        payload = f"{PLUGIN_VERSION}|{card.name}|{weights['state_sha256']}".encode()
        self.revision = hashlib.blake2b(payload, digest_size=8).hexdigest()

    def embed(self, batch: Batch) -> np.ndarray:
        import torch

        signal = np.asarray(batch.signal, dtype=np.float32)
        spec = self.input_spec
        if signal.ndim != 3 or signal.shape[1:] != (spec.channels, spec.samples):
            raise DataError(f"encoder '{self.name}' expects (n, {spec.channels}, {spec.samples}) input, got "
                            f"{signal.shape}", "adapt the batch with harness.adapter.adapt first")
        out = [np.zeros((0, self.embedding_dim), np.float32)]
        with torch.inference_mode():
            for start in range(0, len(signal), self.batch_size):
                x = torch.from_numpy(signal[start:start + self.batch_size]).to(self.device)
                out.append(self.model.embed(x).float().cpu().numpy())
        return np.concatenate(out).astype(np.float32, copy=False)

    def describe(self) -> dict[str, Any]:
        card = self.card
        return {"name": self.name, "architecture": card.config, "source": card.source,
                "probed_output": card.probed_output, "not_applied": card.preprocessing_not_applied,
                "input_spec": self.input_spec.to_dict(), "weights": self.weights, "revision": self.revision,
                "device": str(self.device)}


def make_encoder(name: str, *, modality: str, device: str = "cpu", checkpoint: Any = None) -> ZooEncoder:
    """Zoo encoder ``name`` with imported official weights (``checkpoint``) or, for tests, RANDOM_INIT."""
    import torch

    from harness_zoo.models import build_model

    card = CARDS[name]
    if modality != card.input_spec.modality:
        raise UsageError(f"encoder '{name}' does not support modality '{modality}'",
                         f"use it with {card.input_spec.modality} data")
    if checkpoint is None:
        raise UsageError(f"encoder '{name}' has no bundled weights and will not run untrained",
                         _import_hint(card))
    if checkpoint is RANDOM_INIT:
        torch.manual_seed(RANDOM_SEED)
        model = build_model(name)
        weights: dict[str, Any] = {"kind": "random-init (tests only)", "seed": RANDOM_SEED}
    else:
        tensors, metadata = _read_imported(card, str(checkpoint))
        from harness_zoo.models import state_dict_from_checkpoint

        model = build_model(name)
        model.load_state_dict(state_dict_from_checkpoint(name, tensors), strict=True)
        weights = {"kind": "imported", "path": str(checkpoint),
                   **{k: metadata[k] for k in ("source_file", "source_sha256", "verified") if k in metadata}}
    weights["state_sha256"] = state_sha256(model.state_dict())
    return ZooEncoder(card, model, device=device, weights=weights)


def make_papagei_s(**kwargs: Any) -> ZooEncoder:
    return make_encoder("papagei-s", **kwargs)


def make_papagei_p(**kwargs: Any) -> ZooEncoder:
    return make_encoder("papagei-p", **kwargs)


def make_pulse_ppg(**kwargs: Any) -> ZooEncoder:
    return make_encoder("pulse-ppg", **kwargs)


def make_ecgfounder_1lead(**kwargs: Any) -> ZooEncoder:
    return make_encoder("ecgfounder-1lead", **kwargs)


def make_hubert_ecg_base(**kwargs: Any) -> ZooEncoder:
    return make_encoder("hubert-ecg-base", **kwargs)
