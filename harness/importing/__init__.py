"""Bring your own recordings: a folder of WFDB, EDF/BDF, CSV/Parquet or Empatica E4 records plus a
``labels.csv`` -> a signal store, in one command.

The steps, one module each: :mod:`.formats` (a reader per format: headers, then samples),
:mod:`.records` (record ids are relative paths, so same-named files in different folders stay apart),
:mod:`.labels` (tolerant parsing, strict validation), :mod:`.channels` (``--channels`` with aliases, or
the channels every record has), :mod:`.segments` (resampling, windows, dropping unusable ones),
:mod:`.parallel` (``--jobs``), :mod:`.pipeline` (the two passes and the streamed write).

What is fatal and what is skipped (each reported as one line naming the records and the fix):

* fatal (:class:`~harness.errors.DataError`, nothing is written): no records, no labelled record left,
  a duplicate ``record`` row, a label that is not numeric or outside its range, sex values other than
  M/F/1/0, labels that differ between records of one participant, mixed sampling rates without ``--fs``,
  no channel common to every record, an unreadable file or a non-numeric signal cell;
* skipped with a warning: records without a row in ``labels.csv``, rows without a record, records that
  lack a requested channel, and records (or windows) that are empty, hold NaN/inf or are flat.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.importing.labels import read_labels
from harness.importing.options import ReadOptions, SegmentOptions
from harness.importing.pipeline import Warn, default_warn, run_import


def _import(fmt: str, source_dir: str | Path, labels_csv: str | Path, name: str, out_path: str | Path, *,
            modality: str, fs: float | None, resample: bool, channels: Sequence[str] | None,
            window_seconds: float | None, hop_seconds: float | None, max_windows: int | None, jobs: int,
            read_options: ReadOptions, units: str | None, license: str, citation: str, warn: Warn) -> Path:
    segment = SegmentOptions(fs=fs, resample=resample, window_seconds=window_seconds, hop_seconds=hop_seconds,
                             max_windows=max_windows)
    return run_import(fmt, source_dir, labels_csv, name, out_path, modality=modality, read_options=read_options,
                      segment_options=segment, channels=list(channels) if channels else None, units=units,
                      license=license, citation=citation, jobs=jobs, warn=warn)


def import_wfdb(source_dir: str | Path, labels_csv: str | Path, name: str, out_path: str | Path, *,
                fs: float | None = None, resample: bool = False, modality: str = "ecg",
                channels: Sequence[str] | None = None, window_seconds: float | None = None,
                hop_seconds: float | None = None, max_windows: int | None = None, jobs: int = 1,
                units: str | None = None, license: str = "user-supplied", citation: str = "",
                warn: Warn = default_warn) -> Path:
    """Every WFDB record (``*.hea`` + signal file) under ``source_dir``. ``fs`` is the store's rate:
    records at another rate are refused, or resampled to it with ``resample=True`` (what the CLI does)."""
    return _import("wfdb", source_dir, labels_csv, name, out_path, modality=modality, fs=fs, resample=resample,
                   channels=channels, window_seconds=window_seconds, hop_seconds=hop_seconds,
                   max_windows=max_windows, jobs=jobs, read_options=ReadOptions(), units=units, license=license,
                   citation=citation, warn=warn)


def import_edf(source_dir: str | Path, labels_csv: str | Path, name: str, out_path: str | Path, *,
               modality: str, fs: float | None = None, resample: bool = True,
               channels: Sequence[str] | None = None, window_seconds: float | None = None,
               hop_seconds: float | None = None, max_windows: int | None = None, jobs: int = 1,
               units: str | None = None, license: str = "user-supplied", citation: str = "",
               warn: Warn = default_warn) -> Path:
    """Every EDF/EDF+/BDF file (``*.edf``, ``*.bdf``) under ``source_dir``, one record each."""
    return _import("edf", source_dir, labels_csv, name, out_path, modality=modality, fs=fs, resample=resample,
                   channels=channels, window_seconds=window_seconds, hop_seconds=hop_seconds,
                   max_windows=max_windows, jobs=jobs, read_options=ReadOptions(), units=units, license=license,
                   citation=citation, warn=warn)


def import_e4(source_dir: str | Path, labels_csv: str | Path, name: str, out_path: str | Path, *,
              modality: str = "ppg", signal: str | None = None, fs: float | None = None, resample: bool = True,
              window_seconds: float | None = None, hop_seconds: float | None = None,
              max_windows: int | None = None, jobs: int = 1, units: str | None = None,
              license: str = "user-supplied", citation: str = "", warn: Warn = default_warn) -> Path:
    """Empatica E4 exports: one folder per participant (the record id is the folder's relative path)
    holding ``BVP.csv`` (default for ppg), ``ACC.csv`` (acc), ``EDA.csv`` or ``TEMP.csv``."""
    from harness.importing.formats.e4 import BY_MODALITY

    options = ReadOptions(signal=signal or BY_MODALITY.get(modality, "BVP"))
    return _import("e4", source_dir, labels_csv, name, out_path, modality=modality, fs=fs, resample=resample,
                   channels=None, window_seconds=window_seconds, hop_seconds=hop_seconds,
                   max_windows=max_windows, jobs=jobs, read_options=options, units=units, license=license,
                   citation=citation, warn=warn)


def import_csv(source_dir: str | Path, labels_csv: str | Path, name: str, out_path: str | Path, *,
               modality: str, fs: float | None = None, resample: bool = False,
               columns: Sequence[str] | None = None, channels: Sequence[str] | None = None,
               delimiter: str = ",", decimal: str = ".", header: bool | None = None,
               window_seconds: float | None = None, hop_seconds: float | None = None,
               max_windows: int | None = None, jobs: int = 1, units: str = "a.u.",
               license: str = "user-supplied", citation: str = "", warn: Warn = default_warn) -> Path:
    """One CSV or Parquet file per record: one column per channel; a time column (time, t, timestamp,
    seconds, time_s: seconds) gives the rate by its spacing, a rate column (fs, rate, sampling_rate) states
    it, else ``fs`` is every file's rate. The header row is detected (a first line of numbers is data);
    ``header=False`` says there is none."""
    options = ReadOptions(delimiter=delimiter, decimal=decimal, header="none" if header is False else "auto",
                          columns=tuple(columns) if columns else None, fs=fs, exclude=Path(labels_csv))
    return _import("csv", source_dir, labels_csv, name, out_path, modality=modality, fs=fs,
                   resample=resample or fs is not None, channels=channels, window_seconds=window_seconds,
                   hop_seconds=hop_seconds, max_windows=max_windows, jobs=jobs, read_options=options,
                   units=units, license=license, citation=citation, warn=warn)


__all__ = ["import_csv", "import_e4", "import_edf", "import_wfdb", "read_labels"]
