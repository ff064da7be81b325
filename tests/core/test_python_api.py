"""The Python API gives the numbers the CLI gives: evaluate, load_encoder().embed, the sklearn
transformer and results_frame, plus the README's example run as written."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline

import harness
from harness.embed_cache import EmbeddingCache
from harness.results import load_results
from harness.runner import embed_store
from harness.store import open_store
from tests.conftest import run_cli, write_store

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return write_store(tmp_path_factory.mktemp("api") / "api.zarr", participants=40, segments=2, channels=1,
                       fs=50.0, seconds=20.0)


@pytest.mark.parametrize("name", ["handcrafted", "random-init"])
def test_embed_equals_the_embeddings_a_run_computes(store, name):
    """Same adapter, same encoder: the API's embeddings of a store's segments are the run's."""
    sig = open_store(store)
    loaded = harness.load_encoder(name, modality="ppg")
    expected, _, _, _ = embed_store(loaded.encoder, sig, batch_size=16, cache=EmbeddingCache(enabled=False),
                                    progress=False)
    raw = sig.read(0, sig.n_segments)
    got = loaded.embed(raw, fs=sig.fs)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_embed_takes_recordings_of_any_length_and_rate():
    encoder = harness.load_encoder("random-init", modality="ppg")
    rng = np.random.default_rng(0)
    long, short = rng.standard_normal(100 * 150), rng.standard_normal(100 * 20)
    ragged = encoder.embed([long, short], fs=100)
    assert ragged.shape == (2, encoder.embedding_dim) and ragged.dtype == np.float32
    # each recording embeds the same alone as in a ragged batch (padding never leaks between rows)
    np.testing.assert_allclose(ragged[1], encoder.embed(short[None, :], fs=100)[0], rtol=1e-5, atol=1e-5)
    policy = encoder.adaptations[-1]
    assert policy["source_fs"] == 100.0 and policy["target_fs"] == encoder.encoder.input_spec.fs


@pytest.mark.parametrize(("signals", "fs", "message"), [
    (np.zeros((2, 100)), 0, "fs=0 is not a sampling rate"),
    (np.zeros((2, 100)), float("nan"), "is not a sampling rate"),
    (np.zeros((2, 100)), "fast", "is not a sampling rate"),
    (np.zeros((2, 2, 2, 100)), 64, "are not (n, samples) or (n, channels, samples)"),
    ([np.zeros(100), np.zeros((2, 100))], 64, "different channel counts"),
    ([np.array([1.0, np.nan, 2.0] * 100)], 64, "recording 0 holds NaN or inf"),
    ([np.zeros(0)], 64, "at least one sample"),
])
def test_bad_input_is_one_harness_error(signals, fs, message):
    encoder = harness.load_encoder("handcrafted", modality="ppg")
    with pytest.raises(harness.HarnessError) as info:
        encoder.embed(signals, fs=fs)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_an_encoder_of_several_modalities_needs_one_named():
    with pytest.raises(harness.UsageError, match="modality="):
        harness.load_encoder("handcrafted")
    with pytest.raises(harness.UsageError, match="unknown encoder"):
        harness.load_encoder("handcraftd")


