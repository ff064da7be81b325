"""Training loop: the loss falls, EMA rule, lr schedule, checkpoints, bitwise-exact resume, export."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from harness.errors import DataError, UsageError
from harness.pretrain import PretrainConfig, Trainer, ema_update, export_encoder, learning_rate, pretrain
from harness.pretrain.checkpoint import load_checkpoint, read_safetensors
from harness.store.reader import open_store

from .conftest import tiny_store_at


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return open_store(tiny_store_at(tmp_path_factory.mktemp("trainer") / "s.zarr", participants=30))


def _config(out, **kw):
    base = dict(encoder="tiny-ppg", datasets=["tiny"], out=str(out), steps=6, batch_size=16,
                checkpoint_every=3, progress=False, lr_decay_steps=[4])
    return PretrainConfig(**{**base, **kw})


def test_ema_update_rule():
    torch.manual_seed(0)
    online, teacher = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)), nn.Sequential(nn.Linear(3, 2),
                                                                                        nn.BatchNorm1d(2))
    online[1].running_mean.fill_(0.5)
    before = [p.detach().clone() for p in teacher.parameters()]
    ema_update(teacher, online, 0.99)
    for t0, t, s in zip(before, teacher.parameters(), online.parameters()):
        assert torch.allclose(t, 0.99 * t0 + 0.01 * s, atol=1e-7)
        assert not t.requires_grad or t.grad is None
    assert torch.equal(teacher[1].running_mean, online[1].running_mean)


def test_step_decay():
    assert learning_rate(0, 1e-3, [10, 20], 0.5) == 1e-3
    assert learning_rate(10, 1e-3, [10, 20], 0.5) == 5e-4
    assert learning_rate(25, 1e-3, [10, 20], 0.5) == 2.5e-4


def test_loss_decreases(tmp_path, host, store):
    summary = pretrain(_config(tmp_path, steps=30, checkpoint_every=30, lr_decay_steps=[]), stores=[store],
                       host=host)
    losses = summary["losses"]
    assert len(losses) == 30 and np.isfinite(losses).all()
    assert np.mean(losses[-5:]) < np.mean(losses[:5]) - 0.1


def test_checkpoint_contents_and_export(tmp_path, host, store):
    summary = pretrain(_config(tmp_path), stores=[store], host=host)
    ckpt = load_checkpoint(summary["checkpoint"])
    assert ckpt.step == 6
    meta = ckpt.meta
    for key in ("architecture", "recipe", "augmentations", "pair_policy", "data", "seed", "batch_size",
                "git_commit", "versions", "wall_time_s", "steps"):
        assert key in meta, key
    assert meta["data"][0]["revision"] == store.revision
    assert meta["recipe"]["losses"]["infonce"]["temperature"] == 0.04
    assert meta["metrics"]["effective_rank"]["value"] >= 1.0
    assert "participant_retrieval" in meta["metrics"]["effective_rank"]  # None here: one held-out participant
    assert meta["loader"]["mean_participants_per_batch"] > 1
    assert any(k.startswith("teacher.") for k in ckpt.model) and ckpt.optimizer
    # the exported encoder: float16, encoder tensors only, sidecar with provenance
    weights = read_safetensors(summary["encoder"])
    assert all(v.dtype == torch.float16 for v in weights.values() if v.is_floating_point())
    assert not any(k.startswith(("head", "teacher", "online")) for k in weights)
    assert set(weights) == set(ckpt.part("online.encoder"))
    sidecar = json.loads((tmp_path / "encoder.json").read_text())
    assert sidecar["training_datasets"] == [store.name] and sidecar["step"] == 6
    teacher_path = export_encoder(summary["checkpoint"], tmp_path / "teacher.safetensors", which="teacher")
    assert set(read_safetensors(teacher_path)) == set(weights)


def test_resume_is_bitwise_identical(tmp_path, host, store):
    full = pretrain(_config(tmp_path / "full", checkpoint_every=2), stores=[store], host=host)
    part = tmp_path / "part"
    pretrain(_config(part, checkpoint_every=2), stores=[store], host=host, stop_after=3)
    assert load_checkpoint(part / "checkpoint").step == 2  # killed after step 3, last checkpoint at 2
    resumed = pretrain(_config(part, checkpoint_every=2), stores=[store], host=host, resume=True)
    assert resumed["step"] == 6
    a, b = load_checkpoint(full["checkpoint"]), load_checkpoint(resumed["checkpoint"])
    assert set(a.model) == set(b.model) and set(a.optimizer) == set(b.optimizer)
    for key in a.model:
        assert torch.equal(a.model[key], b.model[key]), key
    for key in a.optimizer:
        assert torch.equal(a.optimizer[key], b.optimizer[key]), key


@pytest.mark.slow
def test_loader_workers_train_the_same_weights(tmp_path, host, store):
    """Spawned loader workers lend their shared round buffers; the trainer gathers and releases them,
    and the weights are the in-process run's, bit for bit."""
    inproc = pretrain(_config(tmp_path / "inproc"), stores=[store], host=host)
    spawned = pretrain(_config(tmp_path / "workers", workers=2), stores=[store], host=host)
    a, b = load_checkpoint(inproc["checkpoint"]), load_checkpoint(spawned["checkpoint"])
    for key in a.model:
        assert torch.equal(a.model[key], b.model[key]), key


def test_existing_checkpoint_needs_resume_and_same_settings(tmp_path, host, store):
    pretrain(_config(tmp_path, steps=3), stores=[store], host=host)
    with pytest.raises(UsageError, match="--resume"):
        Trainer(_config(tmp_path, steps=3), stores=[store], host=host).run()
    with pytest.raises(DataError, match="different settings"):
        Trainer(_config(tmp_path, steps=3, seed=5), stores=[store], host=host, resume=True).run()


def test_encoder_without_recipe_is_refused(tmp_path, host, store):
    with pytest.raises(UsageError, match="no pretraining recipe"):
        Trainer(_config(tmp_path, encoder="random-init"), stores=[store], host=host)


def test_no_koleo_and_segment_policy_are_recorded(tmp_path, host, store):
    summary = pretrain(_config(tmp_path, steps=2, drop_losses=["koleo"], pair_policy="segment"), stores=[store],
                       host=host)
    meta = load_checkpoint(summary["checkpoint"]).meta
    assert list(meta["recipe"]["losses"]) == ["infonce"] and meta["pair_policy"] == "segment"
