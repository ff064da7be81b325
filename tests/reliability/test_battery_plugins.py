"""The bad-input battery, part 3: a plugin package (installed for real) that raises on import, raises
while registering, or whose encoders break their contract (wrong shape, NaN, an exception in embed)."""

from __future__ import annotations

import pytest

from tests.reliability.helpers import assert_one_line_error, assert_unchanged, harness, pip_install, snapshot

OTHERS = {"hostile_import": ["hostile_register", "hostile_encoders"],
          "hostile_register": ["hostile_import", "hostile_encoders"],
          "hostile_encoders": ["hostile_import", "hostile_register"]}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    target = tmp_path_factory.mktemp("hostile-site")
    pip_install("hostile_plugin", target)
    return target


def _only(plugin: str) -> list[str]:
    """Global flags that leave ``plugin`` as the only hostile one loaded."""
    return [arg for other in OTHERS[plugin] for arg in ("--disable-plugin", other)]


@pytest.mark.parametrize(("plugin", "needle"), [
    ("hostile_import", "failed to import: RuntimeError: hostile plugin exploded while importing"),
    ("hostile_register", "failed to register tasks: ValueError: hostile plugin exploded while registering"),
])
def test_a_plugin_that_raises_costs_one_warning_line(site, ws, plugin, needle):
    env = {"PYTHONPATH": str(site), **ws.env}
    ok = harness(*_only(plugin), "list", "tasks", env=env)
    assert ok.returncode == 0 and "age" in ok.stdout, ok.stderr
    lines = ok.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: ") and needle in lines[0], ok.stderr
    assert "harness-hostile-plugin" in lines[0] and "Traceback" not in ok.stderr
    strict = harness("--strict-plugins", *_only(plugin), "list", "tasks", env=env)
    assert_one_line_error(strict.returncode, strict.stderr, 1, [needle, "--strict-plugins"])
    debug = harness("--debug", "--strict-plugins", *_only(plugin), "list", "tasks", env=env)
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr


@pytest.mark.parametrize(("encoder", "needle"), [
    ("hostile-wrong-shape", "returned embeddings of shape"),
    ("hostile-nan", "returned NaN or inf embeddings"),
    ("hostile-raises", "failed while embedding segments 0-"),
])
def test_an_encoder_that_breaks_its_contract(site, ws, encoder, needle):
    env = {"PYTHONPATH": str(site), **ws.env}
    before = snapshot(*ws.protected)
    result = harness(*_only("hostile_encoders"), *ws.run_args("--encoder", encoder, "--task", "age",
                                                                 "--dataset", str(ws.store)), env=env)
    assert_one_line_error(result.returncode, result.stderr, 1, [f"encoder '{encoder}'", needle])
    assert_unchanged(before, *ws.protected)
    assert not (ws.results / "good" / encoder).exists()
    if encoder == "hostile-raises":
        debug = harness("--debug", *_only("hostile_encoders"),
                        *ws.run_args("--encoder", encoder, "--task", "age", "--dataset", str(ws.store)), env=env)
        assert debug.returncode == 1 and "ZeroDivisionError" in debug.stderr and "Traceback" in debug.stderr
