"""Baseline encoders that need no training: ``prior`` (the floor), ``handcrafted`` (HR, HRV and
waveform-morphology features) and ``demographics`` (age, sex and BMI from the labels).

Factories are lazy ``"module:attr"`` strings, so listing encoders does not import scipy. All three are
numpy-only (``uses_torch=False``): ``harness run --device auto`` then resolves to the CPU without
importing torch.
"""

from harness import EncoderSpec, hookimpl
from harness_baselines._common import HANDCRAFTED_INPUTS, PLUGIN_VERSION
from harness_baselines.demographics import FEATURES, INPUT_LABELS

__version__ = PLUGIN_VERSION


@hookimpl
def harness_register_encoders(registry):
    registry.add(EncoderSpec(
        name="prior", factory="harness_baselines.prior:make_prior", kind="baseline", embedding_dim=1,
        uses_torch=False,
        description="Constant embedding: probes predict the training mean / prevalence (the floor).",
        license="Apache-2.0",
    ))
    registry.add(EncoderSpec(
        name="handcrafted", factory="harness_baselines.handcrafted:make_handcrafted", kind="baseline",
        modalities=("ppg", "ecg"), input_specs=tuple(HANDCRAFTED_INPUTS.values()), license="Apache-2.0",
        uses_torch=False,
        description="Heart rate, HRV, ensemble-averaged pulse/beat morphology and spectral features.",
    ))
    registry.add(EncoderSpec(
        name="demographics", factory="harness_baselines.demographics:make_demographics", kind="baseline",
        embedding_dim=2 * len(FEATURES), input_labels=INPUT_LABELS, requires_any_label=FEATURES,
        uses_torch=False,
        description="Age, sex and BMI from the participant table; the bar for condition tasks.",
        license="Apache-2.0",
    ))
