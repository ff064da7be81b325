"""CSV (and Parquet) records: one file per record, one column per channel, optionally a time column
(its spacing gives the rate) or a rate column. Every cell is parsed as a number; the first cell that is
not one is reported with its file, line and column, with the delimiter/decimal fix it points to."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from harness.errors import DataError
from harness.importing.options import ReadOptions
from harness.importing.records import RecordInfo, unique_ids

TIME_COLUMNS = ("time", "t", "timestamp", "seconds", "time_s")
RATE_COLUMNS = ("fs", "rate", "sampling_rate", "sample_rate", "hz")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+([eE][+-]?\d+)?$")


def _number(text: str, decimal: str) -> bool:
    try:
        float(text.strip().replace(decimal, ".") if decimal != "." else text.strip())
        return True
    except ValueError:
        return False


def _first_line(path: Path) -> str:
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        for line in handle:
            if line.strip():
                return line.rstrip("\r\n")
    return ""


def _cell_fix(value: str, options: ReadOptions) -> str:
    for sep, shown in ((";", "';'"), ("\t", "'\\t'"), ("|", "'|'")):
        if sep in value and sep != options.delimiter:
            return f"the file looks {shown}-separated: pass --delimiter {shown}" + (
                " (and --decimal , if numbers are written like 1,5)" if sep == ";" else "")
    if _DECIMAL_COMMA.match(value.strip()) and options.decimal != ",":
        return "numbers are written with a decimal comma: pass --decimal , (with --delimiter ';')"
    return ("write a number in every signal cell (leave a cell empty for a gap), "
            "or list the signal columns with --columns")


def _layout(path: Path, rid: str, options: ReadOptions) -> tuple[list[str] | None, str]:
    """(column names from the header row, or None when the first line is data; the first line)."""
    first = _first_line(path)
    if not first:
        raise DataError(f"{rid}: {path.name} is empty", "remove the file or export the recording again")
    fields = next(csv.reader([first], delimiter=options.delimiter))
    if len(fields) == 1 and options.delimiter not in first:
        for sep, shown in ((";", "';'"), ("\t", "'\\t'"), ("|", "'|'")):
            if sep in first and not _number(first, options.decimal):
                raise DataError(f"{rid}: {path.name} line 1 ({first[:60]!r}) holds no {options.delimiter!r} "
                                f"but {shown}", _cell_fix(first, options))
    numeric = all(_number(f, options.decimal) for f in fields if f.strip())
    if options.header == "none" or numeric:
        return None, first
    names = [f.strip() for f in fields]
    problems = sorted({n for n in names if names.count(n) > 1})
    if problems or "" in names:
        what = f"names column {problems[0]!r} twice" if problems else "has a column without a name"
        raise DataError(f"{rid}: {path.name} header row {what}", "give every column its own name in the header row")
    return names, first


def _e4_like(path: Path) -> bool:
    with open(path, encoding="utf-8", errors="replace") as handle:
        head = [handle.readline().split(",")[0].strip() for _ in range(2)]
    try:
        start, rate = float(head[0]), float(head[1])
    except ValueError:
        return False
    return start > 1e8 and 0 < rate <= 10000 and float(rate).is_integer()


def _read_strings(path: Path, rid: str, header: list[str] | None, options: ReadOptions) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, sep=options.delimiter, header=None, skiprows=1 if header else 0,
                            dtype=str, keep_default_na=False, skip_blank_lines=True, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame()
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        where = (f"line {int(found.group(2))} has {found.group(3)} fields, the first "
                 f"data line {found.group(1)}") if found else "a line has more fields than the first data line"
        raise DataError(f"{rid}: {path.name} {where}",
                        "use one delimiter throughout; with decimal commas pass --delimiter ';' --decimal ,") from exc
    if header is not None and frame.shape[1] not in (0, len(header)):
        raise DataError(f"{rid}: {path.name} line 2 has {frame.shape[1]} fields but the header row has "
                        f"{len(header)}", "numbers written with decimal commas need --delimiter ';' --decimal , ;"
                        " otherwise give every column a name in the header row")
    if frame.shape[1] == 0 and header is not None:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in header})
    frame.columns = header if header is not None else [f"ch{i + 1}" for i in range(frame.shape[1])]
    return frame


def _to_numbers(frame: pd.DataFrame, path: Path, rid: str, header: bool, options: ReadOptions) -> pd.DataFrame:
    out = {}
    for column in frame.columns:
        raw = frame[column].str.strip()
        text = raw.str.replace(",", ".", regex=False) if options.decimal == "," else raw
        values = pd.to_numeric(text.where(raw != ""), errors="coerce")
        bad = values.isna() & (raw != "") & ~raw.str.lower().isin(["nan", "na", "inf", "-inf"])
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            value = raw.iloc[row]
            raise DataError(f"{rid}: {path.name} line {row + 1 + int(header)}, column '{column}' holds "
                            f"{value[:40]!r}, which is not a number", _cell_fix(value, options))
        out[column] = values.to_numpy(dtype=np.float64)
    return pd.DataFrame(out)


def _load(record: RecordInfo, options: ReadOptions) -> pd.DataFrame:
    path, rid = record.path, record.id
    if path.suffix.lower() == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except ImportError as exc:
            raise DataError("reading Parquet needs pyarrow", "pip install pyarrow") from exc
        except Exception as exc:
            raise DataError(f"cannot read {rid}: {path.name} ({type(exc).__name__}: {exc})",
                            "check the file is a Parquet table") from exc
        frame.columns = [str(c) for c in frame.columns]
        strings = frame.astype(str).replace({"None": "", "nan": ""})
        return _to_numbers(strings, path, rid, True, options)
    header, _ = _layout(path, rid, options)
    fast = _read_floats(path, header, options)
    if fast is not None:
        return fast
    frame = _read_strings(path, rid, header, options)  # slow, and it says which cell is wrong
    return _to_numbers(frame, path, rid, header is not None, options)


def _read_floats(path: Path, header: list[str] | None, options: ReadOptions) -> pd.DataFrame | None:
    """The fast path: pandas' C parser straight to float64; None when any cell or line needs a diagnosis."""
    try:
        frame = pd.read_csv(path, sep=options.delimiter, header=None, skiprows=1 if header else 0,
                            dtype=np.float64, decimal=options.decimal, keep_default_na=False,
                            na_values=["", "nan", "NaN", "NA", "na"], skip_blank_lines=True, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError):  # includes ParserError and EmptyDataError
        return None
    if header is not None and frame.shape[1] != len(header):
        return None
    frame.columns = header if header is not None else [f"ch{i + 1}" for i in range(frame.shape[1])]
    return frame


