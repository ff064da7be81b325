"""Every crash the fuzzing pass found, as an explicit example.

Crashes in the result loader were fixed (their examples are the ``@example`` lines of
``test_fuzz_results.py`` and the battery in ``tests/reliability/test_battery_results.py``). Crashes in
the importers were found while the importers were rewritten; all three are fixed and kept here as
regression tests with their minimal input. ``KNOWN_IMPORTER_CRASHES`` (which the property tests pass
over) is empty: a new entry goes there only with a strict xfail here.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli

#: known importer defects the properties skip (name -> what the fuzzer saw)
KNOWN_IMPORTER_CRASHES: dict[str, str] = {}


def _import(tmp_path: Path, record: str, labels: str) -> tuple[int, str]:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "r1.csv").write_text(record)
    (tmp_path / "labels.csv").write_text(labels)
    code, _, err = run_cli("data", "import", "csv", str(tmp_path / "src"), "--labels", str(tmp_path / "labels.csv"),
                           "--name", "fz", "--modality", "ppg", "--fs", "64", "--output", str(tmp_path / "o.zarr"))
    return code, err


def test_labels_with_a_ragged_row_are_one_line(tmp_path):
    code, err = _import(tmp_path, "ppg\n0.1\n0.2\n0.3\n", "record\nr1\nr2,3\n")
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: "), err


def test_labels_with_extra_fields_are_one_line(tmp_path):
    """Rows with one field more than the header used to become an index column, shifting every value."""
    code, err = _import(tmp_path, "ppg\n0.1\n0.2\n0.3\n", "record,participant_id\n,nan,\n,,\n,1,5\n")
    assert code == 2 and err.count("\n") == 1 and "internal error" not in err, err
    assert "labels.csv line 2 has 3 fields, the header row 2" in err


def test_a_csv_with_only_a_time_column_is_a_usage_error(tmp_path):
    code, err = _import(tmp_path, "t\n0.0\n0.1\n", "record,age\nr1,40\n")
    assert code == 2 and err.count("\n") == 1 and "internal error" not in err, err
    assert not list(tmp_path.glob("o.zarr.tmp-*"))


def known_crash(exc: BaseException) -> str | None:
    """The ``KNOWN_IMPORTER_CRASHES`` entry an importer failure is an instance of, if any (none while the
    table is empty: every failure the properties see is then a new finding)."""
    text = str(exc)
    if "ParserError" in text and "\n" in text:
        name = "parser-error-two-lines"
    elif "cannot reindex on an axis with duplicate labels" in text:
        name = "ragged-rows-duplicate-index"
    elif isinstance(exc, ZeroDivisionError) or "ZeroDivisionError: integer modulo by zero" in text:
        name = "only-a-time-column"
    else:
        return None
    return name if name in KNOWN_IMPORTER_CRASHES else None
