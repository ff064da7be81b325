"""``harness pretrain`` end to end through the CLI, and loading its output as an encoder."""

from __future__ import annotations

import numpy as np
import pytest

import harness.plugins as plugins
from harness.cli import main
from harness.encoders import Batch

from .conftest import tiny_store_at


@pytest.fixture
def cli_host(host, monkeypatch):
    monkeypatch.setattr(plugins, "get_host", lambda **kw: host)
    monkeypatch.setattr(plugins, "_HOST", host)
    return host


def test_pretrain_command_then_resume_then_load(tmp_path, cli_host, capsys):
    store = tiny_store_at(tmp_path / "s.zarr", participants=20)
    out = tmp_path / "run"
    args = ["pretrain", "--encoder", "tiny-ppg", "--dataset", str(store), "--steps", "3", "--batch-size", "8",
            "--checkpoint-every", "2", "--out", str(out), "--quiet", "--export", str(tmp_path / "w.safetensors")]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "pretrained tiny-ppg for 3 steps" in text and "chunks" in text
    assert main(args) == 2  # the folder holds a checkpoint: needs --resume
    assert "--resume" in capsys.readouterr().err
    assert main([*args[:6], "4", *args[7:], "--resume"]) == 0  # --resume with more --steps continues
    assert "for 4 steps" in capsys.readouterr().out
    assert main([*args, "--resume", "--seed", "9"]) == 2  # another seed is another run: refused
    assert "different settings" in capsys.readouterr().err
    # the checkpoint folder loads as an ahms-ppg encoder (architecture from the checkpoint)
    from harness_ahms.encoders import _make_factory

    enc = _make_factory("ahms-ppg", "ppg")(modality="ppg", checkpoint=str(out))
    x = np.zeros((2, 4, 3840), np.float32)
    assert enc.embed(Batch(x, 64.0, np.array(["a", "b"]), np.full(2, 3840))).shape == (2, 256)
    assert enc.training_datasets == ("tiny",)
    exported = _make_factory("ahms-ppg", "ppg")(modality="ppg", checkpoint=str(tmp_path / "w.safetensors"))
    assert exported.describe()["architecture"] == enc.describe()["architecture"]


def test_bad_arguments_are_one_line_errors(cli_host, capsys):
    assert main(["pretrain", "--encoder", "tiny-ppg", "--dataset", "x", "--batch-size", "1"]) == 2
    assert "batch-size" in capsys.readouterr().err
