"""Build PPG-BP, PTB-XL (500-record subset) and CinC 2017 from the data directory and check them.

Skipped when the recordings are absent (HARNESS_REQUIRE_DATA=1 turns that into a failure).
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from harness.catalog import build_dataset
from harness.store import open_store, validate_store
from tests.conftest import real_data

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

FOLDERS = {"ppg-bp": "PPG-BP", "ptb-xl": "PTB-XL-subset500", "cinc2017": "CinC2017-AF"}


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Build each dataset at most once per session; maps name -> store path."""
    root = tmp_path_factory.mktemp("realdata-stores")
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            source = real_data(FOLDERS[name])
            cache[name] = build_dataset(name, source=source, output=root / name, progress=False)
        return cache[name]

    return get


def test_ppgbp_counts_labels_and_quirks(built):
    store = open_store(built("ppg-bp"))
    assert validate_store(store.path) == []
    assert (store.n_participants, store.n_segments, store.samples, store.fs) == (219, 649, 2100, 1000.0)
    build = store.attrs["build"]
    assert build["files"] == 657 and build["duplicates_dropped"] == 8 and build["cropped_to_2100"] == 2
    assert "23_3.txt = 24_1.txt" in build["duplicate_groups"]
    counts = dict(zip(*np.unique(store.participant_ids, return_counts=True)))
    assert counts["66"] == 2 and counts["23"] == 2 and counts["24"] == 2 and counts["2"] == 3
    table = store.participants
    assert int(table["sex"].sum()) == 115 and int(table["hypertension"].sum()) == 54
    assert int(table["diabetes"].sum()) == 38 and int(table["cerebrovascular_disease"].sum()) == 25
    assert table["hypertension_stage"].value_counts().to_dict() == {1.0: 85, 0.0: 80, 2.0: 34, 3.0: 20}
    first = np.loadtxt(real_data("PPG-BP") / "0_subject" / "231_1.txt")[:2100]
    index = int(np.flatnonzero(store.participant_ids == "231")[0])
    np.testing.assert_array_equal(store.read(index, index + 1)[0, 0], first.astype(np.float32))
    ds = store.to_xarray()
    assert ds["signal"].dims == ("segment", "channel", "time") and ds.sizes["participant"] == 219


def test_ptbxl_subset_patients_labels_and_signals(built):
    import wfdb

    store = open_store(built("ptb-xl"))
    assert validate_store(store.path) == []
    assert (store.n_segments, store.n_participants, store.fs, store.samples) == (500, 466, 100.0, 1000)
    assert store.channel_names[:3] == ["I", "II", "III"] and store.channel_names[-1] == "V6"
    table = store.participants
    assert int(table["sex"].sum()) == 251 - _female_duplicates()
    assert table["age"].max() <= 91 and table["strat_fold"].between(1, 10).all()
    assert table["af"].sum() > 0 and table["norm"].sum() > table["mi"].sum()
    both = table["height"].notna() & table["weight"].notna()
    assert table["bmi"].notna().sum() == both.sum()
    signal, _ = wfdb.rdsamp(str(real_data("PTB-XL-subset500") / "records100" / "00000" / "00001_lr"))
    index = int(np.flatnonzero(store.participant_ids == "15709")[0])
    np.testing.assert_allclose(store.read(index, index + 1)[0], signal.T, atol=1e-4)
    ds = store.to_xarray()
    assert ds.sizes["channel"] == 12


def _female_duplicates() -> int:
    """Women counted twice among the 500 records (patients with several records)."""
    import pandas as pd

    db = pd.read_csv(real_data("PTB-XL-subset500") / "ptbxl_database.csv")
    per_patient = db.groupby("patient_id")["sex"].agg(["first", "size"])
    return int(((per_patient["first"] == 1) * (per_patient["size"] - 1)).sum())


def test_cinc2017_counts_lengths_and_values(built):
    import scipy.io

    store = open_store(built("cinc2017"))
    assert validate_store(store.path, deep=False) == []
    assert store.n_segments == store.n_participants == 8528
    assert (store.fs, store.samples) == (300.0, 18286)
    table = store.participants
    assert table["rhythm_class"].value_counts().sort_index().tolist() == [5076, 758, 2415, 279]
    assert int(table["af"].sum()) == 758 and int(table["noisy"].sum()) == 279
    assert (table[["af", "normal", "other", "noisy"]].sum(axis=1) == 1).all()
    assert store.n_valid.min() == 2714 and store.n_valid.max() == 18286
    with zipfile.ZipFile(real_data("CinC2017-AF") / "training2017.zip") as zf:
        val = scipy.io.loadmat(io.BytesIO(zf.read("training2017/A00001.mat")))["val"][0] / 1000.0
    first = store.read(0, 1)[0, 0]
    np.testing.assert_allclose(first[: val.size], val, atol=1e-6)
    assert np.isnan(first[val.size:]).all() and store.n_valid[0] == val.size
    assert store.participant_ids[0] == "A00001"


def test_ppgbp_zip_and_folder_give_the_same_revision(built, tmp_path):
    folder = real_data("PPG-BP")
    archive = Path(shutil.make_archive(str(tmp_path / "PPG-BP"), "zip", root_dir=folder.parent,
                                       base_dir=folder.name))
    from_zip = open_store(build_dataset("ppg-bp", source=archive, output=tmp_path / "z", progress=False))
    assert from_zip.revision == open_store(built("ppg-bp")).revision
