"""The bad-input battery, part 1: names, source files, damaged stores, odd signals, dataset sizes, labels.

Every case runs the real CLI and checks: exit code 2 (bad input) or 1 (runtime fault), stderr is one
line ``error: <problem>; <fix>``, no traceback (but ``--debug`` shows one), and the workspace's store,
previous result and embedding cache are byte-identical afterwards (see ``fails_cleanly``).
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import zarr

from tests.conftest import run_cli
from tests.reliability.helpers import assert_one_line_error, fails_cleanly, snapshot, tiny_store
from tests.reliability.sources import corrupt_member, csv_folder, ppgbp_zip, wfdb_folder


# -- names ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("encoder", "task", "dataset", "needle"), [
    ("handcraftd", "age", None, "did you mean 'handcrafted'"),
    ("handcrafted", "agee", None, "unknown task 'agee'"),
    ("handcrafted", "age", "no-such-dataset", "unknown dataset 'no-such-dataset'"),
    ("handcrafted", "bmi", None, "needs label 'bmi'"),
], ids=["unknown-encoder", "unknown-task", "unknown-dataset", "task-label-missing"])
def test_unknown_names_and_missing_labels(ws, encoder, task, dataset, needle):
    fails_cleanly(ws.run_args("--encoder", encoder, "--task", task, "--dataset", dataset or str(ws.store)),
                  code=2, needles=[needle], protect=ws.protected, env=ws.env)


def test_dataset_path_that_is_not_a_store(ws, tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "notes.txt").write_text("not a store")
    fails_cleanly(ws.run_args("--encoder", "handcrafted", "--task", "age", "--dataset", tmp_path / "folder"),
                  code=2, needles=["not a readable zarr v3 store"], protect=ws.protected, env=ws.env)


# -- source files --------------------------------------------------------------------------------------
def _build_ppgbp(ws, source, out):
    return ["data", "build", "ppg-bp", "--source", str(source), "--output", str(out), "--quiet"]


def test_ppgbp_from_an_empty_folder(ws, tmp_path):
    (tmp_path / "empty").mkdir()
    fails_cleanly(_build_ppgbp(ws, tmp_path / "empty", tmp_path / "pb.zarr"), code=2,
                  needles=["no PPG-BP segment files"], protect=ws.protected, env=ws.env)
    assert not (tmp_path / "pb.zarr").exists()


def test_ppgbp_from_a_missing_path(ws, tmp_path):
    fails_cleanly(_build_ppgbp(ws, tmp_path / "nowhere.zip", tmp_path / "pb.zarr"), code=2,
                  needles=["does not exist"], protect=ws.protected, env=ws.env)


def test_ppgbp_from_a_truncated_zip_keeps_the_existing_store(ws, tmp_path):
    archive = ppgbp_zip(tmp_path / "ppgbp.zip")
    out = tmp_path / "pb.zarr"
    code, _, err = run_cli(*_build_ppgbp(ws, archive, out), env=ws.env)
    assert code == 0, err
    data = archive.read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    fails_cleanly([*_build_ppgbp(ws, truncated, out), "--force"], code=2, needles=["neither a folder nor a zip"],
                  protect=[*ws.protected, out], env=ws.env)


def test_ppgbp_from_a_zip_with_a_damaged_member(ws, tmp_path):
    archive = ppgbp_zip(tmp_path / "ppgbp.zip")
    corrupt_member(archive, "Data File/0_subject/2_1.txt")
    fails_cleanly(_build_ppgbp(ws, archive, tmp_path / "pb.zarr"), code=2, needles=["2_1.txt", "damaged"],
                  protect=ws.protected, env=ws.env)
    assert not (tmp_path / "pb.zarr").exists()


def test_wfdb_import_with_a_truncated_dat(ws, tmp_path):
    folder = wfdb_folder(tmp_path / "wfdb", tmp_path / "labels.csv")
    dat = folder / "r2.dat"
    dat.write_bytes(dat.read_bytes()[:1001])
    fails_cleanly(["data", "import", "wfdb", folder, "--labels", tmp_path / "labels.csv", "--name", "mine",
                   "--output", tmp_path / "w.zarr"], code=2, needles=["record r2"], protect=ws.protected,
                  env=ws.env)
    assert not (tmp_path / "w.zarr").exists()


def test_wfdb_import_of_an_empty_folder(ws, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "labels.csv").write_text("record,age\nr0,30\n")
    fails_cleanly(["data", "import", "wfdb", tmp_path / "empty", "--labels", tmp_path / "labels.csv",
                   "--name", "mine", "--output", tmp_path / "w.zarr"], code=2, needles=["no WFDB records"],
                  protect=ws.protected, env=ws.env)


@pytest.mark.parametrize(("labels", "needle"), [
    ("record,age\nr0,30\nr1,forty\nr2,50\nr3,60\n", "label 'age' is not numeric for records r1"),
    ("record,sex\nr0,M\nr1,F\nr2,X\nr3,F\n", "sex of records r2"),
], ids=["text-in-age", "unknown-sex-code"])
def test_csv_import_with_labels_of_the_wrong_type(ws, tmp_path, labels, needle):
    folder = csv_folder(tmp_path / "csv")
    (tmp_path / "labels.csv").write_text(labels)
    fails_cleanly(["data", "import", "csv", folder, "--labels", tmp_path / "labels.csv", "--name", "mine",
                   "--fs", "64", "--modality", "ppg", "--output", tmp_path / "c.zarr"], code=2,
                  needles=[needle], protect=ws.protected, env=ws.env)


# -- damaged stores --------------------------------------------------------------------------------------
def _chunk_files(store, array):
    return sorted(p for p in (store / array).rglob("*") if p.is_file() and p.name != "zarr.json")


def _missing_signal_chunk(store):
    _chunk_files(store, "signal")[0].unlink()


def _corrupt_signal_chunk(store):
    path = _chunk_files(store, "signal")[0]
    path.write_bytes(b"\x00garbage" * 64)


def _wrong_format_version(store):
    meta = json.loads((store / "zarr.json").read_text())
    meta["attributes"]["format_version"] = 99
    (store / "zarr.json").write_text(json.dumps(meta))


def _mismatched_lengths(store):
    zarr.open_group(str(store), mode="r+")["n_samples"].resize((5,))


def _missing_lengths_chunk(store):
    _chunk_files(store, "n_samples")[0].unlink()


def _nan_in_valid_samples(store):
    group = zarr.open_group(str(store), mode="r+")
    segment = group["signal"][3]
    segment[0, 100] = np.nan
    group["signal"][3] = segment


def _inf_in_valid_samples(store):
    group = zarr.open_group(str(store), mode="r+")
    segment = group["signal"][5]
    segment[1, 10:20] = np.inf
    group["signal"][5] = segment


DAMAGE = {
    "missing-chunk": (_missing_signal_chunk, "segment 0", "NaN or inf inside its valid samples"),
    "corrupt-chunk": (_corrupt_signal_chunk, "unreadable chunk", "unreadable chunk"),
    "wrong-format-version": (_wrong_format_version, "format version 99", "format version 99"),
    "mismatched-lengths": (_mismatched_lengths, "'n_samples' has 5 entries", "'n_samples' has 5 entries"),
    "missing-lengths-chunk": (_missing_lengths_chunk, "segment lengths outside", "n_samples has values outside"),
    "nan-in-signal": (_nan_in_valid_samples, "segment 3", "segment 3 holds NaN or inf"),
    "inf-in-signal": (_inf_in_valid_samples, "segment 5", "segment 5 holds NaN or inf"),
}


@pytest.fixture(params=sorted(DAMAGE))
def damaged(request, tmp_path):
    damage, run_needle, validate_needle = DAMAGE[request.param]
    store = tiny_store(tmp_path / "damaged.zarr")
    damage(store)
    return store, run_needle, validate_needle


def test_run_refuses_a_damaged_store(ws, damaged):
    store, needle, _ = damaged
    fails_cleanly(ws.run_args("--encoder", "handcrafted", "--task", "age", "--dataset", store), code=2,
                  needles=[needle], protect=[*ws.protected, store], env=ws.env)
    assert not (ws.results / "damaged").exists()


def test_validate_names_the_damage(ws, damaged):
    """``data validate`` is a report: problems on stdout, one error line on stderr, exit 2 (no traceback
    to show, so --debug changes nothing)."""
    store, _, needle = damaged
    before = snapshot(store)
    code, out, err = run_cli("data", "validate", str(store), env=ws.env)
    assert_one_line_error(code, err, 2, ["is not valid", "harness data build"])
    assert needle in out and out.startswith("problem: ")
    assert snapshot(store) == before


# -- odd signals that are still data --------------------------------------------------------------------
@pytest.mark.parametrize("encoder", ["handcrafted", "random-init"])
@pytest.mark.parametrize("fill", ["constant", "all-zero"])
def test_constant_and_all_zero_signals_embed_finite(ws, tmp_path, encoder, fill):
    """Flat segments are valid input: z-scoring maps them to zeros (never NaN) and the probe still runs."""
    store = tiny_store(tmp_path / "flat.zarr")
    group = zarr.open_group(str(store), mode="r+")
    if fill == "constant":
        group["signal"][0:6] = 3.0
    else:
        group["signal"][:] = 0.0
    code, _, err = run_cli(*ws.run_args("--encoder", encoder, "--task", "age", "--dataset", str(store),
                                        "--output", str(tmp_path / "out")), env=ws.env)
    assert code == 0, err
    result = json.loads(next((tmp_path / "out").rglob("age.json")).read_text())
    assert np.isfinite(result["scores"]["mae"]["value"]) and result["counts"]["participants"] == 16


def test_wrong_rate_channels_and_window_are_adapted_and_recorded(ws, tmp_path):
    """1 channel at 100 Hz, 10 s, into an encoder wanting 4 channels at 64 Hz in 60 s windows."""
    store = tiny_store(tmp_path / "odd.zarr", fs=100.0, channels=1)
    code, _, err = run_cli(*ws.run_args("--encoder", "random-init", "--task", "age", "--dataset", str(store),
                                        "--output", str(tmp_path / "out")), env=ws.env)
    assert code == 0, err
    policy = json.loads(next((tmp_path / "out").rglob("age.json")).read_text())["config"]["input_adaptation"]
    assert policy["source_fs"] == 100.0 and policy["target_fs"] == 64.0
    assert policy["channels"] == "1 channel(s) repeated to 4"
    assert policy["window_samples"] == 3840 and policy["short_policy"] == "pad"


def test_a_recording_too_short_to_embed(ws, tmp_path):
    store = tiny_store(tmp_path / "short.zarr", seconds=0.1)
    fails_cleanly(ws.run_args("--encoder", "handcrafted", "--task", "age", "--dataset", store), code=2,
                  needles=["less than 1 s of signal", "segment 0"], protect=[*ws.protected, store], env=ws.env)


# -- dataset sizes and label content -----------------------------------------------------------------------
def test_empty_dataset(ws, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "labels.csv").write_text("record,age\n")
    fails_cleanly(["data", "import", "csv", tmp_path / "empty", "--labels", tmp_path / "labels.csv", "--name",
                   "none", "--fs", "64", "--modality", "ppg", "--output", tmp_path / "e.zarr"], code=2,
                  needles=["no CSV records"], protect=ws.protected, env=ws.env)


@pytest.mark.parametrize("count", ["0", "1"])
def test_synthetic_cohort_too_small(ws, tmp_path, count):
    fails_cleanly(["data", "build", "synthetic-ppg", "--participants", count, "--output", tmp_path / "s.zarr"],
                  code=2, needles=["too small"], protect=ws.protected, env=ws.env)


def test_single_participant(ws, tmp_path):
    store = tiny_store(tmp_path / "one.zarr", participants=1, segments=3)
    fails_cleanly(ws.run_args("--encoder", "handcrafted", "--task", "age", "--dataset", store), code=2,
                  needles=["1 labelled participants"], protect=[*ws.protected, store], env=ws.env)


def test_single_class(ws, tmp_path):
    store = tiny_store(tmp_path / "women.zarr", labels={"sex": np.ones(16)})
    fails_cleanly(ws.run_args("--encoder", "handcrafted", "--task", "sex", "--dataset", store), code=2,
                  needles=["only one class"], protect=[*ws.protected, store], env=ws.env)


def test_label_that_is_all_missing(ws, tmp_path):
    store = tiny_store(tmp_path / "noage.zarr", labels={"age": np.full(16, np.nan)})
    fails_cleanly(ws.run_args("--encoder", "handcrafted", "--task", "age", "--dataset", store), code=2,
                  needles=["0 labelled participants"], protect=[*ws.protected, store], env=ws.env)


def test_bad_command_line_values(ws, tmp_path):
    fails_cleanly(["data", "build", "synthetic-ppg", "--participants", "many"], code=2,
                  needles=["invalid int value"], protect=ws.protected, env=ws.env)
    fails_cleanly(["data", "build", "synthetic-ppg", "--option", "fs500", "--output", tmp_path / "x.zarr"],
                  code=2, needles=["KEY=VALUE"], protect=ws.protected, env=ws.env)


def test_existing_store_survives_a_failed_rebuild(ws, tmp_path):
    """A failing build aimed at an existing store leaves that store as it was."""
    store = tmp_path / "kept.zarr"
    shutil.copytree(ws.store, store)
    fails_cleanly(["data", "build", "ppg-bp", "--source", tmp_path / "nothing", "--output", store], code=2,
                  needles=["does not exist"], protect=[*ws.protected, store], env=ws.env)
