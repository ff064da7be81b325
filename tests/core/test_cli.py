import json

import pytest

from tests.conftest import run_cli


def test_unknown_encoder_is_one_line_exit_2_with_suggestion(small_store):
    code, _, err = run_cli("run", "--encoder", "handcraftd", "--task", "age", "--dataset", str(small_store))
    assert code == 2
    assert err.count("\n") == 1 and "did you mean 'handcrafted'" in err and "Traceback" not in err


def test_unknown_task_and_dataset(small_store):
    code, _, err = run_cli("run", "--encoder", "prior", "--task", "ag", "--dataset", str(small_store))
    assert code == 2 and "unknown task 'ag'" in err
    code, _, err = run_cli("run", "--encoder", "prior", "--task", "age", "--dataset", "nope-dataset")
    assert code == 2 and "unknown dataset 'nope-dataset'" in err


def test_task_whose_label_is_missing_lists_the_labels(small_store):
    code, _, err = run_cli("run", "--encoder", "prior", "--task", "bmi", "--dataset", str(small_store))
    assert code == 2 and "lacks" in err and "age, sex" in err


def test_bad_option_is_a_usage_error():
    code, _, err = run_cli("run", "--encoder", "prior")
    assert code == 2 and "required" in err and err.count("\n") == 1


def test_run_writes_a_result_with_provenance(small_store, tmp_path):
    code, out, err = run_cli("run", "--encoder", "prior", "--task", "age,sex", "--dataset", str(small_store),
                             "--output", str(tmp_path / "out"), "--quiet", "--bootstrap", "100")
    assert code == 0, err
    assert "MAE" in out and "AUROC" in out and "95% CI" in out
    files = sorted((tmp_path / "out").rglob("*.json"))
    assert [f.name for f in files] == ["age.json", "sex.json"]
    result = json.loads(files[0].read_text())
    for key in ("schema_version", "encoder", "task", "dataset", "scores", "config", "counts", "environment",
                "timings", "training_overlap"):
        assert key in result
    assert result["dataset"]["revision"] and result["encoder"]["revision"]
    assert result["config"]["seed"] == 0 and result["config"]["input_adaptation"]["adapter"]
    assert result["environment"]["packages"]["torch"] and result["environment"]["device"] == "cpu"
    assert result["counts"]["participants"] == 30 and result["counts"]["segments"] == 90
    assert len(result["config"]["chosen_params"]) == 5


def test_second_run_reuses_the_embedding_cache(small_store, tmp_path):
    args = ("run", "--encoder", "handcrafted", "--dataset", str(small_store), "--output", str(tmp_path / "out"),
            "--quiet", "--bootstrap", "50")
    assert run_cli(*args, "--task", "age")[0] == 0
    assert run_cli(*args, "--task", "sex")[0] == 0
    sex = json.loads(next((tmp_path / "out").rglob("sex.json")).read_text())
    assert sex["timings"]["embedding_cache_hit"] is True


def test_list_and_plugins_commands():
    code, out, _ = run_cli("list", "tasks")
    assert code == 0 and "age-over-50" in out and "hypertension" in out
    code, out, _ = run_cli("plugins")
    assert code == 0 and "tasks" in out and "0.1.0" in out
    code, out, _ = run_cli("plugins", "--json")
    assert {p["name"] for p in json.loads(out)} >= {"tasks", "ahms", "baselines", "synthetic"}


def test_data_validate_and_info(small_store):
    code, out, _ = run_cli("data", "validate", str(small_store))
    assert code == 0 and "valid" in out
    code, out, _ = run_cli("data", "info", str(small_store), "--json")
    info = json.loads(out)
    assert info["participants"] == 30 and info["labels"]["sex"]["kind"] == "binary"


def test_debug_shows_the_traceback(small_store):
    code, _, err = run_cli("--debug", "run", "--encoder", "nope", "--task", "age", "--dataset", str(small_store))
    assert code == 2 and "Traceback" in err


@pytest.mark.parametrize("flag", ["--batch-size", "--folds"])
def test_nonsense_numbers_are_refused(flag, small_store):
    code, _, err = run_cli("run", "--encoder", "prior", "--task", "age", "--dataset", str(small_store), flag, "0")
    assert code == 2 and flag in err


def test_encoder_needing_labels_the_dataset_lacks(tmp_path):
    import numpy as np

    from harness.store import StoreWriter

    with StoreWriter(tmp_path / "nolabels.zarr", dataset="nolabels", modality="ecg", fs=100.0, channel_names=["I"],
                     samples=300, units="mV", source="t", license="x") as writer:
        for p in range(12):
            writer.append(np.random.default_rng(p).standard_normal((1, 1, 300)), [f"p{p}"])
        writer.set_participants({"participant_id": [f"p{p}" for p in range(12)], "af": [p % 2 for p in range(12)]})
    code, _, err = run_cli("run", "--encoder", "demographics", "--task", "af", "--dataset",
                           str(tmp_path / "nolabels.zarr"), "--output", str(tmp_path / "out"))
    assert code == 2 and "needs one of the labels age, sex, bmi" in err and err.count("\n") == 1
    code, _, err = run_cli("run", "--encoder", "demographics,prior", "--task", "af", "--dataset",
                           str(tmp_path / "nolabels.zarr"), "--output", str(tmp_path / "out"), "--skip-unsuitable",
                           "--quiet", "--bootstrap", "20", "--folds", "3")
    assert code == 0, err
    assert [p.parent.name for p in (tmp_path / "out").rglob("*.json")] == ["prior"]