def _split(frame: pd.DataFrame, record: RecordInfo, options: ReadOptions) -> tuple[list[str], str | None, str | None]:
    """(channel columns, time column, rate column)."""
    lower = {c.strip().lower(): c for c in frame.columns}
    time_col = next((lower[c] for c in TIME_COLUMNS if c in lower), None)
    rate_col = next((lower[c] for c in RATE_COLUMNS if c in lower), None)
    if options.columns:
        missing = [c for c in options.columns if c not in frame.columns]
        if missing:
            raise DataError(f"record {record.id} lacks columns {missing} (has {list(frame.columns)})",
                            "name the channel columns the same in every file, or fix --columns")
        return list(options.columns), time_col, rate_col
    channels = [c for c in frame.columns if c not in (time_col, rate_col)]
    if not channels:
        raise DataError(f"{record.id}: {record.path.name} holds only a "
                        f"{'time' if time_col else 'rate'} column ({', '.join(frame.columns)}), no signal",
                        "add one column per channel next to the time column")
    return channels, time_col, rate_col


def _rate(frame: pd.DataFrame, record: RecordInfo, time_col: str | None, rate_col: str | None,
          options: ReadOptions) -> tuple[float, float | None]:
    """(the file's rate, its start time) from a rate column, a time column or ``--fs``."""
    if rate_col is not None:
        rates = frame[rate_col].dropna().unique()
        if len(rates) != 1 or not np.isfinite(rates[0]) or rates[0] <= 0:
            raise DataError(f"{record.id}: rate column '{rate_col}' holds {list(rates[:3])}, not one positive rate",
                            "write the same rate in Hz on every row")
        start = float(frame[time_col].iloc[0]) if time_col is not None and len(frame) else None
        return float(rates[0]), start
    if time_col is not None and len(frame) >= 2:
        t = frame[time_col].to_numpy(dtype=np.float64)
        steps = np.diff(t)
        if not np.isfinite(t).all() or (steps <= 0).any():
            raise DataError(f"{record.id}: time column '{time_col}' is not increasing and finite "
                            f"(line {int(np.flatnonzero(~(np.isfinite(steps) & (steps > 0)))[0]) + 3})",
                            "sort the rows by time and remove repeated or empty time cells")
        fs = (len(t) - 1) / (t[-1] - t[0])
        if np.abs(t - (t[0] + np.arange(len(t)) / fs)).max() > 0.5 / fs:
            raise DataError(f"{record.id}: time column '{time_col}' is not evenly spaced (gaps or jitter)",
                            "resample the file to a constant rate first, or drop the time column and pass --fs")
        nearest = round(fs)
        return (float(nearest) if nearest and abs(fs - nearest) < 1e-3 * fs else float(fs)), float(t[0])
    if options.fs is None:
        raise DataError(f"{record.id}: {record.path.name} has no time or rate column, so its rate is unknown",
                        "pass --fs HZ (or add a 'time' column in seconds)")
    return float(options.fs), None


def find(source: Path, options: ReadOptions) -> dict[str, Path]:
    exclude = options.exclude.resolve() if options.exclude else None
    files = [p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in (".csv", ".parquet")
             and p.resolve() != exclude]
    return unique_ids(files, source)


def describe(rid: str, path: Path, options: ReadOptions) -> RecordInfo:
    if path.suffix.lower() == ".csv" and _e4_like(path):
        raise DataError(f"{rid}: {path.name} looks like an Empatica E4 export (start time, then rate)",
                        "import E4 folders with: harness data import e4 SOURCE_DIR ...")
    record = RecordInfo(rid, path, "csv", [], [], samples=0)
    if path.suffix.lower() == ".csv" and not _first_line(path):
        return record  # empty: skipped and reported as empty by the pipeline
    frame = _load(record, options)
    channels, time_col, rate_col = _split(frame, record, options)
    if frame.empty:
        record.channels = channels  # a header row and no samples: empty
        return record
    fs, start = _rate(frame, record, time_col, rate_col, options)
    record.channels, record.channel_fs = channels, [fs] * len(channels)
    record.samples, record.start = len(frame), start
    return record


def read(record: RecordInfo, indices: list[int], options: ReadOptions) -> list[np.ndarray]:
    frame = _load(record, options)
    return [frame[record.channels[i]].to_numpy(dtype=np.float64) for i in indices]
