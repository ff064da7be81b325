"""Built-in probe tasks: demographic and condition targets read from a store's participant table."""

from harness import TaskSpec, hookimpl

__version__ = "0.1.0"

AGE_THRESHOLD = 50.0
BMI_THRESHOLD = 30.0

BUILTIN_TASKS = (
    TaskSpec("age", 1, "age", "regression", "mae", False, "Age in years (ridge).", extra_metrics=("r2",)),
    TaskSpec("bmi", 1, "bmi", "regression", "mae", False, "Body-mass index in kg/m^2 (ridge).",
             extra_metrics=("r2",)),
    TaskSpec("sex", 1, "sex", "classification", "auroc", True, "Biological sex, 1 = female (logistic)."),
    TaskSpec("age-over-50", 1, "age", "classification", "auroc", True,
             f"Age > {AGE_THRESHOLD:g} years (logistic).", threshold=AGE_THRESHOLD),
    TaskSpec("bmi-over-30", 1, "bmi", "classification", "auroc", True,
             f"BMI > {BMI_THRESHOLD:g} kg/m^2, obesity (logistic).", threshold=BMI_THRESHOLD),
    TaskSpec("hypertension", 1, "hypertension", "classification", "auroc", True,
             "Hypertension flag (logistic)."),
    TaskSpec("diabetes", 1, "diabetes", "classification", "auroc", True, "Diabetes flag (logistic)."),
    TaskSpec("af", 1, "af", "classification", "auroc", True, "Atrial fibrillation (logistic).",
             modalities=("ecg",)),
    TaskSpec("sbp", 1, "sbp", "regression", "mae", False, "Systolic blood pressure, mmHg (ridge).",
             extra_metrics=("r2",)),
    TaskSpec("dbp", 1, "dbp", "regression", "mae", False, "Diastolic blood pressure, mmHg (ridge).",
             extra_metrics=("r2",)),
    TaskSpec("hr", 1, "hr", "regression", "mae", False, "Resting heart rate, bpm (ridge).",
             extra_metrics=("r2",)),
)


@hookimpl
def harness_register_tasks(registry):
    for task in BUILTIN_TASKS:
        registry.add(task)
