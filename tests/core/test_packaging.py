"""A non-editable wheel carries everything a user needs: built-in plugins, dataset cards, weights."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _dependency_dir(tmp: Path) -> Path:
    """This environment's installed packages minus biosignal-harness itself (so the wheel is what runs)."""
    site = Path(sysconfig.get_paths()["purelib"])
    deps = tmp / "deps"
    deps.mkdir()
    ours = ("biosignal_harness", "__editable__", "harness", "harness_ahms", "harness_baselines", "harness_datasets",
            "harness_tasks")
    for item in site.iterdir():
        if item.name.startswith(ours) or item.suffix == ".pth":
            continue
        (deps / item.name).symlink_to(item)
    return deps


@pytest.mark.slow
def test_wheel_install_lists_and_runs_from_a_fresh_environment(tmp_path):
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                            "-w", str(wheels), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    wheel = next(wheels.glob("biosignal_harness-*.whl"))

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "deps.pth").write_text(str(_dependency_dir(tmp_path)) + "\n")
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                                "--no-index", str(wheel)], capture_output=True, text=True, timeout=600)
    if installed.returncode != 0:  # pip without --python support: install into the target directly
        installed = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                                    "--target", purelib, str(wheel)], capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr

    work = tmp_path / "elsewhere"  # not the checkout: nothing may be imported from the source tree
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["HARNESS_HOME"] = str(tmp_path / "home")
    where = subprocess.run(
        [str(python), "-c", "import harness, harness_ahms, harness_datasets.realdata as r, pathlib;"
         "print(harness.__file__); print(pathlib.Path(r.__file__).parent);"
         "print(pathlib.Path(harness_ahms.__file__).parent)"], cwd=work, env=env, capture_output=True, text=True)
    assert where.returncode == 0, where.stderr
    harness_file, realdata_dir, ahms_dir = (Path(line) for line in where.stdout.split())
    assert Path(purelib) in harness_file.parents and ROOT not in harness_file.parents
    assert {p.name for p in (realdata_dir / "cards").glob("*.toml")} >= {"ppg-bp.toml", "ptb-xl.toml", "cinc2017.toml"}
    assert (ahms_dir / "weights" / "ahms-ppg.safetensors").is_file()
    assert (Path(purelib) / "harness" / "py.typed").is_file()

    harness_cli = env_dir / "bin" / "harness"
    listed = subprocess.run([str(harness_cli), "data", "list"], cwd=work, env=env, capture_output=True, text=True,
                            timeout=300)
    assert listed.returncode == 0, listed.stderr
    assert "synthetic-ppg" in listed.stdout and "ptb-xl" in listed.stdout
    built_store = subprocess.run([str(harness_cli), "data", "build", "synthetic-ppg", "--participants", "30",
                                  "--quiet"], cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert built_store.returncode == 0, built_store.stderr
    run = subprocess.run([str(harness_cli), "run", "--encoder", "handcrafted", "--task", "age", "--dataset",
                          "synthetic-ppg", "--output", str(work / "results"), "--quiet", "--bootstrap", "50"],
                         cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert (work / "results" / "synthetic-ppg" / "handcrafted" / "age.json").is_file()
