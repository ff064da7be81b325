"""Every built-in plugin entry passes the conformance checks third-party authors run (harness.testing)."""

from __future__ import annotations

import pytest

from harness import testing
from harness.plugins import PluginHost
from tests.conftest import real_data

HOST = PluginHost().load_entry_points()
BUILTIN = {"tasks", "synthetic", "baselines", "ahms", "realdata"}


def _specs(kind: str):
    return [e.spec for e in HOST.registries[kind].entries() if e.provider in BUILTIN]


def _shipped(spec) -> bool:
    return spec.recipe is None or spec.weights is not None


@testing.parametrize_with_checks([s for s in _specs("encoders") if _shipped(s)])
def test_builtin_encoders_conform(spec, check):
    check(spec)


def test_unshipped_encoders_are_none():
    """Every pretrainable built-in ships its weights (else the conformance run above would skip it)."""
    assert [s.name for s in _specs("encoders") if not _shipped(s)] == []


@testing.parametrize_with_checks(_specs("tasks") + _specs("augmentations") + _specs("losses")
                                 + _specs("pair_policies"))
def test_builtin_specs_conform(spec, check):
    check(spec)


@pytest.mark.parametrize("spec", _specs("datasets"), ids=lambda s: s.name)
def test_builtin_datasets_conform(spec, tmp_path):
    source = None if spec.synthetic else real_data(spec.default_source)
    testing.check_dataset(spec, source=source, workdir=tmp_path)
