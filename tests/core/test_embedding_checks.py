"""Embeddings that are constant over a whole store are refused, computed or cached alike."""

from __future__ import annotations

import numpy as np
import pytest
import zarr

from harness.embed_cache import EmbeddingCache
from harness.embedding_checks import Variation, constant_problem
from harness.encoders import Batch, InputSpec
from harness.errors import PluginError, UsageError
from harness.runner import embed_store
from harness.store import open_store
from tests.conftest import write_store


class FakeEncoder:
    """Embeds the mean of each segment (varies), or zeros when ``dead``."""

    name, embedding_dim, revision = "fake", 3, "fake-v1"
    training_datasets = training_revisions = ()
    input_spec = InputSpec("ppg", 1, 64.0, 10.0)

    def __init__(self, dead: bool = False) -> None:
        self.dead = dead

    def embed(self, batch: Batch) -> np.ndarray:
        if self.dead:
            return np.zeros((len(batch.signal), 3), np.float32)
        m = batch.signal[:, 0].std(axis=-1) + batch.signal[:, 0, :5].mean(axis=-1)
        return np.stack([m, m ** 2, np.ones_like(m)], axis=1).astype(np.float32)

    def describe(self) -> dict:
        return {}


def test_variation_streams_and_stops_at_the_first_difference():
    v = Variation()
    v.update(np.zeros((4, 2)))
    assert not v.varies and v.all_zero
    v.update(np.array([[0.0, 0.0], [0.0, 1e-30]]))
    assert v.varies and not v.all_zero and v.rows == 6
    c = Variation()
    c.update_chunked(np.full((10, 3), 2.0), chunk=3)
    assert not c.varies and not c.all_zero and c.rows == 10


def test_exit_code_says_whose_fault_it_is():
    dead = Variation()
    dead.update(np.zeros((5, 2)))
    kw = {"encoder": "e", "dataset": "d", "n_segments": 5, "embeddings": dead, "inputs_vary": True}
    assert isinstance(constant_problem(**kw, dtype="float16"), UsageError)  # the user's option: exit 2
    fault = constant_problem(**kw, dtype="float32")
    assert isinstance(fault, PluginError) and fault.exit_code == 1 and "all-zero" in str(fault)
    assert constant_problem(**{**kw, "inputs_vary": False}, dtype="float32") is None  # honest: identical inputs


def test_constant_embeddings_are_refused_before_they_are_cached(tmp_path):
    store = open_store(write_store(tmp_path / "s.zarr", participants=12, segments=2, seconds=10.0))
    cache = EmbeddingCache(tmp_path / "cache")
    with pytest.raises(PluginError, match="all-zero embeddings"):
        embed_store(FakeEncoder(dead=True), store, batch_size=8, cache=cache, progress=False)
    assert not list((tmp_path / "cache").glob("*.zarr"))


def test_a_cache_hit_is_checked_too(tmp_path):
    store = open_store(write_store(tmp_path / "s.zarr", participants=12, segments=2, seconds=10.0))
    cache = EmbeddingCache(tmp_path / "cache")
    first, _, hit, _ = embed_store(FakeEncoder(), store, batch_size=8, cache=cache, progress=False)
    assert not hit and np.ptp(first, axis=0).max() > 0
    (entry,) = (tmp_path / "cache").glob("*.zarr")
    zarr.open_group(str(entry), mode="r+")["embeddings"][:] = 0.0  # e.g. written by an older harness
    with pytest.raises(PluginError, match="all-zero embeddings"):
        embed_store(FakeEncoder(), store, batch_size=8, cache=cache, progress=False)
    zarr.open_group(str(entry), mode="r+")["embeddings"][0] = np.nan  # damaged: recomputed, not trusted
    again, _, hit, _ = embed_store(FakeEncoder(), store, batch_size=8, cache=cache, progress=False)
    assert not hit and np.array_equal(again, first)


def test_identical_inputs_give_a_warning_not_an_error(tmp_path):
    path = write_store(tmp_path / "s.zarr", participants=12, segments=2, seconds=10.0)
    zarr.open_group(str(path), mode="r+")["signal"][:] = 0.0
    notes: list[str] = []
    emb, _, _, _ = embed_store(FakeEncoder(), open_store(path), batch_size=8, cache=EmbeddingCache(enabled=False),
                               progress=False, warn=notes.append)
    assert np.ptp(emb, axis=0).max() == 0 and len(notes) == 1 and "same input" in notes[0]
