"""The battery for names and command-line values: names that cannot shadow, replacing a store only
with ``--force`` (naming the results it makes stale), every numeric option checked at the boundary
with its range, a closed stdout pipe ending quietly, and ``--data-url`` leaving the environment alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.cli import EXIT_BROKEN_PIPE, main
from harness.store import StoreWriter, open_store
from tests.conftest import run_cli
from tests.reliability.helpers import ROOT, fails_cleanly, tiny_store
from tests.reliability.sources import csv_folder

RUN = ("--quiet", "--bootstrap", "20", "--folds", "2")


@pytest.fixture
def home(tmp_path) -> dict[str, str]:
    """A HARNESS_HOME and default result folder of the test's own."""
    return {"HARNESS_HOME": str(tmp_path / "home"), "HARNESS_RESULTS": str(tmp_path / "results")}


def _stores(env: dict[str, str]) -> Path:
    return Path(env["HARNESS_HOME"]) / "stores"


def _csv_source(folder: Path, ages: list[float]) -> tuple[Path, Path]:
    source = csv_folder(folder / "csv", records=len(ages))
    labels = folder / "labels.csv"
    labels.write_text("record,age\n" + "".join(f"r{i},{a}\n" for i, a in enumerate(ages)))
    return source, labels


def _import(source: Path | str, labels: Path | str, name: str, *extra: str) -> list[str]:
    return ["data", "import", "csv", str(source), "--labels", str(labels), "--name", name, "--fs", "64",
            "--modality", "ppg", *extra]


# -- one rule for names ------------------------------------------------------------------------------
def test_a_folder_named_like_the_default_dataset_does_not_shadow_it(tmp_path, home, monkeypatch):
    """The issue's case: `harness run` in a folder holding `synthetic-ppg/` opened that folder."""
    tiny_store(_stores(home) / "synthetic-ppg")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "synthetic-ppg").mkdir()
    (tmp_path / "synthetic-ppg" / "notes.txt").write_text("my notes, not a store")
    code, _, err = run_cli("run", "--encoder", "handcrafted", "--task", "age", "--output", "out",
                           "--bootstrap", "20", env=home)
    assert code == 0, err
    assert f"dataset 'synthetic-ppg': the registered dataset, its store at {_stores(home) / 'synthetic-ppg'}" in err
    result = json.loads((tmp_path / "out" / "synthetic-ppg" / "handcrafted" / "age.json").read_text())
    assert result["dataset"]["resolved"] == {"given": "synthetic-ppg", "as": "registered",
                                             "location": str(_stores(home) / "synthetic-ppg")}
    # ./NAME is the folder, and says so
    fails_cleanly(["run", "--encoder", "handcrafted", "--task", "age", "--dataset", "./synthetic-ppg", *RUN],
                  code=2, needles=["not a readable zarr v3 store", str(tmp_path / "synthetic-ppg")], env=home)


def test_a_stored_name_wins_over_a_folder_of_that_name(tmp_path, home, monkeypatch):
    tiny_store(_stores(home) / "mine")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    code, _, err = run_cli("run", "--encoder", "handcrafted", "--task", "age", "--dataset", "mine",
                           "--output", "out", "--bootstrap", "20", env=home)
    assert code == 0, err
    assert f"dataset 'mine': the imported store at {_stores(home) / 'mine'}" in err
    result = json.loads(next((tmp_path / "out").rglob("age.json")).read_text())
    assert result["dataset"]["resolved"]["as"] == "imported"
    assert result["dataset"]["path"] == str(_stores(home) / "mine")


def test_an_unknown_name_with_a_folder_of_that_name_says_how_to_open_the_folder(tmp_path, home, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "recordings").mkdir()
    fails_cleanly(["run", "--encoder", "handcrafted", "--task", "age", "--dataset", "recordings", *RUN], code=2,
                  needles=["unknown dataset 'recordings'", "pass ./recordings"], env=home)
    fails_cleanly(["data", "info", "recordings"], code=2, needles=["pass ./recordings"], env=home)


