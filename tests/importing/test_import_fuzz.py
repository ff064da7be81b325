"""A bounded crash hunt on the CSV reader and the labels parser: random files built from the tokens real
exports contain must import or fail with a HarnessError (one line, a fix), never anything else.
Longer: ``IMPORT_FUZZ_CASES=5000 pytest tests/importing/test_import_fuzz.py``."""

from __future__ import annotations

import os

import numpy as np
import pytest

from harness.errors import HarnessError
from harness.importers import import_csv, read_labels

CASES = int(os.environ.get("IMPORT_FUZZ_CASES", "40"))
CELLS = ["0.5", "-1.25", "3", "1e3", "", " ", "nan", "NaN", "inf", "-inf", "abc", "1,5", "1;2", "NA", "null",
         "0x1A", "1.2.3", '"4.5"', "\u00e9", "time", "fs", "ppg", "t", "50", "1495437325.0"]
SEPS = [",", ",", ",", ";", "\t"]
ENDS = ["\n", "\r\n", "\r"]


def _random_csv(rng: np.random.Generator) -> bytes:
    columns = int(rng.integers(1, 4))
    rows = int(rng.integers(0, 120))
    sep, end = SEPS[rng.integers(len(SEPS))], ENDS[rng.integers(len(ENDS))]
    lines = []
    if rng.random() < 0.6:
        lines.append(sep.join(rng.choice(["time", "ppg", "red", "fs", "x", ""], columns)))
    numeric = rng.random() < 0.7
    for i in range(rows):
        if numeric and rng.random() > 0.03:
            cells = [f"{i / 50:.3f}" if c == 0 and columns > 1 else f"{np.sin(i / 5 + c):.4f}" for c in range(columns)]
        else:
            cells = list(rng.choice(CELLS, int(rng.integers(1, columns + 2))))
        lines.append(sep.join(cells))
    data = end.join(lines).encode()
    return (b"\xef\xbb\xbf" if rng.random() < 0.1 else b"") + data


@pytest.mark.parametrize("seed", range(CASES))
def test_random_csv_files_import_or_fail_cleanly(tmp_path, seed):
    rng = np.random.default_rng(seed)
    src = tmp_path / "src"
    src.mkdir()
    for i in range(int(rng.integers(1, 3))):
        (src / f"r{i}.csv").write_bytes(_random_csv(rng))
    labels = tmp_path / "labels.csv"
    labels.write_text("record,participant_id,age\nr0,p0,30\nr1,p1,40\n")
    try:
        import_csv(src, labels, "fuzz", tmp_path / "s", fs=50.0, modality="ppg", warn=lambda line: None)
    except HarnessError as exc:
        assert "\n" not in str(exc) and exc.fix
    assert not list(tmp_path.glob("*.tmp-*"))


@pytest.mark.parametrize("seed", range(CASES))
def test_random_label_sheets_parse_or_fail_cleanly(tmp_path, seed):
    rng = np.random.default_rng(10_000 + seed)
    header = ",".join(["record", *rng.choice(["participant_id", "t_start", "age", "sex", "bmi", "af", "x"],
                                              int(rng.integers(0, 4)), replace=False)])
    width = header.count(",") + 1
    rows = [",".join([f"r{i}", *rng.choice([*CELLS, "M", "female", "30"], width - 1)]) for i in range(5)]
    path = tmp_path / "labels.csv"
    path.write_bytes(ENDS[rng.integers(len(ENDS))].join([header, *rows]).encode())
    try:
        read_labels(path)
    except HarnessError as exc:
        assert "\n" not in str(exc) and exc.fix
