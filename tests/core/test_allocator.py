"""The C allocator settings for torch encoders on the CPU (harness.allocator): applied once, recorded,
switchable off, and never for numpy-only encoders."""

from __future__ import annotations

import json

from harness import allocator
from harness.cli import main


def test_the_settings_apply_on_glibc_and_say_what_they_did():
    done = allocator.keep_freed_memory_for_torch.__wrapped__()
    assert done.startswith("glibc keeps freed memory") or done.startswith("C allocator as it is (no glibc")


def test_they_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("HARNESS_KEEP_FREED_MEMORY", "0")
    assert allocator.keep_freed_memory_for_torch.__wrapped__() == "C allocator as it is (HARNESS_KEEP_FREED_MEMORY=0)"


def test_numpy_encoders_and_gpus_are_left_as_they_are(monkeypatch):
    monkeypatch.setattr(allocator.keep_freed_memory_for_torch, "cache_info",
                        lambda: type("Info", (), {"currsize": 0})())
    assert allocator.allocator_for("cpu", False) == "C allocator as it is (numpy-only encoder)"
    assert allocator.allocator_for("cuda:0", True) == "C allocator as it is (encoder on cuda:0)"


def test_a_result_records_the_allocator(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_HOME", str(tmp_path / "home"))
    assert main(["run", "--encoder", "handcrafted", "--task", "age", "--output", str(tmp_path / "out"),
                 "--bootstrap", "20", "--quiet"]) == 0
    result = json.loads(next((tmp_path / "out").rglob("age.json")).read_text())
    assert result["config"]["allocator"].startswith(("C allocator as it is", "glibc keeps freed memory"))
