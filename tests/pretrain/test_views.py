"""Views made on the device: the same normalisation as the evaluation adapter, and the fast read path
(chunks decoded from the shard index) gives the same views as zarr + the adapter."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from harness.adapter import adapt
from harness.encoders import InputSpec
from harness.pretrain.components import build_pair_policy
from harness.pretrain.config import PretrainConfig, resolve_recipe
from harness.pretrain.loader import PairStream, SegmentReader, build_table, make_loader, unnormalised
from harness.pretrain.views import ViewMaker, normalise
from harness.store import StoreWriter
from harness.store.reader import open_store


@pytest.mark.parametrize("kind", ["zscore", "minmax", "none"])
def test_normalise_equals_the_adapter_for_full_and_short_rows(kind):
    rng = np.random.default_rng(1)
    raw = (1000 + 50 * rng.standard_normal((6, 2, 128))).astype(np.float32)
    n_valid = np.array([128, 100, 128, 1, 64, 128])
    for row, n in enumerate(n_valid):
        raw[row, :, n:] = np.nan  # the store's padding
    raw[2, 1, 5] = np.nan  # a hole inside the valid part: zero, as the adapter makes it
    spec = InputSpec(modality="ppg", channels=2, fs=16.0, window_s=8.0, normalise=kind)
    expected = adapt(raw, n_valid, 16.0, spec).signal
    got = normalise(torch.from_numpy(raw), torch.from_numpy(n_valid), kind).numpy()
    np.testing.assert_allclose(got, expected, atol=2e-6)
    full = normalise(torch.from_numpy(raw[[0, 2, 5]]), None, kind).numpy()
    np.testing.assert_allclose(full, expected[[0, 2, 5]], atol=2e-6)


def _store(path, names, order):
    rng = np.random.default_rng(2)
    with StoreWriter(path, dataset="v", modality="ppg", fs=32.0, channel_names=names, samples=256, units="au",
                     source="test", license="CC0", chunk_segments=8, shard_segments=16) as w:
        for p in range(20):
            segs = rng.standard_normal((4, 4, 256)).astype(np.float32) + p
            w.append(segs[:, order], [f"p{p:02d}"] * 4, n_samples=[256, 200, 256, 256])
        w.set_participants({"participant_id": [f"p{p:02d}" for p in range(20)]})
    return open_store(path)


def test_fast_path_and_adapter_path_make_the_same_views(tmp_path, host):
    """Same signals, stored with channels in order (decoded from the shard index) and reversed (picked back
    by name through zarr and the adapter): identical batches and views."""
    names = ["c0", "c1", "c2", "c3"]
    straight = _store(tmp_path / "a.zarr", names, [0, 1, 2, 3])
    reversed_ = _store(tmp_path / "b.zarr", names[::-1], [3, 2, 1, 0])
    cfg = PretrainConfig(encoder="tiny-ppg", datasets=["x"], out="unused")
    recipe = resolve_recipe("tiny-ppg", host.encoders.get("tiny-ppg").spec, cfg)
    spec = dataclasses.replace(recipe.input_spec, preferred_channels=tuple(names))
    policy = build_pair_policy(recipe, host)
    tables = [build_table([s], holdout_fraction=0.0) for s in (straight, reversed_)]
    readers = [SegmentReader(t, unnormalised(spec)) for t in tables]
    assert readers[0].direct(0) is not None and readers[1].direct(0) is None
    views = ViewMaker(spec, policy, None, seed=0, crop_samples=100)
    batches = [list(make_loader(PairStream(t, spec, policy, batch_size=16, seed=5, start_step=0, stop_step=4)))
               for t in tables]
    for a, b in zip(*batches):
        assert torch.equal(a["valid1"], b["valid1"]) and torch.equal(a["valid2"], b["valid2"])
        assert (a["valid1"] < 256).any()
        inside = torch.arange(256)[None, None, :] < a["valid1"][:, None, None]
        assert torch.equal(a["x1"] * inside, b["x1"] * inside)
        for va, vb in zip(views(a), views(b)):
            assert torch.equal(va, vb)
