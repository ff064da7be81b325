"""Every crash the fuzzing pass found, as an explicit example.

Crashes in the result loader were fixed (their examples are the ``@example`` lines of
``test_fuzz_results.py`` and the battery in ``tests/reliability/test_battery_results.py``). Crashes in
the importers belong to the import work running in parallel; they are recorded here as strict xfails
with their minimal input, so the fix shows up as an XPASS: then drop the mark and the matching entry
of ``KNOWN_IMPORTER_CRASHES``, which the property tests pass over until then.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli

#: known importer defects the properties skip (name -> what the fuzzer saw)
KNOWN_IMPORTER_CRASHES = {
    "parser-error-two-lines": "read_labels quotes pandas' ParserError text, which ends in a newline: "
                              "the one-line error becomes two lines",
    "ragged-rows-duplicate-index": "rows with one field more than the header make pandas use the first "
                                   "column as the index; repeated values there: ValueError 'cannot reindex "
                                   "on an axis with duplicate labels' (internal error)",
    "only-a-time-column": "a CSV whose only column is a time column leaves 0 channels: ZeroDivisionError "
                          "inside zarr (exit 1, internal error) and a .tmp-* folder left behind",
}


def _import(tmp_path: Path, record: str, labels: str) -> tuple[int, str]:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "r1.csv").write_text(record)
    (tmp_path / "labels.csv").write_text(labels)
    code, _, err = run_cli("data", "import", "csv", str(tmp_path / "src"), "--labels", str(tmp_path / "labels.csv"),
                           "--name", "fz", "--modality", "ppg", "--fs", "64", "--output", str(tmp_path / "o.zarr"))
    return code, err


@pytest.mark.xfail(strict=True, reason=KNOWN_IMPORTER_CRASHES["parser-error-two-lines"])
def test_labels_with_a_ragged_row_are_one_line(tmp_path):
    code, err = _import(tmp_path, "ppg\n0.1\n0.2\n0.3\n", "record\nr1\nr2,3\n")
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: "), err


@pytest.mark.xfail(strict=True, reason=KNOWN_IMPORTER_CRASHES["ragged-rows-duplicate-index"])
def test_labels_with_extra_fields_are_one_line(tmp_path):
    code, err = _import(tmp_path, "ppg\n0.1\n0.2\n0.3\n", "record,participant_id\n,nan,\n,,\n,1,5\n")
    assert code == 2 and err.count("\n") == 1 and "internal error" not in err, err


@pytest.mark.xfail(strict=True, reason=KNOWN_IMPORTER_CRASHES["only-a-time-column"])
def test_a_csv_with_only_a_time_column_is_a_usage_error(tmp_path):
    code, err = _import(tmp_path, "t\n0.0\n0.1\n", "record,age\nr1,40\n")
    assert code == 2 and err.count("\n") == 1 and "internal error" not in err, err
    assert not list(tmp_path.glob("o.zarr.tmp-*"))


def known_crash(exc: BaseException) -> str | None:
    """The ``KNOWN_IMPORTER_CRASHES`` entry an importer failure is an instance of, if any."""
    text = str(exc)
    if "ParserError" in text and "\n" in text:
        return "parser-error-two-lines"
    if "cannot reindex on an axis with duplicate labels" in text:
        return "ragged-rows-duplicate-index"
    if isinstance(exc, ZeroDivisionError) or "ZeroDivisionError: integer modulo by zero" in text:
        return "only-a-time-column"
    return None