def test_data_info_and_validate_take_a_name_before_a_folder(tmp_path, home, monkeypatch):
    tiny_store(_stores(home) / "mine")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    code, out, err = run_cli("data", "validate", "mine", env=home)
    assert code == 0 and f"ok: {_stores(home) / 'mine'} is a valid store" in out, err
    code, out, err = run_cli("data", "info", "mine", "--json", env=home)
    assert code == 0 and json.loads(out)["path"] == str(_stores(home) / "mine"), err


def test_an_import_cannot_take_a_registered_name(tmp_path, home):
    source, labels = _csv_source(tmp_path, [30, 40, 50, 60])
    fails_cleanly(_import(source, labels, "synthetic-ppg"), code=2,
                  needles=["'synthetic-ppg' is the registered dataset of plugin 'synthetic'", "another --name"],
                  protect=[tmp_path], env=home)
    assert not (_stores(home) / "synthetic-ppg").exists()


@pytest.mark.parametrize(("name", "needle"), [
    ("x" * 65, "65 characters long (at most 64)"),
    ("my/data", "not a usable dataset name"),
    (".hidden", "not a usable dataset name"),
    ("cohort.zarr", "not a usable dataset name"),
])
def test_import_names_follow_one_pattern(tmp_path, home, name, needle):
    source, labels = _csv_source(tmp_path, [30, 40])
    fails_cleanly(_import(source, labels, name), code=2, needles=["--name", needle, "letters, digits"],
                  protect=[tmp_path], env=home)


# -- replacing a store ------------------------------------------------------------------------------
def test_reimport_needs_force_and_names_the_results_it_makes_stale(tmp_path, home):
    source, labels = _csv_source(tmp_path, [30, 40, 50, 60, 70, 35, 45, 55])
    code, _, err = run_cli(*_import(source, labels, "mine"), env=home)
    assert code == 0, err
    store = _stores(home) / "mine"
    results = Path(home["HARNESS_RESULTS"])
    code, _, err = run_cli("run", "--encoder", "handcrafted", "--task", "age", "--dataset", "mine",
                           "--output", str(results), *RUN, env=home)
    assert code == 0, err
    scored = results / "mine" / "handcrafted" / "age.json"
    revision = open_store(store).revision
    fails_cleanly(_import(source, labels, "mine"), code=2,
                  needles=[f"a store already exists at {store} (revision {revision})",
                           f"1 result file(s) recorded its revision: {scored}", "pass --force"],
                  protect=[store, results], env=home)
    labels.write_text(labels.read_text().replace("r0,30", "r0,31"))  # a new revision
    code, _, err = run_cli(*_import(source, labels, "mine", "--force"), env=home)
    assert code == 0, err
    assert open_store(store).revision != revision
    assert err.startswith("warning: replaced") and f"{scored}" in err and "are now stale" in err


def test_rebuild_needs_force_and_an_identical_rebuild_makes_nothing_stale(tmp_path, home):
    out = tmp_path / "s.zarr"
    build = ["data", "build", "synthetic-ppg", "--participants", "4", "--segments-per-participant", "1",
             "--output", str(out), "--quiet"]
    code, _, err = run_cli(*build, env=home)
    assert code == 0, err
    fails_cleanly(build, code=2, needles=["`harness data build` would replace it", "pass --force"],
                  protect=[out], env=home)
    before = open_store(out).revision
    code, _, err = run_cli(*build, "--force", env=home)
    assert code == 0 and open_store(out).revision == before, err
    assert "identical store" in err and "no result is stale" in err


def test_a_folder_that_is_not_a_store_is_not_deleted_without_force(tmp_path, home):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "keep.txt").write_text("precious")
    fails_cleanly(["data", "build", "synthetic-ppg", "--participants", "4", "--output", str(folder), "--quiet"],
                  code=2, needles=["is not a readable store", "it would be deleted"], protect=[folder], env=home)


# -- option values ----------------------------------------------------------------------------------
SEED_RANGE = "an integer in 0..2147483647"


