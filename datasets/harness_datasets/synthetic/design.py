"""What the synthetic cohorts are, as plain data (no numpy or pandas), so registering them costs nothing."""

DEFAULT_PARTICIPANTS = 800

# Labels written to the store, per modality (sex: 1 = female, 0 = male).
LABELS = {
    "ppg": ("age", "sex", "bmi", "hypertension", "diabetes"),
    "ecg": ("age", "sex", "bmi", "hypertension", "diabetes", "af"),
}
