"""The prior and demographics baselines, and the plugin's registration."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegressionCV, RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from harness.encoders import Batch, Encoder
from harness.errors import UsageError
from harness.registry import Registry
from harness_baselines.demographics import make_demographics
from harness_baselines.prior import make_prior


def batch(n: int, labels: dict | None = None, samples: int = 1) -> Batch:
    rng = np.random.default_rng(0)
    return Batch(signal=rng.standard_normal((n, 1, samples)).astype(np.float32), fs=1.0,
                 participant_id=np.arange(n).astype(str), n_valid=np.full(n, samples), labels=labels or {})


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_prior_is_constant_and_probes_fall_back_to_the_prior():
    enc = make_prior(modality="ppg")
    assert isinstance(enc, Encoder)
    x = enc.embed(batch(40))
    assert x.shape == (40, 1) and x.dtype == np.float32 and np.all(x == x[0])
    y = np.random.default_rng(1).normal(50, 10, 40)
    ridge = make_pipeline(StandardScaler(), RidgeCV()).fit(x, y)
    np.testing.assert_allclose(ridge.predict(x), y.mean(), rtol=1e-6)
    labels = (np.arange(40) % 4 == 0).astype(int)
    logit = make_pipeline(StandardScaler(), LogisticRegressionCV(cv=3)).fit(x, labels)
    np.testing.assert_allclose(logit.predict_proba(x)[:, 1], labels.mean(), atol=0.02)


def test_prior_spec_revision_and_checkpoint():
    a, b, c = make_prior(modality="ppg"), make_prior(modality="ppg"), make_prior(modality="ecg")
    assert a.revision == b.revision != c.revision
    assert a.input_spec.samples == 1 and a.input_spec.normalise == "none"
    json.dumps(a.describe())
    with pytest.raises(UsageError, match="checkpoint"):
        make_prior(modality="ppg", checkpoint="x")


def test_demographics_returns_labels_and_flags_missing():
    enc = make_demographics(modality="ecg")
    labels = {"age": np.array([30.0, np.nan, 70.0]), "sex": np.array([1.0, 0.0, np.nan]),
              "bmi": np.array([22.0, 31.0, np.nan]), "hypertension": np.array([0.0, 1.0, 1.0])}
    x = enc.embed(batch(3, labels))
    assert x.dtype == np.float32 and x.shape == (3, enc.embedding_dim) and np.isfinite(x).all()
    names = enc.feature_names()
    assert names == ("age", "sex", "bmi", "age_missing", "sex_missing", "bmi_missing")
    np.testing.assert_array_equal(x[:, 0], [30.0, 50.0, 70.0])
    np.testing.assert_array_equal(x[:, 1], [1.0, 0.0, 0.5])
    np.testing.assert_array_equal(x[:, 3:], [[0, 0, 0], [1, 0, 0], [0, 1, 1]])


def test_demographics_derives_bmi_from_height_and_weight():
    enc = make_demographics(modality="ecg")
    labels = {"age": np.array([40.0, 60.0]), "sex": np.array([0.0, 1.0]),
              "height": np.array([180.0, np.nan]), "weight": np.array([81.0, 70.0])}
    x = enc.embed(batch(2, labels))
    assert x[0, 2] == pytest.approx(25.0) and x[1, 2] == pytest.approx(26.0) and x[1, 5] == 1.0


def test_demographics_refuses_missing_labels():
    enc = make_demographics(modality="ppg")
    with pytest.raises(UsageError, match="age, sex or bmi"):
        enc.embed(batch(3))
    with pytest.raises(UsageError, match="age, sex or bmi"):
        enc.embed(batch(3, {"af": np.zeros(3)}))
    with pytest.raises(UsageError, match="values for 3 segments"):
        enc.embed(batch(3, {"age": np.zeros(2)}))


def test_demographics_revision():
    assert make_demographics(modality="ppg").revision == make_demographics(modality="ppg").revision
    assert make_demographics(modality="ppg").revision != make_demographics(modality="ecg").revision


def test_registration_metadata():
    import harness_baselines

    registry = Registry("encoders")
    harness_baselines.harness_register_encoders(registry=registry)
    assert registry.names() == ["demographics", "handcrafted", "prior"]
    for entry in registry.entries():
        assert entry.spec.kind == "baseline" and entry.spec.training_datasets == ()
        encoder = entry.load()(modality="ppg", device="cpu", checkpoint=None)
        assert encoder.name == entry.name and isinstance(encoder, Encoder)
    assert set(registry.get("demographics").spec.input_labels) == {
        "age", "sex", "bmi", "height", "weight"}
    assert registry.get("handcrafted").spec.modalities == ("ppg", "ecg")
