"""Tiny stores and a plugin host with the AHMS encoders registered, for fast CPU pretraining tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from harness import EncoderSpec, InputSpec, RecipeSpec
from harness.plugins import PluginHost
from harness.store import StoreWriter
from harness.store.reader import open_store


def write_store(path: Path, *, participants: int = 12, per_participant: int = 4, modality: str = "ppg",
                fs: float = 64.0, seconds: float = 60.0, channels: int = 4, chunk: int = 8,
                seed: int = 0, name: str = "tiny") -> Path:
    """Sines whose frequency and shape are a participant trait, plus noise; grouped by participant."""
    rng = np.random.default_rng(seed)
    samples = int(fs * seconds)
    t = np.arange(samples) / fs
    with StoreWriter(path, dataset=name, modality=modality, fs=fs,
                     channel_names=[f"ch{i}" for i in range(channels)], samples=samples, units="au",
                     source="test", license="CC0", chunk_segments=chunk, shard_segments=chunk * 4) as w:
        ids = []
        for p in range(participants):
            f0 = 0.8 + 1.2 * rng.random()
            harmonic = rng.random()
            sig = np.sin(2 * np.pi * f0 * t) + harmonic * np.sin(4 * np.pi * f0 * t)
            segs = sig[None, None, :] + 0.3 * rng.standard_normal((per_participant, channels, samples))
            pid = f"p{p:03d}"
            w.append(segs.astype(np.float32), [pid] * per_participant,
                     t_start=np.arange(per_participant) * seconds)
            ids.append(pid)
        w.set_participants({"participant_id": ids, "age": rng.uniform(20, 80, len(ids))})
    return path


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory):
    path = tiny_store_at(tmp_path_factory.mktemp("stores") / "tiny.zarr")
    return open_store(path)


TINY_FS = 32.0
TINY_SECONDS = 8.0


def tiny_recipe(pair_policy: str = "participant", koleo: bool = True) -> RecipeSpec:
    """The AHMS recipe on a short input (4 ch, 8 s at 32 Hz) so CPU tests take milliseconds per step."""
    from harness_ahms.encoders import recipe_for

    return dataclasses.replace(
        recipe_for("ppg", pair_policy, koleo), model_configs={"default": "ahms-ppg-small"},
        input_spec=InputSpec(modality="ppg", channels=4, fs=TINY_FS, window_s=TINY_SECONDS, normalise="zscore"))


def make_host() -> PluginHost:
    h = PluginHost(strict=False, warn=lambda line: None).load_entry_points()
    if "ahms-ppg" not in h.encoders:
        from harness_ahms.encoders import register_encoders

        with h.encoders.providing("ahms"):
            register_encoders(h.encoders)
    with h.encoders.providing("tests"):
        h.encoders.add(EncoderSpec(name="tiny-ppg", factory=lambda **kw: None, modalities=("ppg",),
                                   recipe=tiny_recipe()))
    return h


@pytest.fixture(scope="session")
def host():
    return make_host()


@pytest.fixture(autouse=True)
def one_thread():
    """Two cores shared with other jobs: one intra-op thread is both faster and deterministic here."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_store_at(path: Path, **kw) -> Path:
    return write_store(path, fs=TINY_FS, seconds=TINY_SECONDS, **kw)
