"""Smooth effective rank (Roy & Vetterli 2007) and the participant hold-out."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.errors import DataError
from harness.pretrain.rank import effective_rank, holdout_mask


def test_matches_hand_computation():
    # singular values of diag(3, 1) are 3 and 1: p = (0.75, 0.25)
    x = np.array([[3.0, 0.0], [0.0, 1.0]])
    expected = math.exp(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))
    assert effective_rank(x) == pytest.approx(expected, rel=1e-9)


def test_extremes():
    assert effective_rank(np.outer(np.arange(1, 6), np.ones(4))) == pytest.approx(1.0, abs=1e-6)
    assert effective_rank(np.eye(8) * 2.0) == pytest.approx(8.0, rel=1e-6)


def test_centering_removes_a_shared_offset():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 4)) * [1, 1, 1e-9, 1e-9] + 100.0
    assert effective_rank(x, center=True) == pytest.approx(2.0, rel=0.05)


def test_bad_input():
    with pytest.raises(DataError):
        effective_rank(np.zeros((0, 3)))
    with pytest.raises(DataError, match="NaN"):
        effective_rank(np.array([[np.nan, 1.0]]))


def test_holdout_is_stable_and_near_the_fraction():
    ids = np.array([f"p{i}" for i in range(2000)])
    mask = holdout_mask(ids, 0.1)
    assert 0.07 < mask.mean() < 0.13
    assert np.array_equal(mask, holdout_mask(ids[::-1], 0.1)[::-1])  # depends on the id only
    assert holdout_mask(ids[:3], 0.1).sum() == 1  # at least one, never all
    assert not holdout_mask(ids, 0.0).any()
