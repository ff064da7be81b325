"""``harness weights import``: checked, pickle-safe conversion of an official checkpoint into safetensors,
and ``harness run --encoder papagei-s --checkpoint`` scoring the result on a small synthetic store."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch
from harness_zoo.models import build_model

from tests.conftest import run_cli, write_store


def _official_like(tmp_path: Path, name: str = "papagei-s") -> Path:
    """A checkpoint laid out as the authors save theirs (DDP ``module.`` prefix), random weights."""
    torch.manual_seed(3)
    path = tmp_path / f"{name}.pt"
    torch.save({f"module.{k}": v for k, v in build_model(name).state_dict().items()}, path)
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_error_line(err: str, *needles: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], lines[0]


class Evil:
    """Unpickling this would run ``touch MARKER``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return os.system, (f"touch {self.marker}",)


def test_a_malicious_pickle_is_refused_without_running(tmp_path):
    marker = tmp_path / "PWNED"
    evil = tmp_path / "papagei_s.pt"
    torch.save({"first_block_conv.conv.weight": Evil(marker)}, evil)
    out = tmp_path / "out.safetensors"
    code, _, err = run_cli("weights", "import", str(evil), "--encoder", "papagei-s", "--out", str(out),
                           "--allow-unverified")
    assert code == 2 and not marker.exists() and not out.exists()
    _one_error_line(err, "is not a plain tensor checkpoint", "GLOBAL posix.system", "nothing was run")
    assert "weights_only` set to `False" not in err  # never relay torch's advice to turn the guard off


def test_import_then_run_scores_the_imported_weights(tmp_path):
    source = _official_like(tmp_path)
    out = tmp_path / "papagei_s.safetensors"
    code, stdout, err = run_cli("weights", "import", str(source), "--encoder", "papagei-s", "--out", str(out),
                                "--sha256", _sha(source))
    assert code == 0, err
    assert f"harness run --encoder papagei-s --checkpoint {out}" in stdout
    from safetensors import safe_open

    with safe_open(str(out), framework="pt") as handle:
        meta = handle.metadata()
        assert sorted(handle.keys()) == sorted(build_model("papagei-s").state_dict())
    assert meta["encoder"] == "papagei-s" and meta["verified"] == "--sha256" and meta["source_sha256"] == _sha(source)

    store = write_store(tmp_path / "ppg.zarr", participants=16, segments=2, channels=1, fs=125.0, seconds=10.0)
    results = tmp_path / "results"
    code, _, err = run_cli("run", "--encoder", "papagei-s", "--checkpoint", str(out), "--dataset", str(store),
                           "--task", "age", "--folds", "3", "--bootstrap", "20", "--output", str(results),
                           "--quiet", "--no-cache")
    assert code == 0, err
    [result_file] = list(results.rglob("*.json"))
    result = json.loads(result_file.read_text())
    assert result["encoder"]["name"] == "papagei-s"
    weights = result["encoder"]["config"]["weights"]
    assert weights["kind"] == "imported" and weights["source_sha256"] == _sha(source)


def test_unverifiable_file_needs_consent_and_a_mismatch_is_refused(tmp_path):
    source = _official_like(tmp_path)
    out = tmp_path / "kept.safetensors"
    out.write_bytes(b"earlier import")
    code, _, err = run_cli("weights", "import", str(source), "--encoder", "papagei-s", "--out", str(out))
    assert code == 2
    _one_error_line(err, "publishes no sha256", "--sha256 HEX", "--allow-unverified")
    code, _, err = run_cli("weights", "import", str(source), "--encoder", "papagei-s", "--out", str(out),
                           "--sha256", "0" * 64)
    assert code == 2
    _one_error_line(err, f"has sha256 {_sha(source)}, not the expected {'0' * 64}", "zenodo.org/records/13983110")
    assert out.read_bytes() == b"earlier import"  # nothing already written is lost


def test_wrong_architecture_names_the_tensors(tmp_path):
    source = _official_like(tmp_path, "papagei-s")
    code, _, err = run_cli("weights", "import", str(source), "--encoder", "papagei-p", "--allow-unverified")
    assert code == 2 and not source.with_suffix(".safetensors").exists()
    _one_error_line(err, "does not match the papagei-p architecture", "28 unexpected (expert_layers_1.0.0.bias")


def test_pulse_ppg_training_container_is_unwrapped(tmp_path):
    torch.manual_seed(4)
    state = build_model("pulse-ppg").state_dict()
    source = tmp_path / "checkpoint_best.pkl"
    torch.save({"net": state, "epoch": 7, "test_loss": 0.5}, source)
    code, _, err = run_cli("weights", "import", str(source), "--encoder", "pulse-ppg", "--allow-unverified")
    assert code == 0, err
    from harness import read_safetensors

    back = read_safetensors(source.with_suffix(".safetensors"))
    assert sorted(back) == sorted(state) and all(torch.equal(back[k], state[k]) for k in state)


@pytest.mark.parametrize("case", ["pickle", "other-encoder", "missing"])
def test_run_refuses_what_was_not_imported_for_it(tmp_path, case):
    source = _official_like(tmp_path)
    if case == "pickle":
        checkpoint, needle = source, "is not a safetensors file"
    elif case == "other-encoder":
        checkpoint = tmp_path / "s.safetensors"
        assert run_cli("weights", "import", str(source), "--encoder", "papagei-s", "--out", str(checkpoint),
                       "--allow-unverified")[0] == 0
        needle = "holds weights imported for encoder 'papagei-s', not 'papagei-p'"
    else:
        checkpoint, needle = tmp_path / "nowhere.safetensors", "no weights file at"
    encoder = "papagei-p" if case == "other-encoder" else "papagei-s"
    store = write_store(tmp_path / "ppg.zarr", participants=8, segments=1, channels=1, fs=125.0, seconds=10.0)
    code, _, err = run_cli("run", "--encoder", encoder, "--checkpoint", str(checkpoint), "--dataset", str(store),
                           "--task", "age", "--folds", "2", "--bootstrap", "10", "--output", str(tmp_path / "r"),
                           "--quiet")
    assert code == 2
    _one_error_line(err, needle)
    assert not list(tmp_path.glob("r/**/*.json"))


def test_bad_sha256_argument_and_unknown_encoder(tmp_path):
    source = _official_like(tmp_path)
    code, _, err = run_cli("weights", "import", str(source), "--encoder", "papagei-s", "--sha256", "abc")
    assert code == 2
    _one_error_line(err, "--sha256 'abc' is not a sha256")
    code, _, err = run_cli("weights", "import", str(source), "--encoder", "papagei")
    assert code == 2
    _one_error_line(err, "unknown encoder 'papagei'", "did you mean")
    code, _, err = run_cli("weights", "import", str(source), "--encoder", "handcrafted", "--allow-unverified")
    assert code == 2
    _one_error_line(err, "declares no importer for published weights")