def test_evaluate_writes_what_the_cli_writes_and_results_frame_reads_it(store, tmp_path):
    api_out, cli_out = tmp_path / "api", tmp_path / "cli"
    results = harness.evaluate(["handcrafted", "prior"], ["age", "sex"], dataset=str(store), output=api_out,
                               bootstrap=100)
    assert [(r.encoder.name, r.task.name) for r in results] == [
        ("handcrafted", "age"), ("handcrafted", "sex"), ("prior", "age"), ("prior", "sex")]
    assert all(isinstance(r, harness.Result) and r.path and r.path.is_file() for r in results)
    code, _, err = run_cli("run", "--encoder", "handcrafted,prior", "--task", "age,sex", "--dataset", str(store),
                           "--output", str(cli_out), "--bootstrap", "100", "--quiet")
    assert code == 0, err
    cli = {(r.encoder.name, r.task.name): r for r in load_results(cli_out)}
    for r in results:
        assert r.scores == cli[(r.encoder.name, r.task.name)].scores

    frame = harness.results_frame(api_out)
    main = frame[frame["main"]].set_index(["encoder", "task"])
    assert len(main) == 4
    for r in results:
        row = main.loc[(r.encoder.name, r.task.name)]
        assert row["metric"] == r.metric and row["value"] == r.main_score.value
        assert (row["ci_low"], row["ci_high"]) == (r.main_score.ci_low, r.main_score.ci_high)
        assert row["folds"] == 5 and row["bootstrap"] == 100 and row["seed"] == 0
        assert row["dataset"] == "api" and row["participants"] == 40
    assert set(frame["metric"]) >= {"mae", "auroc"}
    assert len(frame) == sum(len(r.scores) for r in results)


def test_results_frame_refuses_a_missing_folder_and_a_bad_file(tmp_path):
    with pytest.raises(harness.UsageError, match="does not exist"):
        harness.results_frame(tmp_path / "nowhere")
    (tmp_path / "bad.json").write_text('{"not": "a result"}')
    with pytest.raises(harness.DataError, match=r"bad\.json"):
        harness.results_frame(tmp_path)


def test_evaluate_refuses_empty_names():
    with pytest.raises(harness.UsageError, match="encoders must be"):
        harness.evaluate([], ["age"])


def test_transformer_in_a_pipeline_clones_and_predicts(store):
    sig = open_store(store)
    raw = sig.read(0, sig.n_segments)[:, 0]
    ages = sig.participants["age"].reindex(sig.participant_ids).to_numpy()
    model = make_pipeline(harness.EncoderTransformer("handcrafted", fs=sig.fs, modality="ppg"), Ridge(alpha=1.0))
    assert clone(model).get_params()["encodertransformer__fs"] == sig.fs
    predicted = cross_val_predict(model, raw, ages, cv=3)
    assert predicted.shape == ages.shape and np.isfinite(predicted).all()
    fitted = model.fit(raw, ages)
    names = fitted[0].get_feature_names_out()
    assert len(names) == fitted[0].n_features_out_ and names[0] == "handcrafted_0"
    with pytest.raises(Exception, match="call fit"):
        harness.EncoderTransformer("handcrafted", modality="ppg").transform(raw)


def test_the_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    text = README.read_text()
    block = re.search(r"### From Python.*?```python\n(.*?)```", text, re.S)
    assert block, "README lost its Python API example"
    monkeypatch.chdir(tmp_path)
    exec(compile(block.group(1), "README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert re.search(r"handcrafted age mae \d", out) and re.search(r"prior age mae \d", out)
    assert "(4, 256)" in out
    assert os.path.isdir(tmp_path / "results-py")


def test_load_encoder_refuses_a_checkpoint_an_encoder_would_ignore(tmp_path):
    with pytest.raises(harness.UsageError, match="random-init"):
        harness.load_encoder("random-init", modality="ppg", checkpoint=tmp_path / "w.safetensors")


@pytest.mark.parametrize("output,message", [
    (lambda n: np.full((n, 8), np.nan), "returned NaN or inf embeddings"),
    (lambda n: np.zeros((n, 3)), "returned embeddings of shape"),
])
def test_embed_refuses_what_a_run_refuses(output, message):
    """LoadedEncoder.embed checks an encoder's output with the runner's own check (one mechanism)."""
    from harness.errors import PluginError

    loaded = harness.load_encoder("handcrafted", modality="ppg")
    loaded.encoder = type("Broken", (), {"name": "broken", "embedding_dim": 8,
                                         "input_spec": loaded.encoder.input_spec,
                                         "embed": lambda self, batch: output(len(batch.signal))})()
    with pytest.raises(PluginError, match=message):
        loaded.embed(np.random.default_rng(0).standard_normal((3, 640)), fs=64.0)
