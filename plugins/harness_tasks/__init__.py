"""Built-in probe tasks: demographic and condition targets read from a store's participant table, and
window-level targets (``level="segment"``) read from a store's per-segment labels."""

from harness import TaskSpec, hookimpl

__version__ = "0.1.0"

AGE_THRESHOLD = 50.0
BMI_THRESHOLD = 30.0

#: PPG-DaLiA's activities (protocol ids 1-8; 0, the transitions between them, is stored as missing)
ACTIVITIES = ("sitting", "stairs", "table-soccer", "cycling", "driving", "lunch", "walking", "working")

#: Window-level tasks: each segment's own embedding predicts its label; folds and CIs are by participant.
#: Activity is one-vs-rest binary tasks rather than one multiclass task, so AUROC, paired comparisons,
#: calibration and ROC plots apply unchanged (a multiclass result would need a new prediction schema).
SEGMENT_TASKS = (
    TaskSpec(name="hr-window", version=1, label="hr-window", kind="regression", metric="mae", level="segment",
             description="Reference heart rate of each window, bpm (ridge; participant-disjoint folds).",
             extra_metrics=("r2",)),
    TaskSpec(name="signal-quality", version=1, label="quality", kind="classification", metric="auroc",
             level="segment", description="Window judged good enough to read heart rate from, 1 = good "
             "(logistic; participant-disjoint folds)."),
    *(TaskSpec(name=f"activity-{a}", version=1, label="activity", kind="classification", metric="auroc",
               level="segment", category=a,
               description=f"Window recorded during activity '{a}' vs any other (logistic, one-vs-rest; "
               "participant-disjoint folds).") for a in ACTIVITIES),
    TaskSpec(name="stress", version=1, label="stress", kind="classification", metric="auroc", level="segment",
             description="Window recorded in the stress condition vs baseline, 1 = stress (logistic; WESAD; "
             "participant-disjoint folds)."),
)

BUILTIN_TASKS = (
    TaskSpec(name="age", version=1, label="age", kind="regression", metric="mae",
             description="Age in years (ridge).", extra_metrics=("r2",),
             analyses=("age-gap",)),
    TaskSpec(name="bmi", version=1, label="bmi", kind="regression", metric="mae",
             description="Body-mass index in kg/m^2 (ridge).", extra_metrics=("r2",)),
    TaskSpec(name="sex", version=1, label="sex", kind="classification", metric="auroc",
             description="Biological sex, 1 = female (logistic)."),
    TaskSpec(name="age-over-50", version=1, label="age", kind="classification", metric="auroc",
             description=f"Age > {AGE_THRESHOLD:g} years (logistic).", threshold=AGE_THRESHOLD),
    TaskSpec(name="bmi-over-30", version=1, label="bmi", kind="classification", metric="auroc",
             description=f"BMI > {BMI_THRESHOLD:g} kg/m^2, obesity (logistic).", threshold=BMI_THRESHOLD),
    TaskSpec(name="hypertension", version=1, label="hypertension", kind="classification", metric="auroc",
             description="Hypertension flag (logistic)."),
    TaskSpec(name="diabetes", version=1, label="diabetes", kind="classification", metric="auroc",
             description="Diabetes flag (logistic)."),
    TaskSpec(name="af", version=1, label="af", kind="classification", metric="auroc",
             description="Atrial fibrillation (logistic).", modalities=("ecg",)),
    TaskSpec(name="af-burden", version=1, label="af_burden", kind="regression", metric="mae",
             description="AF burden, fraction of recorded time in atrial fibrillation (ridge; MIT-BIH).",
             extra_metrics=("r2",), modalities=("ecg",)),
    TaskSpec(name="sbp", version=1, label="sbp", kind="regression", metric="mae",
             description="Systolic blood pressure, mmHg (ridge).", extra_metrics=("r2",)),
    TaskSpec(name="dbp", version=1, label="dbp", kind="regression", metric="mae",
             description="Diastolic blood pressure, mmHg (ridge).", extra_metrics=("r2",)),
    TaskSpec(name="hr", version=1, label="hr", kind="regression", metric="mae",
             description="Resting heart rate, bpm (ridge).", extra_metrics=("r2",)),
)


@hookimpl
def harness_register_tasks(registry):
    for task in (*BUILTIN_TASKS, *SEGMENT_TASKS):
        registry.add(task)
