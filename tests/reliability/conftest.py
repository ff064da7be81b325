"""A workspace holding things already written (a store, a result, the embedding cache) that every
failing command in the battery must leave byte-identical."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.reliability.helpers import tiny_store


@dataclass
class Workspace:
    home: Path
    store: Path
    results: Path

    @property
    def env(self) -> dict[str, str]:
        return {"HARNESS_HOME": str(self.home)}

    @property
    def cache(self) -> Path:
        return self.home / "embeddings"

    @property
    def protected(self) -> list[Path]:
        return [self.store, self.results, self.cache]

    @property
    def result(self) -> Path:
        return self.results / "good" / "handcrafted" / "age.json"

    def run_args(self, *extra: str) -> list[str]:
        """``harness run`` writing into the workspace's result folder."""
        return ["run", "--output", str(self.results), "--quiet", "--bootstrap", "20", *extra]


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Workspace:
    root = tmp_path_factory.mktemp("workspace")
    w = Workspace(home=root / "home", store=tiny_store(root / "good.zarr"), results=root / "results")
    code, _, err = run_cli(*w.run_args("--encoder", "handcrafted", "--task", "age", "--dataset", str(w.store)),
                           env=w.env)
    assert code == 0, err
    assert w.result.is_file() and any(w.cache.glob("*.zarr"))
    return w
