"""One module per file format, each with ``find(source, options) -> {record id: path}``,
``describe(id, path, options) -> RecordInfo`` (header: channels, rates, length) and
``read(record, channel_indices, options) -> [1-D float64 array per channel]``."""

from __future__ import annotations

import importlib
from types import ModuleType

FORMATS = {"wfdb": "wfdb_records", "csv": "tables", "edf": "edf", "e4": "e4"}


def reader(fmt: str) -> ModuleType:
    return importlib.import_module(f"harness.importing.formats.{FORMATS[fmt]}")
