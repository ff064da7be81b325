"""What ``harness weights import`` calls for each zoo encoder (the spec's ``weights_import``).

Each function takes what ``torch.load(weights_only=True)`` returned for the official file (or the tensors
of a safetensors file) and returns the encoder's exact state dict, or raises a one-line DataError.
"""

from __future__ import annotations

from typing import Any


def _convert(name: str, obj: Any) -> Any:
    from harness_zoo.models import state_dict_from_checkpoint

    return state_dict_from_checkpoint(name, obj)


def import_papagei_s(obj: Any) -> Any:
    return _convert("papagei-s", obj)


def import_papagei_p(obj: Any) -> Any:
    return _convert("papagei-p", obj)


def import_pulse_ppg(obj: Any) -> Any:
    return _convert("pulse-ppg", obj)


def import_ecgfounder_1lead(obj: Any) -> Any:
    return _convert("ecgfounder-1lead", obj)


def import_hubert_ecg_base(obj: Any) -> Any:
    return _convert("hubert-ecg-base", obj)
