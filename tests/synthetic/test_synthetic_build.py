"""Building the synthetic datasets through the real StoreWriter, and the plugin's registration."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from harness.datasets import BuildRequest, DatasetSpec
from harness.errors import UsageError
from harness.registry import Registry
from harness.store import StoreWriter, open_store, validate_store
from harness_datasets.synthetic import (
    DATASETS,
    EVALUATION_SEED,
    PRETRAINING_SEED,
    VALIDATION_SEED,
    harness_register_datasets,
)
from harness_datasets.synthetic.build import build_ecg, build_ppg, iter_blocks
from harness_datasets.synthetic.cohort import sample_cohort

N = 70  # two participant blocks, the second one cut short
EXPECTED = {"ppg": (4, 64.0, "ppg0"), "ecg": (1, 128.0, "ecg")}


def _build(tmp_path, builder, name: str, *, seed: int = 0, participants: int = N, **options):
    path = tmp_path / f"{name}-{seed}.zarr"
    request = BuildRequest(name=name, writer_factory=functools.partial(StoreWriter, path),
                           participants=participants, seed=seed, options=options, progress=False)
    builder(request)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("synthetic")
    return {"ppg": _build(tmp, build_ppg, "synthetic-ppg", segments_per_participant=2),
            "ecg": _build(tmp, build_ecg, "synthetic-ecg", segments_per_participant=2)}


@pytest.mark.parametrize("modality", ["ppg", "ecg"])
def test_store_shape_rate_channels_and_labels(built, modality):
    path = built[modality]
    assert validate_store(path) == []
    store = open_store(path)
    channels, fs, first = EXPECTED[modality]
    assert store.modality == modality and store.fs == fs and store.samples == 3840
    assert len(store.channel_names) == channels and store.channel_names[0] == first
    assert store.n_participants == N and store.n_segments == 2 * N
    assert store.attrs["license"] == "CC0-1.0" and store.attrs["source"] == "synthetic"
    assert store.attrs["build"]["segments_per_participant"] == 2 and "generator_version" in store.attrs["build"]
    ids, counts = np.unique(store.participant_ids, return_counts=True)
    assert (counts == 2).all() and ids[0] == "P000000"
    expected_labels = ["age", "sex", "bmi", "hypertension", "diabetes"] + (["af"] if modality == "ecg" else [])
    assert store.labels == expected_labels
    assert not any(label.startswith("latent_") for label in store.labels)
    truth = sample_cohort(N, 0, modality).set_index("participant_id")
    np.testing.assert_allclose(store.participants["age"], truth.loc[store.participants.index, "age"], rtol=1e-6)
    t_start = store.t_start.reshape(N, 2)
    assert (t_start[:, 0] == 0).all() and (t_start[:, 1] > 0).all()
    signal = store.read(0, 4)
    assert signal.dtype == np.float32 and np.isfinite(signal).all()
    if modality == "ecg":
        assert 0.3 < np.percentile(signal, 99.9) < 5.0  # mV
    else:
        assert signal.mean() > 500.0  # sensor units with DC offset


def test_store_opens_in_xarray(built):
    ds = open_store(built["ppg"]).to_xarray()
    assert dict(ds["signal"].sizes) == {"segment": 2 * N, "channel": 4, "time": 3840}
    assert ds["age"].sizes["participant"] == N


def test_same_seed_same_store_other_seed_other_store(tmp_path, built):
    again = _build(tmp_path, build_ecg, "synthetic-ecg", segments_per_participant=2)
    other = _build(tmp_path, build_ecg, "synthetic-ecg", seed=1, segments_per_participant=2)
    a, b, c = open_store(built["ecg"]), open_store(again), open_store(other)
    assert a.revision == b.revision != c.revision
    np.testing.assert_array_equal(a.read(0, a.n_segments), b.read(0, b.n_segments))
    assert not np.allclose(a.read(0, 8), c.read(0, 8))


def test_participant_signals_do_not_depend_on_cohort_size():
    (_, small), = list(iter_blocks(3, 9, "ppg", 2))
    first_large = next(iter_blocks(100, 9, "ppg", 2))[1]
    np.testing.assert_array_equal(small.signal, first_large.signal[:6])


def test_default_build_gives_every_participant_at_least_two_segments(tmp_path):
    path = _build(tmp_path, build_ppg, "synthetic-ppg", participants=5)
    _, counts = np.unique(open_store(path).participant_ids, return_counts=True)
    assert (counts >= 2).all() and counts.sum() == 20


def test_latents_export_matches_sample_cohort(tmp_path):
    csv = tmp_path / "latents.csv"
    _build(tmp_path, build_ecg, "synthetic-ecg", participants=5, latents=str(csv))
    exported = pd.read_csv(csv)
    truth = sample_cohort(5, 0, "ecg")
    assert list(exported.columns) == list(truth.columns)
    np.testing.assert_allclose(exported["latent_qtc_ms"], truth["latent_qtc_ms"])


@pytest.mark.parametrize("options", [{"segments_per_participant": 0}, {"segments_per_participant": "4"},
                                     {"colour": "blue"}])
def test_bad_options_raise_usage_errors(tmp_path, options):
    with pytest.raises(UsageError):
        _build(tmp_path, build_ppg, "synthetic-ppg", participants=3, **options)
    assert not list(tmp_path.glob("*.zarr"))


def test_progress_bar_does_not_break_the_build(tmp_path, capsys):
    path = tmp_path / "p.zarr"
    build_ecg(BuildRequest(name="synthetic-ecg", writer_factory=functools.partial(StoreWriter, path),
                           participants=3, progress=True))
    assert validate_store(path) == []
    assert "participant" in capsys.readouterr().err


def test_plugin_registers_an_evaluation_and_a_validation_cohort_per_modality():
    registry = Registry("datasets")
    with registry.providing("synthetic"):
        harness_register_datasets(registry=registry)
    for modality in ("ppg", "ecg"):
        evaluation = registry.get(f"synthetic-{modality}").load()
        validation = registry.get(f"synthetic-{modality}-validation").load()
        for spec in (evaluation, validation):
            assert isinstance(spec, DatasetSpec) and spec.modality == modality and spec.synthetic
            assert spec.default_participants == 800 and spec.license == "CC0-1.0"
            assert "age" in spec.labels and ("af" in spec.labels) == (modality == "ecg")
        assert (evaluation.default_seed, validation.default_seed) == (EVALUATION_SEED, VALIDATION_SEED)
        assert validation.labels == evaluation.labels and validation.build is evaluation.build
    assert len({EVALUATION_SEED, PRETRAINING_SEED, VALIDATION_SEED}) == 3 and len(DATASETS) == 4


def test_validation_cohort_is_another_draw_of_the_same_generator(tmp_path):
    """Built by name, the validation cohort is seed 2 (recorded), shares no participant's signals with the
    evaluation cohort, and an explicit --seed still wins."""
    from harness.catalog import build_dataset

    evaluation = open_store(build_dataset("synthetic-ecg", participants=6, output=tmp_path / "e", progress=False))
    validation = open_store(build_dataset("synthetic-ecg-validation", participants=6, output=tmp_path / "v",
                                          progress=False))
    assert evaluation.attrs["build"]["seed"] == EVALUATION_SEED
    assert validation.attrs["build"]["seed"] == VALIDATION_SEED
    assert validation.attrs["dataset"] == "synthetic-ecg-validation"
    assert validation.revision != evaluation.revision
    assert not np.allclose(validation.read(0, 1), evaluation.read(0, 1))
    truth = sample_cohort(6, VALIDATION_SEED, "ecg").set_index("participant_id")
    np.testing.assert_allclose(validation.participants["age"], truth.loc[validation.participants.index, "age"],
                               rtol=1e-6)
    reseeded = open_store(build_dataset("synthetic-ecg-validation", participants=6, seed=EVALUATION_SEED,
                                        output=tmp_path / "r", progress=False))
    np.testing.assert_array_equal(reseeded.read(0, 6), evaluation.read(0, 6))


def test_plugin_is_found_through_its_entry_point():
    from harness.plugins import get_host

    datasets = get_host().datasets
    assert "synthetic-ppg" in datasets and "synthetic-ecg" in datasets
