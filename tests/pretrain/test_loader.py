"""The chunk-aware pair loader: few chunks per batch, same-participant partners, determinism, workers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.errors import UsageError
from harness.pretrain.components import build_augmentations, build_pair_policy
from harness.pretrain.config import PretrainConfig, resolve_recipe
from harness.pretrain.loader import PairPlanner, PairStream, build_table, make_loader
from harness.pretrain.views import ViewMaker
from harness.store.reader import open_store

from .conftest import tiny_store_at


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    """60 participants x 6 segments in chunks of 8: 45 chunks."""
    return open_store(tiny_store_at(tmp_path_factory.mktemp("loader") / "big.zarr", participants=60,
                                    per_participant=6))


def _recipe(host, policy="participant"):
    cfg = PretrainConfig(encoder="tiny-ppg", datasets=["x"], out="unused", pair_policy=policy)
    return resolve_recipe("tiny-ppg", host.encoders.get("tiny-ppg").spec, cfg)


def _planner(host, store, policy="participant", **kw):
    table = build_table([store], holdout_fraction=0.1)
    return table, PairPlanner(table, build_pair_policy(_recipe(host, policy), host), **{
        "batch_size": 32, "seed": 3, **kw})


def test_partners_are_other_segments_of_the_same_participant(host, big_store):
    table, planner = _planner(host, big_store)
    for step in range(10):
        plan = planner.plan(step)
        assert len(plan.anchors) == 32
        assert np.array_equal(table.participant[plan.anchors], table.participant[plan.partners])
        assert (plan.anchors != plan.partners).all()
        assert table.train[plan.anchors].all() and table.train[plan.partners].all()


def test_segment_policy_pairs_a_segment_with_itself(host, big_store):
    _, planner = _planner(host, big_store, policy="segment")
    plan = planner.plan(0)
    assert np.array_equal(plan.anchors, plan.partners)


def test_batches_touch_few_chunks_and_many_participants(host, big_store):
    table, planner = _planner(host, big_store)
    starts = table.chunks[:, 1]
    touched, distinct = [], []
    for step in range(20):
        plan = planner.plan(step)
        both = np.concatenate([plan.anchors, plan.partners])
        chunks = np.unique(np.searchsorted(starts, both, side="right") - 1)
        # Anchors come only from the round's buffer; partners are in the same participant's run, so
        # at most one chunk beyond each end of a buffered chunk.
        anchor_chunks = np.unique(np.searchsorted(starts, plan.anchors, side="right") - 1)
        assert set(anchor_chunks) <= set(plan.buffer_chunks.tolist())
        assert len(chunks) <= 3 * len(plan.buffer_chunks)
        touched.append(len(chunks))
        distinct.append(len(np.unique(table.participant[plan.anchors])))
    # 64 segments of 32 anchor + partner rows: far fewer chunks than rows, yet many participants.
    assert np.mean(touched) < 20
    assert np.mean(distinct) >= 12


def test_plan_is_a_pure_function_of_seed_rank_step(host, big_store):
    _, a = _planner(host, big_store)
    _, b = _planner(host, big_store)
    for step in (7, 0, 3, 7):  # any order, any repetition
        pa, pb = a.plan(step), b.plan(step)
        assert np.array_equal(pa.anchors, pb.anchors) and np.array_equal(pa.partners, pb.partners)
    _, other_seed = _planner(host, big_store, seed=4)
    assert not np.array_equal(a.plan(0).anchors, other_seed.plan(0).anchors)


def test_ranks_read_disjoint_chunks(host, big_store):
    _, r0 = _planner(host, big_store, rank=0, world_size=2)
    _, r1 = _planner(host, big_store, rank=1, world_size=2)
    for round_ in range(r0.rounds_per_epoch):
        assert not set(r0.round_chunks(round_)) & set(r1.round_chunks(round_))


def test_holdout_participants_never_train(host, big_store):
    table, planner = _planner(host, big_store)
    held = np.unique(table.participant[~table.train])
    assert 0 < len(held) < 30
    seen = np.concatenate([planner.plan(s).anchors for s in range(30)])
    assert table.train[seen].all()


def test_stream_batches_are_fitted_deterministic_and_views_augmented(host, big_store):
    table = build_table([big_store])
    recipe = _recipe(host)
    policy = build_pair_policy(recipe, host)
    kw = dict(batch_size=16, seed=1, start_step=0, stop_step=3)
    batches = list(make_loader(PairStream(table, recipe.input_spec, policy, **kw)))
    again = list(make_loader(PairStream(table, recipe.input_spec, policy, **kw)))
    views = ViewMaker(recipe.input_spec, policy, build_augmentations(recipe, host), seed=1)
    assert [b["step"] for b in batches] == [0, 1, 2]
    for b, c in zip(batches, again):
        assert b["x1"].shape == (16, 4, recipe.input_spec.samples) and b["x1"].dtype == torch.float32
        assert torch.equal(b["x1"], c["x1"]) and torch.equal(b["x2"], c["x2"])
        assert b["participants"] >= 2 and b["chunks"] >= 1
        v1, w1 = views(b)[0], views(c)[0]
        assert torch.equal(v1, w1) and not torch.equal(v1, b["x1"])  # augmented, seeded by the step


def test_mixed_modalities_are_refused(tmp_path, big_store):
    ecg = open_store(tiny_store_at(tmp_path / "ecg.zarr", modality="ecg", channels=1, participants=3))
    with pytest.raises(UsageError, match="modalities"):
        build_table([big_store, ecg])


def test_several_stores_are_indexed_globally(tmp_path, host, big_store):
    second = open_store(tiny_store_at(tmp_path / "b.zarr", participants=5, name="other", seed=9))
    table = build_table([big_store, second], holdout_fraction=0.0)
    assert table.n_segments == big_store.n_segments + second.n_segments
    assert len(np.unique(table.participant)) == 65
    _, planner = (table, PairPlanner(table, build_pair_policy(_recipe(host), host), batch_size=16, seed=0))
    stores_seen = set()
    for step in range(40):
        plan = planner.plan(step)
        assert np.array_equal(table.participant[plan.anchors], table.participant[plan.partners])
        stores_seen |= set(table.source_of(plan.anchors).tolist())
    assert stores_seen == {0, 1}


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_share_the_decoding_evenly_and_each_round_once(host, big_store, workers):
    """Each round goes to one worker; the epoch's last round, which takes the chunks left over, falls on
    each worker in turn (dealt as ``r % W`` it fell on the same worker every epoch whenever the rounds
    per epoch divide by ``W``, and the others waited for it); a worker's prefetch reads its next round."""
    _, planner = _planner(host, big_store, buffer_chunks=7)  # 44 training chunks: 6 rounds, the last of 9
    per_epoch = planner.rounds_per_epoch
    assert per_epoch % workers == 0 and len(planner.round_chunks(per_epoch - 1)) > planner.buffer_chunks
    epochs = 2 * workers
    last_by = [planner.worker_of(e * per_epoch + per_epoch - 1, workers) for e in range(epochs)]
    assert sorted(set(last_by)) == list(range(workers)) and len(set(last_by[:workers])) == workers
    chunks = [0] * workers
    for r in range(epochs * per_epoch):
        chunks[planner.worker_of(r, workers)] += len(planner.round_chunks(r))
        # round buffers are sized once, for the largest round
        rows = sum(int(stop - start) for _, start, stop in planner.table.chunks[planner.round_chunks(r)])
        assert rows <= planner.max_round_rows()
    assert max(chunks) == min(chunks)
    for w in range(workers):
        mine = [r for r in range(epochs * per_epoch) if planner.worker_of(r, workers) == w]
        assert [planner.next_round_of(r, w, workers) for r in mine[:-1]] == mine[1:]


