"""Kept for existing callers: the importers live in :mod:`harness.importing` (one module per step)."""

from harness.importing import import_csv, import_e4, import_edf, import_wfdb, read_labels

__all__ = ["import_csv", "import_e4", "import_edf", "import_wfdb", "read_labels"]
