"""CLI start-up: `harness list encoders` as a whole process, against a bare interpreter and `import numpy`
measured in the same run (the floor a Python CLI that reads numpy-typed specs cannot go below)."""

from __future__ import annotations

import subprocess
import sys

from benchmarks.conftest import best_time

LIST = [sys.executable, "-m", "harness", "list", "encoders"]


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def test_cli_startup(benchmark, bench_home, ledger):
    bare = best_time(lambda: _run([sys.executable, "-c", "pass"]), rounds=5)
    numpy_floor = best_time(lambda: _run([sys.executable, "-c", "import numpy"]), rounds=5)
    listed = best_time(lambda: _run(LIST), rounds=5)
    benchmark.pedantic(_run, args=(LIST,), rounds=3, iterations=1)
    ledger.figure("cli_startup_s", {"bare_python": round(bare, 3), "import_numpy": round(numpy_floor, 3),
                                    "harness_list_encoders": round(listed, 3)})
    # Listing loads plugins and their specs but no torch, pandas or model code: within 4x `import numpy`.
    ledger.ratio("cli_list_encoders_vs_import_numpy", listed / numpy_floor, "< 4", listed / numpy_floor < 4)
