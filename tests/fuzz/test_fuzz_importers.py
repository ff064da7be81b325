"""Fuzzing the importers' public functions and the CLI on small generated files.

``read_labels`` and ``import_csv`` may accept a file or refuse it with one ``HarnessError`` line;
``harness data import csv`` may exit 0 or 2 (one line), never 1 (an internal error). Files are bytes
drawn from awkward cells (NaN/inf text, huge and negative numbers, decimal commas, quotes, BOMs,
blank lines, other delimiters and encodings).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path

from hypothesis import assume, given
from hypothesis import strategies as st

from harness.errors import HarnessError
from harness.importers import import_csv, read_labels
from tests.conftest import run_cli
from tests.fuzz.strategies import CELLS, cheap, csv_text, labels_csv
from tests.fuzz.test_fuzz_regressions import known_crash

RATES = st.sampled_from([64.0, 64.0, 64.0, 1.0, 0.5, 1e6])


def _one_line(exc: HarnessError) -> None:
    assume(known_crash(exc) is None)  # recorded in test_fuzz_regressions.py
    assert "\n" not in str(exc), str(exc)


@given(labels_csv())
def test_read_labels(content):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "labels.csv"
        path.write_bytes(content)
        try:
            table = read_labels(path)
        except ValueError as exc:
            assume(known_crash(exc) is None)  # recorded in test_fuzz_regressions.py
            raise
        except HarnessError as exc:
            _one_line(exc)
            return
        assert {"record", "participant_id", "t_start"} <= set(table.columns)
        assert all(isinstance(r, str) for r in table["record"])


@st.composite
def csv_sources(draw):
    """1-3 record files (usually a signal column or two, maybe a time column) and a labels.csv."""
    records = [f"r{i}" for i in range(draw(st.integers(1, 3)))]
    header = draw(st.sampled_from([["ppg"], ["time", "ppg"], ["a", "b"], ["t"]]))
    files = {}
    for name in records:
        if draw(st.booleans()):  # a clean signal next to the odd cells
            rows = draw(st.integers(0, 80))
            values = [f"{math.sin(i / 3) + 0.01 * i:.4f}" for i in range(rows)]
            body = "\n".join(",".join([str(i / 64)] * (len(header) - 1) + [v]) for i, v in enumerate(values))
            files[name] = (",".join(header) + "\n" + body + "\n") if draw(st.booleans()) else body
        else:
            files[name] = draw(csv_text(header, draw(st.integers(0, 8))))
    cells = [draw(CELLS) for _ in records]
    labels = "record,age,sex\n" + "".join(f"{r},{c.replace(',', ' ')},F\n" for r, c in zip(records, cells))
    return files, labels, draw(RATES)


def _write(root: Path, files: dict[str, str], labels: str) -> tuple[Path, Path]:
    source = root / "src"
    source.mkdir()
    for name, text in files.items():
        (source / f"{name}.csv").write_text(text, encoding="utf-8")
    (root / "labels.csv").write_text(labels, encoding="utf-8")
    return source, root / "labels.csv"


@cheap(12)
@given(csv_sources())
def test_import_csv(case):
    files, labels, fs = case
    with tempfile.TemporaryDirectory() as tmp:
        source, labels_path = _write(Path(tmp), files, labels)
        try:
            out = import_csv(source, labels_path, "fuzz", Path(tmp) / "out.zarr", fs=fs, modality="ppg",
                             warn=lambda line: None)
        except ZeroDivisionError as exc:
            assume(known_crash(exc) is None)
            raise
        except HarnessError as exc:
            _one_line(exc)
            assert not (Path(tmp) / "out.zarr").exists()
            return
        assert Path(out).is_dir()


@cheap(8)
@given(csv_sources(), st.sampled_from([None, ";", "\t"]))
def test_data_import_csv_cli(case, delimiter):
    files, labels, fs = case
    tmp = Path(tempfile.mkdtemp())
    try:
        source, labels_path = _write(tmp, files, labels)
        args = ["data", "import", "csv", str(source), "--labels", str(labels_path), "--name", "fuzz",
                "--modality", "ppg", "--fs", repr(fs), "--output", str(tmp / "out.zarr")]
        code, _, err = run_cli(*args, *(["--delimiter", delimiter] if delimiter else []))
        errors = [line for line in err.splitlines() if not line.startswith("warning: ")]
        assume(known_crash(RuntimeError(err)) is None)
        assert code in (0, 2), (code, err)
        if code == 2:
            assert len(errors) == 1 and errors[0].startswith("error: ") and "internal error" not in err, err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
