"""``labels.csv``: one row per record, read tolerantly (BOMs, Windows line ends, the usual spellings of
"missing" and of sex) and validated strictly (numbers, physiological ranges, 0/1 flags), so a typo
becomes one error line naming the records instead of a label that silently skews a probe."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.errors import DataError

#: Cell values (any case, surrounding blanks ignored) that mean "unknown".
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "missing", "?", "."})
SEX = {"f": 1.0, "female": 1.0, "w": 1.0, "woman": 1.0, "1": 1.0, "1.0": 1.0,
       "m": 0.0, "male": 0.0, "man": 0.0, "0": 0.0, "0.0": 0.0}
#: Accepted ranges of the labels the built-in tasks read (inclusive); values outside are refused.
RANGES: dict[str, tuple[float, float]] = {
    "age": (0.0, 120.0), "bmi": (10.0, 80.0), "height": (40.0, 250.0), "weight": (1.0, 400.0),
    "sbp": (40.0, 300.0), "dbp": (20.0, 200.0), "hr": (20.0, 300.0),
}
FLAGS = frozenset({"hypertension", "diabetes", "af"})
RESERVED = ("record", "participant_id", "t_start")


def names(items: Sequence[str], limit: int = 5) -> str:
    """``a, b, c and 4 more``: what every message uses to name records."""
    items = [str(i) for i in items]
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _missing(raw: pd.Series) -> pd.Series:
    return raw.str.lower().isin(MISSING)


def _numeric(table: pd.DataFrame, column: str, what: str) -> pd.Series:
    raw = table[column]
    missing = _missing(raw)
    values = pd.to_numeric(raw.where(~missing), errors="coerce")
    bad = sorted(set(table.loc[values.isna() & ~missing, "record"]))
    if bad:
        example = raw[values.isna() & ~missing].iloc[0]
        raise DataError(f"{what} is not numeric for records {names(bad)} (e.g. {example!r})",
                        "write numbers (flags as 0/1); leave the cell empty when unknown")
    infinite = sorted(set(table.loc[np.isinf(values.astype(float)), "record"]))
    if infinite:
        raise DataError(f"{what} is infinite for records {names(infinite)}",
                        "write a finite number, or leave the cell empty when unknown")
    return values.astype(float)


def _check_range(table: pd.DataFrame, column: str, values: pd.Series) -> None:
    key = column.lower()
    if key in FLAGS:
        bad_rows = values.notna() & ~values.isin([0.0, 1.0])
        if bad_rows.any():
            raise DataError(f"label '{column}' is {values[bad_rows].iloc[0]:g} for records "
                            f"{names(sorted(set(table.loc[bad_rows, 'record'])))}, but it is a 0/1 flag",
                            "write 1 (yes) or 0 (no), or leave the cell empty when unknown")
        return
    if key not in RANGES:
        return
    low, high = RANGES[key]
    bad_rows = values.notna() & ((values < low) | (values > high))
    if bad_rows.any():
        raise DataError(f"label '{column}' is {values[bad_rows].iloc[0]:g} for records "
                        f"{names(sorted(set(table.loc[bad_rows, 'record'])))}, outside the accepted range "
                        f"{low:g}-{high:g}", "correct the values (check the units), or leave the cells empty")


def _check_field_counts(path: Path, encoding: str) -> None:
    """Every row has the header's number of fields: pandas would otherwise take a row with one more as
    an index column and shift every value of the table one column to the right, without a word."""
    import csv

    with open(path, newline="", encoding=encoding) as handle:
        rows = csv.reader(handle)
        header = next(rows, None)
        if header is None:
            return
        for row in rows:
            if row and len(row) != len(header):
                raise DataError(f"{path.name} line {rows.line_num} has {len(row)} fields, the header row "
                                f"{len(header)}", "quote values that hold a comma, or fix the line")


def _read_table(path: Path) -> pd.DataFrame:
    # utf-8-sig drops a byte-order mark; pandas' C parser accepts \n, \r\n and \r line ends.
    try:
        _check_field_counts(path, "utf-8-sig")
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        _check_field_counts(path, "latin-1")
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="latin-1")


def read_labels(labels_csv: str | Path) -> pd.DataFrame:
    """Parse ``labels.csv`` into record, participant_id, t_start (NaN = not given) and float label columns."""
    labels_csv = Path(labels_csv)
    if not labels_csv.is_file():
        raise DataError(f"labels file {labels_csv} does not exist", "pass --labels PATH to a labels.csv")
    try:
        table = _read_table(labels_csv)
    except DataError:
        raise
    except Exception as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            raise DataError(f"{labels_csv.name} line {found.group(2)} has {found.group(3)} fields, the header "
                            f"row {found.group(1)}", "quote values that hold a comma, or fix the line") from exc
        detail = " ".join(str(exc).split())
        raise DataError(f"cannot read {labels_csv} ({type(exc).__name__}: {detail})",
                        "save it as a comma-separated file with a header row") from exc
    table.columns = [str(c).strip().lstrip("\ufeff") for c in table.columns]
    table = table.apply(lambda col: col.str.strip())
    if "record" not in table.columns:
        raise DataError(f"{labels_csv.name} has no 'record' column (columns: {list(table.columns)})",
                        "add a 'record' column holding each file's name without extension")
    table = table[table["record"] != ""].reset_index(drop=True)
    dupes = sorted(set(table.loc[table["record"].duplicated(), "record"]))
    if dupes:
        raise DataError(f"{labels_csv.name} lists records {names(dupes)} more than once",
                        "keep one row per record")
    if "participant_id" not in table.columns:
        table["participant_id"] = table["record"]
    table.loc[_missing(table["participant_id"]), "participant_id"] = table["record"]
    out = table[["record", "participant_id"]].copy()
    out["t_start"] = (_numeric(table, "t_start", "t_start (seconds)") if "t_start" in table.columns
                      else np.nan)
    for column in table.columns:
        if column in RESERVED:
            continue
        raw = table[column]
        if column.lower() == "sex":
            mapped = raw.str.lower().map(lambda v: math.nan if v in MISSING else SEX.get(v, "bad"))
            bad = sorted(set(table.loc[mapped == "bad", "record"]))
            if bad:
                raise DataError(f"sex of records {names(bad)} is not M/F or 1/0",
                                "write sex as M/F (or 1 = female, 0 = male)")
            out["sex"] = mapped.astype(float)
            continue
        values = _numeric(table, column, f"label '{column}'")
        _check_range(table, column, values)
        out[column] = values
    return out


def participant_table(labels: pd.DataFrame) -> dict[str, Any]:
    """One row per participant (in first-seen order); a label that differs between its records is an error."""
    columns = [c for c in labels.columns if c not in RESERVED and not c.startswith("_")]
    rows = {}
    for pid, group in labels.groupby("participant_id", sort=False):
        for column in columns:
            distinct = group[column].dropna().unique()
            if len(distinct) > 1:
                raise DataError(f"label '{column}' differs between records of participant {pid} "
                                f"({names([f'{v:g}' for v in distinct])})",
                                "give one value per participant in labels.csv")
        rows[pid] = group[columns].bfill().iloc[0]
    table: dict[str, Any] = {"participant_id": np.asarray(list(rows))}
    for column in columns:
        table[column] = np.asarray([rows[p][column] for p in rows], dtype=np.float64)
    return table