@pytest.mark.slow
def test_spawned_workers_give_the_same_batches(host, big_store):
    table = build_table([big_store])
    recipe = _recipe(host)

    def stream():
        return PairStream(table, recipe.input_spec, build_pair_policy(recipe, host),
                          batch_size=8, seed=2, start_step=5, stop_step=9)

    inproc = list(make_loader(stream()))
    workers = list(make_loader(stream(), workers=2, context="spawn"))
    assert [b["step"] for b in workers] == [5, 6, 7, 8]
    for a, b in zip(inproc, workers):
        assert torch.equal(a["x1"], b["x1"]) and torch.equal(a["x2"], b["x2"])


@pytest.mark.slow
def test_workers_lend_shared_round_buffers_and_reuse_them_once_released(host, big_store):
    """Workers hand over a handle to their round buffer, not a copy: the views are the in-process ones,
    a buffer is refilled only after the main process released every batch that borrowed it, and a
    stream whose batches are released on time stops allocating buffers."""
    from harness.pretrain.loader import batch_views

    table = build_table([big_store])
    recipe = _recipe(host)
    policy = build_pair_policy(recipe, host)

    def stream(**kw):  # 4-chunk buffers: many rounds, some partners outside the buffer
        return PairStream(table, recipe.input_spec, policy, batch_size=8, seed=2, start_step=0, stop_step=60,
                          buffer_chunks=4, **kw)

    plain = list(make_loader(stream()))
    kept = list(make_loader(stream(gather="consumer"), workers=2, context="spawn"))  # never released
    assert all(b["rows"].is_shared() and "returned" not in b and callable(b["release"]) for b in kept)
    released = []
    for batch in make_loader(stream(gather="consumer"), workers=2, context="spawn"):
        released.append(batch_views(batch, torch.device("cpu")))  # released at once, as the trainer does
    assert len(kept) == len(released) == len(plain) == 60
    for a, b, c in zip(plain, kept, released):
        x1, x2 = batch_views(b, torch.device("cpu"))  # rows held all along: never overwritten
        assert torch.equal(x1, a["x1"]) and torch.equal(x2, a["x2"]), a["step"]
        assert torch.equal(c[0], a["x1"]) and torch.equal(c[1], a["x2"]), a["step"]
        assert torch.equal(b["valid1"], a["valid1"]) and torch.equal(b["valid2"], a["valid2"])
    kept_buffers = {b["rows"].untyped_storage().data_ptr() for b in kept}
    assert len(kept_buffers) == len({b["step"] // stream().planner().steps_per_round for b in kept})


def test_a_buffer_pool_never_hands_out_rows_still_lent(tmp_path):
    from harness.pretrain.round_buffers import BufferPool, return_once

    pool = BufferPool((2, 3), keep=3)
    a = pool.take(4)
    a.lend()
    pool.put_back(a)  # no longer served, but one batch still borrows it
    b = pool.take(4)
    assert b is not a and pool.allocated == 2
    release = return_once(a.returned)
    release()
    release()  # a second call returns nothing more
    assert a.lent == 0
    pool.put_back(b)
    grown = pool.take(6)  # a free buffer grows (new memory, new serial) instead of adding a buffer
    assert grown in (a, b) and grown.capacity == 6 and len(pool.buffers) == 2
    assert pool.forgotten() == [1 if grown is a else 2] and grown.serial == 3 and pool.forgotten() == []
    for _ in range(5):  # a consumer that keeps every batch: the pool forgets lent buffers beyond `keep`
        c = pool.take(4)
        c.lend()
        pool.put_back(c)
    # the first take reuses the free buffer, the next four make new ones: three are forgotten (and said so)
    assert len(pool.buffers) == 3 and len(pool.forgotten()) == 3
    sized = BufferPool((2, 3), rows=8)  # sized for the largest round: smaller rounds fit, nothing grows
    first = sized.take(4)
    sized.put_back(first)
    assert first.capacity == 8 and sized.take(8) is first and sized.allocated == 1


def test_fork_is_refused(host, big_store):
    table = build_table([big_store])
    recipe = _recipe(host)
    stream = PairStream(table, recipe.input_spec, build_pair_policy(recipe, host), batch_size=8,
                        seed=0, start_step=0, stop_step=1)
    with pytest.raises(UsageError, match="fork"):
        make_loader(stream, workers=1, context="fork")


@pytest.mark.parametrize("policy", ["participant", "segment"])
def test_crops_share_the_window_only_for_the_segment_policy(host, big_store, policy):
    """--crop-seconds: the segment ablation must see one input twice, the participant objective two windows."""
    table = build_table([big_store])
    recipe = _recipe(host, policy)
    length = recipe.input_spec.samples // 4
    pairs = build_pair_policy(recipe, host)
    stream = PairStream(table, recipe.input_spec, pairs, batch_size=16, seed=2, start_step=0, stop_step=2)
    views = ViewMaker(recipe.input_spec, pairs, None, seed=2, crop_samples=length)
    for batch in make_loader(stream):
        x1, x2 = views(batch)
        assert x1.shape[-1] == x2.shape[-1] == length
        same = [torch.equal(a, b) for a, b in zip(x1, x2)]
        if policy == "segment":
            assert all(same)
        else:
            assert not any(same)


@pytest.mark.parametrize("fs", [None, 16.0], ids=["shard-index", "zarr+adapter"])
@pytest.mark.parametrize(("threads", "prefetch"), [(3, False), (1, True), (2, True)])
def test_decode_threads_and_prefetch_give_the_same_batches(host, big_store, threads, prefetch, fs):
    from dataclasses import replace

    from harness.pretrain.loader import SegmentReader, unnormalised

    table = build_table([big_store])
    recipe = _recipe(host)
    spec = recipe.input_spec if fs is None else replace(recipe.input_spec, fs=fs)
    policy = build_pair_policy(recipe, host)
    direct = SegmentReader(table, unnormalised(spec)).direct(0)
    assert (direct is not None) == (fs is None)  # both read paths are exercised

    def stream(**kw):  # 37 steps: several rounds and an epoch boundary
        return PairStream(table, spec, policy, batch_size=8, seed=2, start_step=3, stop_step=40, **kw)

    plain = list(make_loader(stream()))
    fast = list(make_loader(stream(threads=threads, prefetch=prefetch)))
    assert [b["step"] for b in fast] == list(range(3, 40))
    for a, b in zip(plain, fast):
        for key in ("x1", "x2", "valid1", "valid2", "participant"):
            assert torch.equal(a[key], b[key]), key


def test_a_read_error_in_a_prefetched_round_surfaces_for_that_round(host, big_store, monkeypatch):
    from harness.errors import DataError
    from harness.pretrain.loader import BufferCache

    table = build_table([big_store])
    recipe = _recipe(host)
    stream = PairStream(table, recipe.input_spec, build_pair_policy(recipe, host), batch_size=8, seed=2,
                        start_step=0, stop_step=40, threads=2, prefetch=True)
    planner = stream.planner()
    fill = BufferCache._fill
    calls = []

    def failing_fill(self, chunks):
        import threading

        calls.append(threading.current_thread().name)
        if len(calls) == 3:  # the second prefetch: the third round
            raise DataError("shard damaged", "rebuild the store")
        return fill(self, chunks)

    monkeypatch.setattr(BufferCache, "_fill", failing_fill)
    steps = []
    with pytest.raises(DataError, match="shard damaged"):
        for batch in make_loader(stream):
            steps.append(batch["step"])
    assert steps == list(range(2 * planner.steps_per_round))  # two whole rounds, then the error
    assert calls[0] == "MainThread" and all(name.startswith("harness-prefetch") for name in calls[1:])


@pytest.mark.parametrize("fs", [None, 16.0], ids=["shard-index", "zarr+adapter"])
def test_consumer_gather_gives_the_same_views_and_never_refills_lent_rows(host, big_store, fs):
    from dataclasses import replace

    from harness.pretrain.loader import batch_views

    table = build_table([big_store])
    recipe = _recipe(host)
    spec = recipe.input_spec if fs is None else replace(recipe.input_spec, fs=fs)
    policy = build_pair_policy(recipe, host)

    def stream(**kw):  # 4-chunk buffers: some partners fall outside them (read on demand)
        return PairStream(table, spec, policy, batch_size=8, seed=2, start_step=0, stop_step=30, buffer_chunks=4,
                          threads=2, prefetch=True, **kw)

    plain = list(stream())
    kept = list(stream(gather="consumer"))  # held, not released: every round gets rows of its own
    assert all("x1" not in b and b["rows"].ndim == 3 for b in kept)
    assert any(b["extra2"] is not None for b in kept)  # the miss path is exercised
    released = []
    for batch in stream(gather="consumer"):  # released as the trainer does: buffers are recycled
        released.append(batch_views(batch, torch.device("cpu")))
    for a, b, c in zip(plain, kept, released):
        x1, x2 = batch_views(b, torch.device("cpu"))
        assert torch.equal(x1, a["x1"]) and torch.equal(x2, a["x2"])
        assert torch.equal(c[0], a["x1"]) and torch.equal(c[1], a["x2"])
        assert torch.equal(b["valid1"], a["valid1"]) and torch.equal(b["valid2"], a["valid2"])
