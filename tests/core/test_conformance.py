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


def _fixture_releases():
    """Datasets with no real copy in the data directory here: built from the release their tests write."""
    from tests.realdata.test_realdata_dalia_butppg import _butppg_release, _dalia_release

    def dalia(folder):
        return _dalia_release(folder, subjects=2)

    from tests.realdata.test_realdata_mitdb import write_release as mitdb
    from tests.realdata.test_realdata_wesad import write_release as wesad

    return {"ppg-dalia": dalia, "ppg-dalia-ecg": dalia, "but-ppg": lambda folder: _butppg_release(folder)[0],
            "mitdb": mitdb, "wesad": wesad}


def _source(spec, tmp_path):
    from harness.settings import data_dir

    fixtures = _fixture_releases()
    if spec.synthetic:
        return None
    if spec.name in fixtures and not (data_dir() / spec.default_source).exists():
        return fixtures[spec.name](tmp_path / "release")
    return real_data(spec.default_source)


@pytest.mark.parametrize("spec", _specs("datasets"), ids=lambda s: s.name)
def test_builtin_datasets_conform(spec, tmp_path):
    testing.check_dataset(spec, source=_source(spec, tmp_path), workdir=tmp_path)
