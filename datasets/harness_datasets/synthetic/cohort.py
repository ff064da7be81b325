"""Synthetic participants: demographics, labels and the latent physiology that drives their signals.

Every physiological trait is ``label-driven part + individual part``: labels shift it with moderate,
literature-signed effects and a per-person random term keeps it from being a function of the labels.
Participants are drawn in fixed-size blocks seeded by ``(seed, modality, block)``, so participant *i*
is the same person whatever the cohort size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness import UsageError
from harness_datasets.synthetic import design

BLOCK_PARTICIPANTS = 64
MODALITY_CODES = {"ppg": 1, "ecg": 2}
PPG_CHANNELS = 4

LABELS = design.LABELS


def block_rng(seed: int, modality: str, block: int, stream: int) -> np.random.Generator:
    """The generator for one participant block; ``stream`` 0 = traits, 1 = segments."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), MODALITY_CODES[modality], int(block),
                                                         int(stream)]))


def check_args(n_participants: int, seed: int, modality: str) -> None:
    if modality not in MODALITY_CODES:
        raise UsageError(f"unknown synthetic modality '{modality}'", "use 'ppg' or 'ecg'")
    if int(n_participants) < 1:
        raise UsageError(f"{n_participants} participants requested", "ask for at least 1 participant")
    if int(seed) < 0:
        raise UsageError(f"seed {seed} is negative", "use a seed >= 0")


def participant_ids(start: int, count: int, width: int = 6) -> list[str]:
    return [f"P{i:0{width}d}" for i in range(start, start + count)]


