"""Result files: one schema-versioned JSON per (encoder, task, dataset), with full provenance.

Shaped after lm-evaluation-harness's result schema: config, seeds, versions and git hash travel with
every score so a number can always be traced and reproduced.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from harness.atomic import write_json
from harness.errors import DataError

SCHEMA_VERSION = 1
REQUIRED_KEYS = ("schema_version", "encoder", "task", "dataset", "scores", "config", "counts",
                 "environment", "timings", "training_overlap")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def result_path(output: Path, result: dict[str, Any]) -> Path:
    return (Path(output) / _safe(result["dataset"]["name"]) / _safe(result["encoder"]["name"])
            / f"{_safe(result['task']['name'])}.json")


def write_result(output: Path, result: dict[str, Any]) -> Path:
    """Write atomically; a concurrent writer of the same file leaves one whole version, never a mix."""
    missing = [k for k in REQUIRED_KEYS if k not in result]
    if missing:
        raise DataError(f"result is missing {missing}", "this is a harness bug; please report it")
    return write_json(result_path(output, result), result)


def load_result(path: Path) -> dict[str, Any]:
    try:
        payload = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"result {path} is unreadable ({exc})", "re-run the command that wrote it") from exc
    if payload.get("schema_version") != SCHEMA_VERSION:
        raise DataError(f"result {path} has schema version {payload.get('schema_version')!r}, "
                        f"expected {SCHEMA_VERSION}", "re-run the command that wrote it")
    missing = [k for k in REQUIRED_KEYS if k not in payload]
    if missing:
        raise DataError(f"result {path} lacks {missing}", "re-run the command that wrote it")
    return payload


def load_results(folder: Path) -> list[dict[str, Any]]:
    return [load_result(p) for p in sorted(Path(folder).rglob("*.json"))]
