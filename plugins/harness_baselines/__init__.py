"""Baseline encoders that need no training: ``prior`` (the floor), ``handcrafted`` (HR, HRV and
waveform-morphology features) and ``demographics`` (age, sex and BMI from the labels).

Targets are lazy ``"module:attr"`` strings, so listing encoders does not import scipy. All three are
numpy-only (``uses_torch=False``): ``harness run --device auto`` then resolves to the CPU without
importing torch.
"""

from harness import hookimpl
from harness_baselines._common import PLUGIN_VERSION
from harness_baselines.demographics import EXCLUDED_LABELS

__version__ = PLUGIN_VERSION


@hookimpl
def harness_register_encoders(registry):
    registry.add(
        "prior", "harness_baselines.prior:make_prior",
        description="Constant embedding: probes predict the training mean / prevalence (the floor).",
        modalities=(), kind="baseline", training_datasets=(), excluded_labels=(), uses_torch=False,
    )
    registry.add(
        "handcrafted", "harness_baselines.handcrafted:make_handcrafted",
        description="Heart rate, HRV, ensemble-averaged pulse/beat morphology and spectral features.",
        modalities=("ppg", "ecg"), kind="baseline", training_datasets=(), excluded_labels=(), uses_torch=False,
    )
    registry.add(
        "demographics", "harness_baselines.demographics:make_demographics",
        description="Age, sex and BMI from the participant table; the bar for condition tasks.",
        modalities=(), kind="baseline", training_datasets=(), excluded_labels=EXCLUDED_LABELS,
        requires_any_label=("age", "sex", "bmi"), uses_torch=False,
    )