@pytest.mark.parametrize(("args", "needles"), [
    (("run", "--encoder", "prior", "--task", "age", "--seed", "-1"), ["--seed", "-1 is too small", SEED_RANGE]),
    (("run", "--encoder", "prior", "--task", "age", "--seed", "4294967296"), ["4294967296 is too large", SEED_RANGE]),
    (("run", "--encoder", "prior", "--task", "age", "--seed", "seven"), ["invalid int value", SEED_RANGE]),
    (("compare", "a", "b", "--task", "age", "--seed", "-1"), ["harness compare", SEED_RANGE]),
    (("compare", "a", "b", "--task", "age", "--bootstrap", "50"), ["--bootstrap", "an integer in 100..100000"]),
    (("run", "--encoder", "prior", "--task", "age", "--folds", "1"), ["--folds", "an integer in 2..1000"]),
    (("run", "--encoder", "prior", "--task", "age", "--bootstrap", "5"), ["--bootstrap", "10..100000"]),
    (("run", "--encoder", "prior", "--task", "age", "--bootstrap", "10000000000"), ["too large"]),
    (("run", "--encoder", "prior", "--task", "age", "--batch-size", "0"), ["--batch-size", "1..1000000"]),
    (("data", "build", "synthetic-ppg", "--participants", "-3"), ["--participants", "too small", "2..1000000"]),
    (("data", "build", "synthetic-ppg", "--seed", "-1"), ["--seed", SEED_RANGE]),
    (("data", "build", "synthetic-ppg", "--segments-per-participant", "0"), ["--segments-per-participant"]),
    (("pretrain", "--encoder", "ahms-ppg", "--dataset", "x", "--lr", "nan"), ["--lr", "finite number > 0"]),
    (("pretrain", "--encoder", "ahms-ppg", "--dataset", "x", "--momentum", "1.5"), ["--momentum", "[0, 1]"]),
    (("pretrain", "--encoder", "ahms-ppg", "--dataset", "x", "--holdout-fraction", "1"), ["[0, 1)"]),
    (("pretrain", "--encoder", "ahms-ppg", "--dataset", "x", "--seed", "-1"), [SEED_RANGE]),
    (("pretrain", "--encoder", "ahms-ppg", "--dataset", "x", "--lr-decay-steps", "0,5"), ["'0,5': 0 is too small"]),
    (("pretrain", "--encoder", "ahms-ppg", "--dataset", "x", "--lr-decay-steps", "5,x"), ["invalid int value: 'x'"]),
    (("suite", "compare", "x", "rerun", "--tolerance", "-0.1"), ["--tolerance", "finite number >= 0"]),
], ids=lambda v: " ".join(v) if isinstance(v, tuple) else None)
def test_option_values_outside_their_range_are_usage_errors(home, args, needles):
    fails_cleanly(args, code=2, needles=needles, env=home)


@pytest.mark.parametrize("fs", ["nan", "0", "-64", "inf", "-inf", "1e9"])
def test_import_rates_must_be_finite_and_positive(tmp_path, home, fs):
    source, labels = _csv_source(tmp_path, [30, 40])
    args = _import(source, labels, "mine")
    at = args.index("--fs")
    args[at:at + 2] = [f"--fs={fs}"]  # '--fs -inf' would read '-inf' as an option
    fails_cleanly(args, code=2, needles=["--fs", "a finite number of Hz in (0, 1000000]"], protect=[tmp_path],
                  env=home)
    assert not (_stores(home) / "mine").exists()


def test_the_largest_seed_runs_a_classification_task(tmp_path, home):
    """Inner CV adds the fold number to the seed: the largest accepted seed must still be valid there."""
    store = tiny_store(tmp_path / "s.zarr")
    code, _, err = run_cli("run", "--encoder", "prior", "--task", "sex", "--dataset", str(store), "--seed",
                           "2147483647", "--output", str(tmp_path / "out"), "--quiet", "--bootstrap", "20", env=home)
    assert code == 0, err
    result = json.loads(next((tmp_path / "out").rglob("sex.json")).read_text())
    assert result["config"]["seed"] == 2147483647


# -- a reader that stops early ------------------------------------------------------------------------
@pytest.mark.parametrize("args", [("data", "list"), ("data", "info", "STORE"), ("list", "tasks")])
def test_a_closed_stdout_pipe_ends_quietly(tmp_path, home, args):
    """`harness data info X | head -2`: the reader is gone before the output is written."""
    store = tiny_store(tmp_path / "s.zarr")
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "harness", *[str(store) if a == "STORE" else a for a in args]],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, env={**os.environ, **home},
                              cwd=ROOT, timeout=120)
    finally:
        os.close(write_end)
    assert proc.returncode == EXIT_BROKEN_PIPE and proc.stderr == "", proc.stderr


