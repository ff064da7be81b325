"""Shared fixtures: one generated cohort per modality (session-scoped; generated once)."""

from __future__ import annotations

import pytest
from synthetic_helpers import N_EFFECT, generate


@pytest.fixture(scope="session")
def ppg_cohort():
    return generate(N_EFFECT, "ppg")


@pytest.fixture(scope="session")
def ecg_cohort():
    return generate(N_EFFECT, "ecg")
