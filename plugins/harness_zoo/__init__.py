"""Published open-weight encoders (PaPaGei-S/-P, Pulse-PPG, ECGFounder single-lead, HuBERT-ECG BASE),
written from their code.

Registration reads plain data (:mod:`harness_zoo.cards`) and imports no torch. Weights are never bundled
or downloaded: the user fetches the official file, converts it once with ``harness weights import FILE
--encoder NAME`` (sha256-checked, ``torch.load(weights_only=True)``) and passes the safetensors it
writes as ``--checkpoint``. Without it the encoders refuse to run (no untrained "PaPaGei" rows).
"""

from harness import EncoderSpec, hookimpl
from harness_zoo.cards import CARDS, PLUGIN_VERSION

__version__ = PLUGIN_VERSION

_SUFFIX = {"papagei-s": "papagei_s", "papagei-p": "papagei_p", "pulse-ppg": "pulse_ppg",
           "ecgfounder-1lead": "ecgfounder_1lead", "hubert-ecg-base": "hubert_ecg_base"}


def specs() -> list[EncoderSpec]:
    """One EncoderSpec per card (plain data; the factories are lazy strings)."""
    return [EncoderSpec(
        name=card.name, factory=f"harness_zoo.encoders:make_{_SUFFIX[card.name]}", kind="foundation",
        modalities=(card.input_spec.modality,), input_specs=(card.input_spec,),
        embedding_dim=card.embedding_dim, parameters=card.parameters, license=card.license,
        citation=card.citation, description=card.description, weights=None,
        weights_sha256=card.weights_sha256, weights_url=card.weights_url,
        weights_import=f"harness_zoo.weights:import_{_SUFFIX[card.name]}",
    ) for card in CARDS.values()]


@hookimpl
def harness_register_encoders(registry):
    for spec in specs():
        registry.add(spec)
