"""Streamed imports: memory does not grow with the number of records (nothing is padded in RAM to the
longest record), the shard layout stays bounded for long records, and ``--jobs N`` writes the same store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.errors import DataError
from harness.importers import import_wfdb
from harness.store import open_store
from tests.realdata.helpers import ecg_like, write_wfdb

ROOT = Path(__file__).resolve().parents[2]
FS = 250.0

_PEAK = """
import json, resource, sys
from harness.cli import main
code = main(sys.argv[2:])
print(json.dumps({"code": code, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}),
      file=open(sys.argv[1], "w"))
"""


def _release(root: Path, short: int, long_minutes: float = 30) -> tuple[Path, Path]:
    src = root / f"src{short}"
    write_wfdb(src, "long", ecg_like(long_minutes * 60, FS, 2, seed=0), FS, names=["I", "II"])
    rows = ["record,participant_id,age", "long,p0,50"]
    for i in range(short):
        write_wfdb(src, f"s{i:02d}", ecg_like(20, FS, 2, seed=i + 1), FS, names=["I", "II"])
        rows.append(f"s{i:02d},p{i + 1},{30 + i}")
    labels = root / f"labels{short}.csv"
    labels.write_text("\n".join(rows) + "\n")
    return src, labels


def _peak_mb(tmp: Path, src: Path, labels: Path, *extra: str) -> float:
    report = tmp / "peak.json"
    args = ["data", "import", "wfdb", str(src), "--labels", str(labels), "--name", "mem",
            "--output", str(tmp / f"out-{src.name}"), *extra]
    done = subprocess.run([sys.executable, "-c", _PEAK, str(report), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={"HARNESS_HOME": str(tmp / "home"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(report.read_text())
    assert result["code"] == 0
    return float(result["peak_mb"])


def test_memory_does_not_grow_with_the_number_of_records(tmp_path):
    """A 30-min 2-lead record is 3.4 MiB as float32; padding 30 more records to it cost ~100 MiB more."""
    few = _peak_mb(tmp_path, *_release(tmp_path, 12))
    many = _peak_mb(tmp_path, *_release(tmp_path, 42))
    padded_cost = 30 * 30 * 60 * FS * 2 * 4 / 2**20
    assert many - few < 0.25 * padded_cost, (few, many, padded_cost)


def test_long_records_get_a_bounded_shard_layout(tmp_path):
    src, labels = _release(tmp_path, 3, long_minutes=60)
    store = open_store(import_wfdb(src, labels, "x", tmp_path / "s", warn=lambda line: None))
    per_segment = 2 * store.samples * 4
    assert store.attrs["shard_segments"] * per_segment <= 16 << 20
    assert store.n_valid.tolist() == [int(60 * 60 * FS)] + [int(20 * FS)] * 3


def test_jobs_give_the_same_store_as_one_job(tmp_path):
    src, labels = _release(tmp_path, 5, long_minutes=2)
    one = open_store(import_wfdb(src, labels, "x", tmp_path / "one", warn=lambda line: None, window_seconds=10))
    two = open_store(import_wfdb(src, labels, "x", tmp_path / "two", warn=lambda line: None, window_seconds=10,
                                 jobs=3))
    assert one.revision == two.revision
    assert one.participant_ids.tolist() == two.participant_ids.tolist()
    np.testing.assert_array_equal(one.read(0, one.n_segments), two.read(0, two.n_segments))


def test_errors_in_worker_processes_keep_problem_and_fix(tmp_path):
    src, labels = _release(tmp_path, 3, long_minutes=1)
    (src / "s01.hea").write_text("s01 2 250 5000\nnot a signal line\n")
    with pytest.raises(DataError) as info:
        import_wfdb(src, labels, "x", tmp_path / "s", jobs=2, warn=lambda line: None)
    assert "cannot read the WFDB header of record s01" in info.value.problem
    assert info.value.fix == "fix or remove the record"