def id_width(n_participants: int) -> int:
    return max(6, len(str(max(int(n_participants) - 1, 0))))


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _demographics(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Age 18-90 (mean ~51), sex 50/50, right-skewed BMI (median ~26), conditions rising with age/BMI."""
    age = 18.0 + 72.0 * rng.beta(1.6, 1.9, n)
    sex = (rng.random(n) < 0.5).astype(np.float64)
    log_bmi = (np.log(26.4) + 0.004 * (np.minimum(age, 65.0) - 50.0) - 0.02 * sex
               + 0.17 * rng.standard_normal(n))
    bmi = np.clip(np.exp(log_bmi), 15.0, 60.0)
    htn = rng.random(n) < _logistic(-1.05 + 0.065 * (age - 50.0) + 0.11 * (bmi - 26.0) - 0.25 * sex)
    dm = rng.random(n) < _logistic(-2.85 + 0.045 * (age - 50.0) + 0.12 * (bmi - 26.0) + 0.5 * htn)
    af = rng.random(n) < _logistic(-4.3 + 0.07 * (age - 50.0) + 0.03 * (bmi - 26.0) + 0.4 * htn - 0.3 * sex)
    return {"age": age, "sex": sex, "bmi": bmi, "hypertension": htn.astype(np.float64),
            "diabetes": dm.astype(np.float64), "af": af.astype(np.float64)}


def _common_latents(rng: np.random.Generator, d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Heart rate, HRV, respiration and ectopy: shared by both modalities."""
    n = len(d["age"])
    age, sex, bmi, htn, dm = d["age"], d["sex"], d["bmi"], d["hypertension"], d["diabetes"]
    hr = (68.0 + 4.5 * sex + 0.35 * (bmi - 26.0) - 0.12 * (age - 50.0) + 1.5 * htn + 2.0 * dm
          + 7.0 * rng.standard_normal(n))
    hr = np.clip(hr, 45.0, 110.0)
    # RMSSD roughly halves from 25 to 75 years: exp(-0.014 * 50) = 0.50.
    log_rmssd = (np.log(32.0) - 0.014 * (age - 50.0) - 0.25 * dm - 0.12 * htn - 0.012 * (hr - 68.0)
                 + 0.35 * rng.standard_normal(n))
    rmssd = np.clip(np.exp(log_rmssd), 4.0, 150.0)
    lf_ratio = np.exp(np.log(1.3) + 0.25 * rng.standard_normal(n))  # slow (LF) RR swing relative to RMSSD
    resp = np.clip(15.0 + 0.03 * (age - 50.0) + 0.05 * (bmi - 26.0) + 2.0 * rng.standard_normal(n), 9.0, 24.0)
    ectopic = np.clip(np.exp(np.log(0.002) + 0.03 * (age - 50.0) + 1.0 * rng.standard_normal(n)), 0.0, 0.05)
    return {"latent_hr": hr, "latent_rmssd_ms": rmssd, "latent_lf_ratio": lf_ratio,
            "latent_resp_rate": resp, "latent_ectopic_rate": ectopic}


def _ppg_latents(rng: np.random.Generator, d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Vessel stiffness, pulse shape and per-channel sensor coupling."""
    n = len(d["age"])
    age, sex, bmi, htn, dm = d["age"], d["sex"], d["bmi"], d["hypertension"], d["diabetes"]
    # Pulse wave velocity ~6 m/s at 20 to ~10-11 m/s at 70, plus hypertension/diabetes and a personal offset.
    pwv = np.clip(6.0 + 0.09 * (age - 20.0) + 1.2 * htn + 0.7 * dm + 0.04 * (bmi - 26.0)
                  + 1.2 * rng.standard_normal(n), 4.0, 18.0)
    height = np.clip(1.77 - 0.13 * sex + 0.07 * rng.standard_normal(n), 1.45, 2.05)
    delay = height / pwv  # reflected-wave delay: stiffness index SI = height / delay
    ri = np.clip(0.42 + 0.035 * (pwv - 6.0) + 0.07 * rng.standard_normal(n), 0.15, 0.95)
    notch = np.clip(0.22 * np.exp(-0.22 * (pwv - 6.0)) * np.exp(0.3 * rng.standard_normal(n)), 0.0, 0.5)
    sys_time = np.clip(0.13 + 0.0006 * (age - 50.0) + 0.015 * rng.standard_normal(n), 0.08, 0.22)
    sys_width = np.clip(0.050 + 0.008 * rng.standard_normal(n), 0.030, 0.080)
    refl_width = np.clip(0.085 + 0.015 * rng.standard_normal(n), 0.045, 0.14)
    runoff = np.clip(0.30 + 0.08 * rng.standard_normal(n), 0.1, 0.6)
    amp = np.exp(np.log(20.0) - 0.035 * (bmi - 26.0) - 0.004 * (age - 50.0) + 0.3 * rng.standard_normal(n))
    out = {"latent_pwv": pwv, "latent_height_m": height, "latent_reflection_delay_s": delay,
           "latent_stiffness_index": height / delay, "latent_reflection_index": ri,
           "latent_notch_depth": notch, "latent_systolic_time_s": sys_time,
           "latent_systolic_width_s": sys_width, "latent_reflected_width_s": refl_width,
           "latent_runoff": runoff, "latent_pulse_amplitude": amp}
    for c in range(PPG_CHANNELS):
        out[f"latent_ch{c}_gain"] = np.exp(0.3 * rng.standard_normal(n))
        out[f"latent_ch{c}_offset"] = 1000.0 + 250.0 * rng.standard_normal(n)
        out[f"latent_ch{c}_noise"] = np.exp(np.log(0.25) + 0.4 * rng.standard_normal(n))
    return out


def _ecg_latents(rng: np.random.Generator, d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Intervals, axis, amplitudes and AF parameters (lead-I-like single lead)."""
    n = len(d["age"])
    age, sex, bmi, htn = d["age"], d["sex"], d["bmi"], d["hypertension"]
    male = 1.0 - sex
    pr = np.clip(158.0 + 0.45 * (age - 50.0) + 0.8 * (bmi - 26.0) + 16.0 * rng.standard_normal(n), 110, 260)
    p_dur = np.clip(100.0 + 0.3 * (age - 50.0) + 0.6 * (bmi - 26.0) + 9.0 * rng.standard_normal(n), 70, 150)
    qrs = np.clip(88.0 + 8.0 * male + 0.08 * (age - 50.0) + 0.2 * (bmi - 26.0) + 7.0 * rng.standard_normal(n),
                  65, 140)
    qtc = np.clip(405.0 + 15.0 * sex + 0.25 * (age - 50.0) + 4.0 * htn + 14.0 * rng.standard_normal(n),
                  350, 500)
    axis = np.clip(50.0 - 0.35 * (age - 50.0) - 1.5 * (bmi - 26.0) + 18.0 * rng.standard_normal(n), -40, 100)
    r_amp = np.exp(np.log(1.3) + 0.18 * male - 0.025 * (bmi - 26.0) - 0.003 * (age - 50.0)
                   + 0.25 * rng.standard_normal(n))
    return {
        "latent_pr_ms": pr, "latent_p_duration_ms": p_dur, "latent_qrs_ms": qrs, "latent_qtc_ms": qtc,
        "latent_axis_deg": axis, "latent_r_amp_mv": r_amp,
        "latent_s_ratio": np.clip(0.25 + 0.08 * rng.standard_normal(n), 0.05, 0.6),
        "latent_q_ratio": np.clip(0.08 + 0.03 * rng.standard_normal(n), 0.0, 0.2),
        "latent_p_amp_mv": np.clip(0.12 * np.exp(0.25 * rng.standard_normal(n)), 0.04, 0.3),
        "latent_t_amp_mv": np.clip(0.30 * np.exp(0.25 * rng.standard_normal(n)) * (1 - 0.1 * sex), 0.08, 0.8),
        "latent_t_width_s": np.clip(0.045 + 0.007 * rng.standard_normal(n), 0.03, 0.07),
        "latent_af_irregularity": np.clip(0.22 + 0.05 * rng.standard_normal(n), 0.1, 0.4),
        "latent_af_f_hz": np.clip(6.0 + 1.0 * rng.standard_normal(n), 4.0, 9.0),
        "latent_af_f_amp_mv": np.clip(0.06 * np.exp(0.3 * rng.standard_normal(n)), 0.02, 0.15),
        "latent_noise_mv": np.exp(np.log(0.012) + 0.35 * rng.standard_normal(n)),
    }


def sample_block(seed: int, modality: str, block: int) -> pd.DataFrame:
    """All :data:`BLOCK_PARTICIPANTS` participants of one block (ids numbered globally)."""
    rng = block_rng(seed, modality, block, 0)
    n = BLOCK_PARTICIPANTS
    d = _demographics(rng, n)
    cols: dict[str, np.ndarray] = dict(d)
    cols.update(_common_latents(rng, d))
    if modality == "ppg":
        cols.update(_ppg_latents(rng, d))
        del cols["af"]  # AF is an ECG label; the PPG cohort is in sinus rhythm
    else:
        cols.update(_ecg_latents(rng, d))
        af = d["af"] > 0
        cols["latent_hr"] = np.where(af, np.clip(cols["latent_hr"] + 12.0, 45.0, 130.0), cols["latent_hr"])
    frame = pd.DataFrame(cols)
    frame.insert(0, "participant_id", participant_ids(block * n, n))
    return frame


def sample_cohort(n_participants: int, seed: int, modality: str) -> pd.DataFrame:
    """Demographics, labels and every ``latent_*`` trait of the first ``n_participants`` participants.

    The same ``(seed, modality)`` always gives the same people, so this exports the ground truth of
    a store built with that seed.
    """
    check_args(n_participants, seed, modality)
    n = int(n_participants)
    blocks = [sample_block(seed, modality, b) for b in range(-(-n // BLOCK_PARTICIPANTS))]
    frame = pd.concat(blocks, ignore_index=True).iloc[:n].copy()
    width = id_width(n)
    if width != 6:
        frame["participant_id"] = participant_ids(0, n, width)
    return frame
