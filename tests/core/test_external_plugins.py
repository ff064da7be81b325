"""Third-party plugin packages are really installed (pip into a target folder) and used via the CLI."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _pip_install(package: str, target: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(FIXTURES / package)], check=True,
                   capture_output=True, text=True, timeout=180)


def _harness(*args: str, target: Path, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(target), **env}
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True,
                          env=full_env, timeout=300)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    _pip_install("demo_plugin", target)
    _pip_install("broken_plugin", target)
    return target


def test_installed_plugin_appears_and_runs(site, small_store, tmp_path):
    listed = _harness("list", "encoders", target=site)
    assert listed.returncode == 0, listed.stderr
    assert "demo-spectrum" in listed.stdout and "demo" in listed.stdout
    plugins = _harness("plugins", target=site)
    assert "harness-demo-plugin" in plugins.stdout and "1.2.3" in plugins.stdout
    run = _harness("run", "--encoder", "demo-spectrum", "--task", "age,demo-age-over-40", "--dataset",
                   str(small_store), "--output", str(tmp_path / "out"), "--quiet", "--bootstrap", "50",
                   target=site)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "small" / "demo-spectrum" / "demo-age-over-40.json").exists()


def test_broken_plugin_is_one_warning_line_and_the_cli_works(site):
    result = _harness("list", "tasks", target=site)
    assert result.returncode == 0
    warnings = [line for line in result.stderr.splitlines() if "broken" in line]
    assert len(warnings) == 1 and "harness-broken-plugin" in warnings[0] and "ImportError" in warnings[0]
    assert "age" in result.stdout


def test_strict_plugins_fails_on_the_broken_one(site):
    result = _harness("--strict-plugins", "list", "tasks", target=site)
    assert result.returncode == 1 and "broken" in result.stderr and "Traceback" not in result.stderr
    via_env = _harness("list", "tasks", target=site, HARNESS_STRICT_PLUGINS="1")
    assert via_env.returncode == 1


def test_disabling_a_plugin_by_name(site):
    result = _harness("--disable-plugin", "broken", "--disable-plugin", "demo", "list", "encoders", target=site)
    assert result.returncode == 0 and "broken" not in result.stderr and "demo-spectrum" not in result.stdout
