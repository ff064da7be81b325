"""Where things live: one place that reads environment variables, so tests can redirect all of it."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def harness_home() -> Path:
    """Cache root for built stores, embeddings and downloads (``HARNESS_HOME``)."""
    env = os.environ.get("HARNESS_HOME")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("biosignal-harness"))


def stores_dir() -> Path:
    return harness_home() / "stores"


def data_url() -> str | None:
    """Store root on object storage (``HARNESS_DATA_URL``, e.g. ``s3://bucket/stores``), or ``None``.

    When set, stores built or opened by dataset name live at ``DATA_URL/NAME`` instead of
    :func:`stores_dir`, so many nodes share one cohort.
    """
    return os.environ.get("HARNESS_DATA_URL", "").strip().rstrip("/") or None


def embedding_cache_url() -> str | None:
    """Embedding-cache root on object storage (``HARNESS_EMBED_CACHE_URL``), or ``None`` for local."""
    return os.environ.get("HARNESS_EMBED_CACHE_URL", "").strip().rstrip("/") or None


def s3_endpoint() -> str | None:
    """S3-compatible endpoint (``HARNESS_S3_ENDPOINT``, else ``AWS_ENDPOINT_URL``); ``None`` = AWS."""
    return (os.environ.get("HARNESS_S3_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL") or "").strip() or None


def staging_dir() -> Path:
    """Local folder where stores and caches bound for object storage are built before upload."""
    return harness_home() / "staging"


def downloads_dir() -> Path:
    return harness_home() / "downloads"


def embedding_cache_dir() -> Path:
    return harness_home() / "embeddings"


def data_dir() -> Path:
    """Folder with the real recordings (``HARNESS_DATA_DIR``, default ``../shared/data``).

    The default is relative to the current directory first and to the project checkout second, so it
    works from a clone with ``shared/`` beside it.
    """
    env = os.environ.get("HARNESS_DATA_DIR")
    if env:
        return Path(env).expanduser()
    for base in (Path.cwd(), PROJECT_ROOT):
        candidate = (base / ".." / "shared" / "data").resolve()
        if candidate.is_dir():
            return candidate
    return (Path.cwd() / ".." / "shared" / "data").resolve()


def results_dir() -> Path:
    """Default output folder for result JSONs (``HARNESS_RESULTS``, default ``./results``)."""
    env = os.environ.get("HARNESS_RESULTS")
    return Path(env).expanduser() if env else Path.cwd() / "results"


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def keep_freed_memory() -> bool:
    """``HARNESS_KEEP_FREED_MEMORY=0`` leaves the C allocator as it is (see :mod:`harness.allocator`)."""
    return os.environ.get("HARNESS_KEEP_FREED_MEMORY", "1").strip().lower() not in {"0", "false", "no", "off"}
