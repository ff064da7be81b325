"""The bad-input battery, part 5: wrong scores must never be reported as success, and nothing is
skipped or ignored silently at run time.

Each case runs the real CLI. A refusal is one line, the right exit code, no traceback, and the
workspace's store, result and embedding cache unchanged (``fails_cleanly``); a case that runs says
what it did in one ``warning:`` line and in the result's ``diagnostics``.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import zarr

from harness import hookimpl
from harness.runner import RunConfig, Runner
from tests.conftest import run_cli
from tests.reliability.helpers import fails_cleanly, tiny_store

#: the smallest store a 5-fold probe accepts, for the cases that embed with random-init
SMALL = {"participants": 10, "segments": 1}


def _result(folder, encoder, task):
    return json.loads(next(folder.rglob(f"{encoder}/{task}.json")).read_text())


def test_float16_underflow_to_zero_embeddings_is_refused(ws, tmp_path):
    """random-init at --dtype float16 underflowed to exact zeros and reported the prior's scores, exit 0.
    The --debug re-run resumes the refused computation's progress and is refused again, unpublished."""
    store = tiny_store(tmp_path / "small.zarr", **SMALL)
    fails_cleanly(ws.run_args("--encoder", "random-init", "--task", "age", "--dataset", store,
                              "--dtype", "float16"), code=2,
                  needles=["random-init", "all-zero embeddings", "--dtype float32"],
                  protect=[*ws.protected, store], env=ws.env)


def test_1e30_amplitudes_score_like_unit_amplitudes(ws, tmp_path):
    """The float32 z-score overflowed (`overflow encountered in square`) and the input became zeros."""
    unit, huge = tiny_store(tmp_path / "unit.zarr", **SMALL), tiny_store(tmp_path / "huge.zarr", **SMALL)
    group = zarr.open_group(str(huge), mode="r+")
    group["signal"][:] = group["signal"][:] * np.float32(1e30)
    scores = []
    for store in (unit, huge):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code, _, err = run_cli(*ws.run_args("--encoder", "random-init", "--task", "age", "--dataset", str(store),
                                                "--no-cache", "--output", str(tmp_path / store.stem)), env=ws.env)
        assert code == 0 and "warning" not in err and "overflow" not in err, err
        assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], caught[:3]
        scores.append(_result(tmp_path / store.stem, "random-init", "age")["scores"]["mae"]["value"])
    assert abs(scores[0] - scores[1]) < 1e-3 * scores[0]


def test_prior_auroc_is_exactly_chance_with_a_degenerate_ci(ws, tmp_path):
    """The prior's per-fold predictions differed slightly: a spurious AUROC interval around 0.5."""
    code, _, err = run_cli(*ws.run_args("--encoder", "prior", "--task", "sex", "--dataset", str(ws.store),
                                        "--output", str(tmp_path)), env=ws.env)
    assert code == 0 and err == "", err
    result = _result(tmp_path, "prior", "sex")
    assert result["scores"]["auroc"] == {"value": 0.5, "ci_low": 0.5, "ci_high": 0.5}
    assert len(set(result["predictions"]["y_pred"])) == 1
    assert result["diagnostics"]["constant_predictions"] is True


def test_three_per_class_reports_degenerate_tuning_in_one_line(ws, tmp_path):
    """C at the grid's edge in every fold, for every encoder, under a flood of sklearn warnings."""
    sex = np.zeros(16)
    sex[:3] = 1
    store = tiny_store(tmp_path / "rare.zarr", labels={"sex": sex})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, _, err = run_cli(*ws.run_args("--encoder", "handcrafted", "--task", "sex", "--dataset", str(store),
                                            "--folds", "3", "--output", str(tmp_path / "out")), env=ws.env)
    assert code == 0, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: handcrafted · sex"), err
    assert "edge of its grid" in lines[0] and "library warnings" in lines[0]
    assert not [w for w in caught if "sklearn" in (w.filename or "")], caught[:3]
    diagnostics = _result(tmp_path / "out", "handcrafted", "sex")["diagnostics"]
    assert diagnostics["degenerate_tuning"]["parameter"] == "C"
    assert sum(diagnostics["library_warnings"].values()) > 0


