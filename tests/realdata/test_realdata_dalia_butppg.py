"""PPG-DaLiA and BUT PPG builders on small releases the tests write in the official layouts (no real
recordings here: these are fixture-only checks), their quirks, and window-level tasks run end to end."""

from __future__ import annotations

import hashlib
import io
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

import harness
from harness.catalog import build_dataset
from harness.errors import DataError
from harness.store import open_store, validate_store

BVP_FS, ECG_FS, ACT_FS = 64, 700, 4
GENDERS = [" m", " f", " m", " f", " f", " m", " m"]


def _dalia_subject(number: int, seconds: int, rng: np.random.Generator) -> dict:
    """One S#.pkl dict as the release holds it: a pulse whose rate follows a slow trajectory."""
    t = np.arange(seconds * BVP_FS) / BVP_FS
    hr_of_t = 70 + 35 * np.sin(2 * np.pi * t / (40 + 5 * number)) + 10 * rng.random()
    phase = 2 * np.pi * np.cumsum(hr_of_t / 60) / BVP_FS
    bvp = (np.sin(phase) + 0.05 * rng.standard_normal(t.size))[:, None]
    te = np.arange(seconds * ECG_FS) / ECG_FS
    ecg = np.sin(2 * np.pi * np.cumsum(np.interp(te, t, hr_of_t) / 60) / ECG_FS) ** 15
    n_labels = (bvp.shape[0] - 512) // 128 + 1
    label = np.array([hr_of_t[128 * j: 128 * j + 512].mean() for j in range(n_labels)])
    activity = (np.arange(seconds * ACT_FS) // (20 * ACT_FS) % 9).astype(float)[:, None]  # 20 s each; 0 = transient
    chest = {"ACC": np.zeros((te.size, 3)), "ECG": ecg[:, None], "Resp": np.zeros((te.size, 1))}
    return {"signal": {"chest": chest,
                       "wrist": {"ACC": np.zeros((seconds * 32, 3)), "BVP": bvp,
                                 "EDA": np.zeros((seconds * 4, 1)), "TEMP": np.zeros((seconds * 4, 1))}},
            "label": label, "activity": activity, "rpeaks": np.arange(10),
            "questionnaire": {"AGE": 20 + 3 * number, "Gender": GENDERS[number - 1], "HEIGHT": 160.0 + number,
                              "WEIGHT": 60.0 + 2 * number, "SKIN": 3, "SPORT": 4},
            "subject": f"S{number}"}


def _dalia_release(root: Path, subjects: int = 7) -> Path:
    rng = np.random.default_rng(0)
    rel = root / "PPG_FieldStudy"
    for n in range(1, subjects + 1):
        folder = rel / f"S{n}"
        folder.mkdir(parents=True)
        seconds = 40 if n == 6 else 90  # S6's recording is the short one
        (folder / f"S{n}.pkl").write_bytes(pickle.dumps(_dalia_subject(n, seconds, rng), protocol=2))
        (folder / f"S{n}_quest.csv").write_text(f"# SUBJECT_ID,S{n}\n# AGE,{20 + 3 * n}\n")
        (folder / f"S{n}_activity.csv").write_text("# SUBJECT_ID,S1\n# BASELINE,0\n")
    return rel


def test_dalia_windows_labels_and_quirks(tmp_path):
    rel = _dalia_release(tmp_path)
    store = open_store(build_dataset("ppg-dalia", source=rel, output=tmp_path / "s", progress=False))
    assert validate_store(store.path) == []
    assert (store.fs, store.samples, store.channel_names) == (64.0, 512, ["BVP"])
    counts = store.attrs["build"]["windows_per_subject"]
    assert counts["S1"] == (90 * 64 - 512) // 128 + 1 == 42 and counts["S6"] == (40 * 64 - 512) // 128 + 1 == 17
    assert store.segment_labels == ["hr-window", "activity"]
    assert store.segment_label_categories("activity")[0] == "sitting"
    # window j of S1 is BVP[128 j: 128 j + 512] and carries label[j]
    s1 = pickle.loads((rel / "S1" / "S1.pkl").read_bytes())
    rows = np.flatnonzero(store.participant_ids == "S1")
    np.testing.assert_allclose(store.read(rows[3], rows[3] + 1)[0, 0], s1["signal"]["wrist"]["BVP"][384:896, 0],
                               rtol=1e-6)
    np.testing.assert_allclose(store.segment_label("hr-window")[rows], s1["label"], rtol=1e-6)
    assert store.t_start[rows[3]] == 6.0
    act = store.segment_label("activity")[rows]
    assert np.isnan(act[0])  # the first 20 s are id 0 (transient): no activity label
    assert act[12] == 0.0  # window 12 covers 24-32 s, all id 1 (sitting) -> code 0
    table = store.participants
    assert table.loc["S1", "sex"] == 0.0 and table.loc["S2", "sex"] == 1.0  # ' m' / ' f'
    assert table.loc["S1", "bmi"] == pytest.approx(62 / 1.61 ** 2)
    archive = Path(shutil.make_archive(str(tmp_path / "rel"), "zip", root_dir=tmp_path, base_dir=rel.name))
    zipped = open_store(build_dataset("ppg-dalia", source=archive, output=tmp_path / "z", progress=False))
    assert zipped.revision == store.revision


def test_builders_pass_the_dataset_conformance_check(tmp_path):
    from harness.plugins import get_host
    from harness.testing import check_dataset

    datasets = get_host().datasets
    check_dataset(datasets.spec("ppg-dalia"), source=_dalia_release(tmp_path / "d", subjects=2), workdir=tmp_path)
    check_dataset(datasets.spec("but-ppg"), source=_butppg_release(tmp_path / "b")[0], workdir=tmp_path)


def test_dalia_ecg_variant_uses_the_same_windows(tmp_path):
    rel = _dalia_release(tmp_path, subjects=2)
    store = open_store(build_dataset("ppg-dalia-ecg", source=rel, output=tmp_path / "e", progress=False))
    assert validate_store(store.path) == []
    assert (store.modality, store.fs, store.samples) == ("ecg", 700.0, 5600)
    assert store.attrs["build"]["windows_per_subject"] == {"S1": 42, "S2": 42}


class _Boom:
    def __reduce__(self):
        import os

        return (os.system, ("touch PWNED-dsetsa",))


def test_a_pickle_that_names_code_is_refused_and_never_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rel = _dalia_release(tmp_path, subjects=1)
    (rel / "S1" / "S1.pkl").write_bytes(pickle.dumps({"signal": _Boom()}, protocol=2))
    refused = r"S1\.pkl is not a plain NumPy pickle \(global (posix|os)\.system is not allowed\)"
    with pytest.raises(DataError, match=refused):
        build_dataset("ppg-dalia", source=rel, output=tmp_path / "s", progress=False)
    assert not (tmp_path / "PWNED-dsetsa").exists() and not (tmp_path / "s").exists()


def _recording_splits(monkeypatch) -> list[tuple[set, set]]:
    from harness import segment_probe

    seen: list[tuple[set, set]] = []
    real = segment_probe._splitters

    class Recording:
        def __init__(self, inner):
            self.inner = inner

        def get_n_splits(self, *args, **kwargs):
            return self.inner.get_n_splits(*args, **kwargs)

        def split(self, x, y, groups):
            for train, test in self.inner.split(x, y, groups):
                seen.append((set(groups[train]), set(groups[test])))
                yield train, test

    monkeypatch.setattr(segment_probe, "_splitters", lambda *a: Recording(real(*a)))
    return seen


def test_hr_window_and_activity_tasks_run_on_dalia_with_participant_disjoint_folds(tmp_path, monkeypatch):
    from tests.conftest import run_cli

    rel = _dalia_release(tmp_path)
    path = build_dataset("ppg-dalia", source=rel, output=tmp_path / "s", progress=False)
    code, out, err = run_cli("run", "--encoder", "handcrafted", "--task", "hr-window", "--dataset", str(path),
                             "--folds", "3", "--bootstrap", "50", "--output", str(tmp_path / "cli"), "--quiet")
    assert code == 0, err
    assert "handcrafted · hr-window" in out and "(n=7 participants, 269 segments)" in out
    seen = _recording_splits(monkeypatch)
    results = harness.evaluate(encoders=["handcrafted"], tasks=["hr-window", "activity-sitting"],
                               dataset=str(path), output=tmp_path / "r", folds=3, bootstrap=50, progress=False)
    assert seen and all(not (train & test) for train, test in seen)
    hr, sitting = results
    assert hr.counts.participants == 7 and hr.counts.segments == 6 * 42 + 17
    assert hr.scores["mae"].value < 12  # the pulse rate is in the windows; a constant guess is ~22 bpm off
    assert sitting.counts.extra["positive_segments"] > 0 and 0 <= sitting.scores["auroc"].value <= 1


# -- BUT PPG --------------------------------------------------------------------------------------
SUBJECTS = ("100", "101", "112", "113", "114", "115", "116")


def _write_ppg(folder: Path, rid: str, trace: np.ndarray, *, swapped: bool, channels: int) -> None:
    import wfdb

    folder.mkdir(parents=True, exist_ok=True)
    if swapped:  # the release-1 defect: '<ID>_PPG 300 30 1' and 300 signal lines for one 300-sample signal
        (folder / f"{rid}_PPG.dat").write_bytes(np.round(trace * 1000).astype("<i2").tobytes())
        lines = [f"{rid}_PPG {trace.size} 30 1"] + [f"{rid}_PPG.dat 16 1000(0)/NU 16 0 0 0 0 PPG"] * trace.size
        (folder / f"{rid}_PPG.hea").write_text("\n".join(lines) + "\n")
        return
    signal = np.stack([trace * (1 - 0.3 * c) for c in range(channels)], axis=1)
    wfdb.wrsamp(f"{rid}_PPG", fs=30, units=["NU"] * channels, sig_name=["R", "G", "B"][:channels],
                p_signal=signal, fmt=["16"] * channels, adc_gain=[1000.0] * channels, baseline=[0] * channels,
                write_dir=str(folder))


def _butppg_release(root: Path) -> tuple[Path, dict[str, tuple[float, float, np.ndarray]]]:
    rng = np.random.default_rng(1)
    rel = root / "butppg-2.0.0"
    rel.mkdir(parents=True)
    truth: dict[str, tuple[float, float, np.ndarray]] = {}
    quality = ["ID,Quality,HR"]
    info = ["ID,Gender,Age,Height,Weight,Ear/finger,Motion,Blood pressure,Glycaemia,SpO2"]
    t = np.arange(300) / 30
    for k, subject in enumerate(SUBJECTS):
        release1 = int(subject) < 112
        for r in range(1, 7):
            rid = f"{subject}{r:03d}"
            good = float(r % 2)
            hr = float(rng.uniform(55, 140))
            noise = 0.05 if good else 1.5
            trace = np.sin(2 * np.pi * hr / 60 * t) + noise * rng.standard_normal(t.size)
            _write_ppg(rel / rid, rid, trace, swapped=release1 and r <= 3, channels=1 if release1 else 3)
            (rel / rid / f"{rid}_ECG.hea").write_text(f"{rid}_ECG 1 1000 10000\n")
            truth[rid] = (good, hr, trace)
            quality.append(f"{rid},{int(good)},{hr:.1f}")
            gender = "F" if k % 2 else "M"
            age = 30 + k if r < 6 else 31 + k  # a later record a year older: flagged, first row kept
            info.append(f"{rid},{gender},{age},{170 + k},{70 + k},{'E' if r == 2 else 'F'},0,,,")
    (rel / "quality-hr-ann.csv").write_bytes(("\ufeff" + "\r\n".join(quality) + "\r\n").encode("utf-8"))
    (rel / "subject-info.csv").write_bytes(("\ufeff" + "\r\n".join(info) + "\r\n").encode("utf-8"))
    return rel, truth


def test_butppg_records_labels_and_quirks(tmp_path):
    rel, truth = _butppg_release(tmp_path)
    store = open_store(build_dataset("but-ppg", source=rel, output=tmp_path / "s", progress=False))
    assert validate_store(store.path) == []
    assert (store.fs, store.samples, store.n_segments, store.n_participants) == (30.0, 300, 42, 7)
    assert sorted(set(store.participant_ids.tolist())) == list(SUBJECTS)
    build = store.attrs["build"]
    assert build["swapped_headers_read"] == ["100001", "100002", "100003", "101001", "101002", "101003"]
    assert build["subjects_with_differing_info"] == list(SUBJECTS)
    ids = [f"{p}{int(ts // 10):03d}" for p, ts in zip(store.participant_ids, store.t_start, strict=True)]
    for i in (0, 2, 14, 41):  # swapped header (release 1), normal release 1, release-2 RGB (red kept)
        good, hr, trace = truth[ids[i]]
        np.testing.assert_allclose(store.read(i, i + 1)[0, 0], trace, atol=1e-3)
        assert store.segment_label("quality")[i] == good
        assert store.segment_label("hr-window")[i] == pytest.approx(hr, abs=0.06)
    site = store.segment_label("site")
    assert store.segment_label_categories("site") == ["finger", "ear"] and site[1] == 1.0 and site[0] == 0.0
    table = store.participants
    assert table.loc["100", "age"] == 30 and table.loc["101", "sex"] == 1.0 and table.loc["100", "sex"] == 0.0
    assert table.loc["112", "bmi"] == pytest.approx(72 / 1.72 ** 2)


def test_signal_quality_task_runs_on_butppg_with_participant_disjoint_folds(tmp_path, monkeypatch):
    rel, _ = _butppg_release(tmp_path)
    path = build_dataset("but-ppg", source=rel, output=tmp_path / "s", progress=False)
    seen = _recording_splits(monkeypatch)
    (result,) = harness.evaluate(encoders=["handcrafted"], tasks=["signal-quality"], dataset=str(path),
                                 output=tmp_path / "r", folds=3, bootstrap=50, progress=False)
    assert seen and all(not (train & test) for train, test in seen)
    assert result.counts.participants == 7 and result.counts.segments == 42
    assert result.scores["auroc"].value > 0.8  # poor records are the noisy ones


def test_a_store_without_the_label_is_refused_in_one_line(tmp_path):
    from tests.conftest import run_cli

    rel, _ = _butppg_release(tmp_path)
    path = build_dataset("but-ppg", source=rel, output=tmp_path / "s", progress=False)
    code, _out, err = run_cli("run", "--encoder", "handcrafted", "--task", "activity-walking", "--dataset",
                              str(path), "--folds", "3", "--quiet")
    assert code == 2 and "needs segment label 'activity'" in err and len(err.strip().splitlines()) == 1


def test_butppg_fetch_checks_members_against_sha256sums(tmp_path):
    from harness.cards import load_card, parse_card
    from harness.fetch import fetch
    from tests.realdata.test_realdata_fetch import _Server

    rel, _ = _butppg_release(tmp_path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for file in sorted(rel.rglob("*")):
            if file.is_file():
                zf.write(file, f"{rel.name}/{file.relative_to(rel).as_posix()}")
    sums = "".join(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.relative_to(rel).as_posix()}\n"
                   for f in sorted(rel.rglob("*")) if f.is_file())
    server = _Server()
    try:
        server.files["/but.zip"] = buf.getvalue()
        server.files["/SHA256SUMS.txt"] = sums.encode()
        raw = dict(load_card("but-ppg").raw)
        raw["downloads"] = [{**raw["downloads"][0], "url": f"{server.url}/but.zip",
                             "checksum_list": f"{server.url}/SHA256SUMS.txt"}]
        archive = fetch(parse_card(raw), tmp_path / "dl")
    finally:
        server.close()
    store = open_store(build_dataset("but-ppg", source=archive, output=tmp_path / "z", progress=False))
    assert store.n_segments == 42 and validate_store(store.path) == []


def test_dalia_fetch_from_a_loopback_server_then_build_and_info(tmp_path):
    """UCI publishes no checksum: fetch takes a pinned --sha256; the fetched zip builds; info lists the
    segment labels."""
    from tests.conftest import run_cli
    from tests.realdata.test_realdata_fetch import _Server

    rel = _dalia_release(tmp_path, subjects=2)
    archive = Path(shutil.make_archive(str(tmp_path / "dalia"), "zip", root_dir=tmp_path, base_dir=rel.name))
    payload = archive.read_bytes()
    server = _Server()
    try:
        server.files["/dalia.zip"] = payload
        code, out, err = run_cli("data", "fetch", "ppg-dalia", "--url", f"{server.url}/dalia.zip", "--sha256",
                                 hashlib.sha256(payload).hexdigest(), "--quiet",
                                 env={"HARNESS_HOME": str(tmp_path / "home")})
    finally:
        server.close()
    assert code == 0, err
    built = out.strip().split("-> ")[-1]
    store = open_store(built)
    assert store.n_participants == 2 and store.segment_labels == ["hr-window", "activity"]
    code, out, err = run_cli("data", "info", built)
    assert code == 0, err
    assert "segment label: hr-window (numeric, 84 of 84 segments)" in out
    assert "activity (categorical" in out and "categories sitting, stairs" in out
