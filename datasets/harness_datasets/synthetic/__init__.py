"""Synthetic PPG and ECG cohorts: the embedded default datasets and the scale-test cohorts.

See docs/synthetic-cohorts.md for what the generator models and the effect sizes it uses.
"""

from harness import DatasetSpec, hookimpl
from harness_datasets.synthetic.design import DEFAULT_PARTICIPANTS, LABELS

__version__ = "0.1.0"

# Three independent draws of one generator, by seed: 0 is the evaluation cohort every leaderboard scores,
# 1 the pretraining cohort (built by hand, see the model card), 2 the model-selection cohort. Choices made
# after looking at scores (training budget, data recipe) are made on the validation draw, never on seed 0.
EVALUATION_SEED, PRETRAINING_SEED, VALIDATION_SEED = 0, 1, 2

_DESCRIPTIONS = {
    "ppg": "Synthetic wrist PPG cohort: 4 channels, 64 Hz, 60 s segments; labels act through heart rate, HRV, "
           "vessel stiffness and pulse shape.",
    "ecg": "Synthetic single-lead ECG cohort: 128 Hz, 30 s segments; labels act through heart rate, HRV, "
           "intervals, axis and voltage; AF with fibrillatory waves.",
}
# Lazy builders: numpy, pandas and the generator load only when a cohort is built.
_BUILDERS = {"ppg": "harness_datasets.synthetic.build:build_ppg", "ecg": "harness_datasets.synthetic.build:build_ecg"}
# The evaluation cohorts are the runs' defaults; PPG (the wrist signal of the method) also for encoders and
# tasks that take any modality, e.g. `harness run --encoder prior --task age`.
DEFAULT_FOR = {"ppg": ("ppg", "any"), "ecg": ("ecg",)}


def _spec(modality: str, *, validation: bool) -> DatasetSpec:
    name = f"synthetic-{modality}" + ("-validation" if validation else "")
    description = _DESCRIPTIONS[modality]
    if validation:
        description = (f"Model-selection draw of synthetic-{modality} (seed {VALIDATION_SEED}, same size): decide "
                       "budgets and recipes here, then score once on the evaluation cohort.")
    return DatasetSpec(
        name=name, modality=modality, description=description, build=_BUILDERS[modality],
        labels=LABELS[modality], synthetic=True, default_participants=DEFAULT_PARTICIPANTS,
        default_seed=VALIDATION_SEED if validation else EVALUATION_SEED, license="CC0-1.0",
        default_for=() if validation else DEFAULT_FOR[modality],
    )


DATASETS = tuple(_spec(m, validation=v) for v in (False, True) for m in ("ppg", "ecg"))


@hookimpl
def harness_register_datasets(registry):
    for spec in DATASETS:
        registry.add(spec)