# -- --data-url is passed down, not put in the environment ----------------------------------------------
def test_data_url_is_passed_down_without_touching_the_environment(tmp_path, home, monkeypatch):
    for key, value in home.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("HARNESS_DATA_URL", raising=False)
    root = tmp_path / "bucket"
    assert main(["data", "build", "synthetic-ppg", "--participants", "6", "--segments-per-participant", "1",
                 "--data-url", str(root), "--quiet"]) == 0
    assert "HARNESS_DATA_URL" not in os.environ
    assert open_store(root / "synthetic-ppg").n_participants == 6 and not (_stores(home) / "synthetic-ppg").exists()
    assert main(["run", "--encoder", "prior", "--task", "age", "--dataset", "synthetic-ppg", "--data-url",
                 str(root), "--output", str(tmp_path / "out"), *RUN]) == 0
    assert "HARNESS_DATA_URL" not in os.environ
    result = json.loads(next((tmp_path / "out").rglob("age.json")).read_text())
    assert result["dataset"]["path"] == str(root / "synthetic-ppg")


# -- every store listed, with absolute sources -------------------------------------------------------
def test_data_list_shows_imported_stores_with_absolute_sources(tmp_path, home, monkeypatch):
    _csv_source(tmp_path, [30, 40, 50, 60])
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(*_import("csv", "labels.csv", "mine"), env=home)  # relative paths as typed
    assert code == 0, err
    store = open_store(_stores(home) / "mine")
    assert store.attrs["source"] == str(tmp_path / "csv")
    assert store.attrs["build"]["labels_csv"] == str(tmp_path / "labels.csv")
    code, out, err = run_cli("data", "list", env=home)
    assert code == 0, err
    row = next(line for line in out.splitlines() if line.startswith("mine "))
    assert "ppg" in row and "yes" in row and str(tmp_path / "csv") in row and "imported (CSV)" in row
    assert any(line.startswith("synthetic-ppg ") for line in out.splitlines())


def test_data_info_shows_relative_sources_of_older_imports_as_absolute(tmp_path, home, monkeypatch):
    (tmp_path / "recordings").mkdir()
    path = _stores(home) / "old"
    with StoreWriter(path, dataset="old", modality="ppg", fs=64.0, channel_names=["ppg"], samples=64,
                     units="a.u.", source="recordings", license="x",
                     build={"importer": "CSV", "labels_csv": "gone/labels.csv"}) as writer:
        writer.append(np.zeros((1, 1, 64)), ["p0"])
        writer.set_participants({"participant_id": ["p0"], "age": [40.0]})
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("data", "info", "old", "--json", env=home)
    assert code == 0, err
    info = json.loads(out)
    assert info["source"] == str(tmp_path / "recordings")
    assert info["build"]["labels_csv"] == "gone/labels.csv (relative to where it was imported)"


def test_options_module_is_the_one_place_for_ranges():
    """No subcommand declares a bare int/float option any more: every number goes through harness.options."""
    bare = []
    for path in sorted((ROOT / "harness" / "commands").glob("*.py")):
        text = path.read_text()
        bare += [f"{path.name}: {line.strip()}" for line in text.splitlines()
                 if "add_argument(" in line and ("type=int" in line or "type=float" in line)]
    assert not bare, bare


def test_suite_files_and_the_python_api_get_the_same_ranges(tmp_path, home):
    """A suite file is input too: `seed = -1` there is the same usage error, before any work."""
    from harness.errors import UsageError
    from harness.runner import RunConfig

    suites = tmp_path / "suites.toml"
    suites.write_text('[bad]\ndatasets = ["synthetic-ppg"]\nencoders = ["prior"]\ntasks = ["age"]\nseed = -1\n')
    fails_cleanly(["suite", "run", "bad", "--suites", suites, "--output", tmp_path / "out", "--quiet"], code=2,
                  needles=["seed -1 is refused", "0..2147483647"], env=home)
    assert not (_stores(home) / "synthetic-ppg").exists() and not (tmp_path / "out").exists()
    with pytest.raises(UsageError, match=r"folds 1 is refused \(1 is too small: use an integer in 2..1000\)"):
        RunConfig(encoders=["prior"], tasks=["age"], folds=1)
