"""Synthetic PPG and ECG cohorts: the embedded default datasets and the scale-test cohorts.

See docs/synthetic-cohorts.md for what the generator models and the effect sizes it uses.
"""

from harness import hookimpl
from harness.datasets import DatasetSpec
from harness_synthetic.build import DEFAULT_PARTICIPANTS, build_ecg, build_ppg
from harness_synthetic.cohort import LABELS
from harness_synthetic.version import GENERATOR_VERSION

__version__ = "0.1.0"

DATASETS = (
    DatasetSpec(
        name="synthetic-ppg", modality="ppg",
        description="Synthetic wrist PPG cohort: 4 channels, 64 Hz, 60 s segments; labels act through "
                    "heart rate, HRV, vessel stiffness and pulse shape.",
        build=build_ppg, labels=LABELS["ppg"], synthetic=True, default_participants=DEFAULT_PARTICIPANTS,
        license="CC0-1.0", extra={"generator_version": GENERATOR_VERSION,
                                  "latents": "harness_synthetic.cohort:sample_cohort"},
    ),
    DatasetSpec(
        name="synthetic-ecg", modality="ecg",
        description="Synthetic single-lead ECG cohort: 128 Hz, 30 s segments; labels act through heart "
                    "rate, HRV, intervals, axis and voltage; AF with fibrillatory waves.",
        build=build_ecg, labels=LABELS["ecg"], synthetic=True, default_participants=DEFAULT_PARTICIPANTS,
        license="CC0-1.0", extra={"generator_version": GENERATOR_VERSION,
                                  "latents": "harness_synthetic.cohort:sample_cohort"},
    ),
)


@hookimpl
def harness_register_datasets(registry):
    for spec in DATASETS:
        registry.add(spec.name, spec, modalities=(spec.modality,), description=spec.description,
                     synthetic=True)
