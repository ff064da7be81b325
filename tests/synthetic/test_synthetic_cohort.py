"""Demographics, labels and latent traits of the synthetic cohorts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harness.errors import UsageError
from harness_datasets.synthetic.cohort import LABELS, sample_cohort

N = 4000


@pytest.fixture(scope="module", params=["ppg", "ecg"])
def cohort(request) -> pd.DataFrame:
    return sample_cohort(N, 11, request.param)


def test_same_seed_same_people_and_other_seed_other_people():
    a, b, c = sample_cohort(300, 3, "ecg"), sample_cohort(300, 3, "ecg"), sample_cohort(300, 4, "ecg")
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["latent_qtc_ms"], c["latent_qtc_ms"])


def test_participant_does_not_depend_on_cohort_size():
    small, large = sample_cohort(10, 5, "ppg"), sample_cohort(200, 5, "ppg")
    pd.testing.assert_frame_equal(small, large.iloc[:10])


def test_columns_labels_and_latents(cohort):
    modality = "ecg" if "af" in cohort else "ppg"
    assert set(LABELS[modality]) <= set(cohort.columns)
    latents = [c for c in cohort.columns if c.startswith("latent_")]
    assert len(latents) >= 10
    assert cohort[latents].notna().all().all()
    assert cohort["participant_id"].is_unique and cohort["participant_id"].iloc[0] == "P000000"


def test_demographics_follow_the_spec(cohort):
    assert cohort["age"].between(18, 90).all()
    assert 0.46 < cohort["sex"].mean() < 0.54 and set(cohort["sex"].unique()) == {0.0, 1.0}
    bmi = cohort["bmi"]
    assert 25.0 < bmi.median() < 27.0 and bmi.mean() > bmi.median()  # right-skewed
    assert 0.25 < cohort["hypertension"].mean() < 0.36
    assert 0.07 < cohort["diabetes"].mean() < 0.14
    old, young = cohort["age"] >= 60, cohort["age"] < 40
    for flag in ("hypertension", "diabetes"):
        assert cohort.loc[old, flag].mean() > 2 * cohort.loc[young, flag].mean()
    assert cohort.loc[cohort["bmi"] >= 30, "diabetes"].mean() > cohort.loc[cohort["bmi"] < 25, "diabetes"].mean()
    if "af" in cohort:
        assert 0.02 < cohort["af"].mean() < 0.05
        assert cohort.loc[old, "af"].mean() > 3 * cohort.loc[young, "af"].mean()


def _r2_from_labels(frame: pd.DataFrame, column: str, labels: tuple[str, ...]) -> float:
    x = np.column_stack([np.ones(len(frame)), *(frame[label] for label in labels)])
    y = frame[column].to_numpy()
    resid = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    return 1.0 - resid.var() / y.var()


@pytest.mark.parametrize("modality,latent", [
    ("ppg", "latent_hr"), ("ppg", "latent_pwv"), ("ppg", "latent_reflection_delay_s"),
    ("ppg", "latent_pulse_amplitude"), ("ecg", "latent_qrs_ms"), ("ecg", "latent_qtc_ms"),
    ("ecg", "latent_axis_deg"), ("ecg", "latent_r_amp_mv"),
])
def test_traits_have_individual_parts_beyond_labels(modality, latent):
    frame = sample_cohort(N, 11, modality)
    r2 = _r2_from_labels(frame, latent, LABELS[modality])
    assert 0.02 < r2 < 0.8, f"{latent}: labels explain {r2:.2f} of its variance"


def test_latent_directions():
    ppg, ecg = sample_cohort(N, 11, "ppg"), sample_cohort(N, 11, "ecg")
    women, men = ppg["sex"] == 1, ppg["sex"] == 0
    assert 3 < ppg.loc[women, "latent_hr"].mean() - ppg.loc[men, "latent_hr"].mean() < 7
    assert np.corrcoef(ppg["age"], ppg["latent_pwv"])[0, 1] > 0.6
    assert np.corrcoef(ppg["age"], ppg["latent_reflection_delay_s"])[0, 1] < -0.5
    assert np.corrcoef(ppg["age"], ppg["latent_notch_depth"])[0, 1] < -0.3
    assert np.corrcoef(ppg["bmi"], ppg["latent_pulse_amplitude"])[0, 1] < -0.1
    assert ppg.loc[ppg["diabetes"] == 1, "latent_pwv"].mean() > ppg.loc[ppg["diabetes"] == 0, "latent_pwv"].mean()
    women, men = ecg["sex"] == 1, ecg["sex"] == 0
    assert 5 < ecg.loc[men, "latent_qrs_ms"].mean() - ecg.loc[women, "latent_qrs_ms"].mean() < 11
    assert 10 < ecg.loc[women, "latent_qtc_ms"].mean() - ecg.loc[men, "latent_qtc_ms"].mean() < 20
    assert ecg.loc[men, "latent_r_amp_mv"].mean() > ecg.loc[women, "latent_r_amp_mv"].mean()
    assert np.corrcoef(ecg["bmi"], ecg["latent_r_amp_mv"])[0, 1] < 0
    for latent in ("latent_pr_ms", "latent_p_duration_ms"):
        assert np.corrcoef(ecg["age"], ecg[latent])[0, 1] > 0 and np.corrcoef(ecg["bmi"], ecg[latent])[0, 1] > 0
    for label in ("age", "bmi"):
        assert np.corrcoef(ecg[label], ecg["latent_axis_deg"])[0, 1] < 0  # leftward shift


def test_rmssd_roughly_halves_from_twenties_to_seventies():
    frame = sample_cohort(N, 11, "ppg")
    young = frame.loc[frame["age"].between(20, 30), "latent_rmssd_ms"].median()
    old = frame.loc[frame["age"].between(70, 80), "latent_rmssd_ms"].median()
    assert 0.3 < old / young < 0.65


@pytest.mark.parametrize("args", [(0, 1, "ppg"), (5, -1, "ppg"), (5, 1, "eeg")])
def test_bad_arguments_raise_usage_errors(args):
    with pytest.raises(UsageError):
        sample_cohort(*args)