def test_padded_records_warn_nothing(ws, tmp_path):
    """'Mean of empty slice' from the adapter on records padded beyond n_samples."""
    store = tiny_store(tmp_path / "padded.zarr")
    group = zarr.open_group(str(store), mode="r+")
    group["n_samples"][::2] = 320
    signal = group["signal"][:]
    signal[::2, :, 320:] = np.nan
    group["signal"][:] = signal
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, _, err = run_cli(*ws.run_args("--encoder", "handcrafted", "--task", "age", "--dataset", str(store),
                                            "--output", str(tmp_path / "out")), env=ws.env)
    assert code == 0, err
    assert not [w for w in caught if "empty slice" in str(w.message)]


def test_skip_unsuitable_names_each_skipped_task_and_why(ws, tmp_path):
    code, out, err = run_cli(*ws.run_args("--encoder", "handcrafted", "--task", "age,bmi", "--dataset",
                                          str(ws.store), "--skip-unsuitable", "--output", str(tmp_path)), env=ws.env)
    assert code == 0, err
    (line,) = err.splitlines()
    assert line.startswith("warning: skipped encoder 'handcrafted' on task 'bmi'") and "needs label 'bmi'" in line
    assert "handcrafted · age" in out


def test_skipped_tasks_are_in_the_run_report(ws, tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_HOME", str(ws.home))
    runner = Runner(RunConfig(encoders=["handcrafted"], tasks=["age", "bmi"], dataset=str(ws.store),
                              output=tmp_path, bootstrap=20, progress=False, skip_unsuitable=True))
    reports = []

    class Observer:
        @hookimpl
        def harness_run_end(self, run, results):
            reports.append(run)

    runner.host.pm.register(Observer(), name="observer")
    runner.run()
    (skip,) = reports[0]["skipped"]
    assert skip["task"] == "bmi" and skip["encoder"] == "handcrafted" and "needs label 'bmi'" in skip["reason"]


def test_checkpoint_for_an_encoder_without_weights_is_refused(ws, tmp_path):
    """--checkpoint was ignored by random-init but recorded as the result's provenance."""
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(b"\0" * 16)
    fails_cleanly(ws.run_args("--encoder", "random-init", "--task", "age", "--dataset", ws.store,
                              "--checkpoint", weights), code=2,
                  needles=["encoder 'random-init' loads no weights", "drop --checkpoint"], protect=ws.protected,
                  env=ws.env)


def test_skips_of_one_reason_are_one_line():
    """A suite skipping one task for several encoders, or one encoder on several tasks, says it once."""
    from harness.runner import skip_lines

    label = "task 'af' needs label 'af', which dataset 'ppg-bp' lacks"
    modality = "encoder 'ahms-ecg' takes ecg data, dataset 'ppg-bp' is ppg"
    skipped = [{"encoder": e, "task": "af", "dataset": "ppg-bp", "reason": label} for e in ("prior", "handcrafted")]
    skipped += [{"encoder": "ahms-ecg", "task": t, "dataset": "ppg-bp", "reason": modality} for t in ("age", "sex")]
    skipped += [{"encoder": "prior", "task": "af", "dataset": "cinc2017", "reason": "another"}]
    assert skip_lines(skipped) == [
        f"skipped encoders 'prior', 'handcrafted' on task 'af' (dataset 'ppg-bp'): {label}",
        f"skipped encoder 'ahms-ecg' on tasks 'age', 'sex' (dataset 'ppg-bp'): {modality}",
        "skipped encoder 'prior' on task 'af' (dataset 'cinc2017'): another"]
