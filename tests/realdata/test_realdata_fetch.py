"""Fetch against a local HTTP server: resume after an interruption, checksum mismatch, per-file lists."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import zipfile
from pathlib import Path

import pytest

from harness.cards import load_card, parse_card
from harness.errors import DataError, HarnessError
from harness.fetch import fetch


class _Server:
    """Serves ``files`` (path -> bytes) with Range support; ``cut[path] = n`` drops the connection
    after n bytes once, as a flaky network would."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.cut: dict[str, int] = {}
        self.ranges: list[str | None] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                data = outer.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                header = self.headers.get("Range")
                outer.ranges.append(header)
                start = int(header.split("=")[1].split("-")[0]) if header else 0
                body = data[start:]
                self.send_response(206 if header else 200)
                if header:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                limit = outer.cut.pop(self.path, None)
                self.wfile.write(body if limit is None else body[:limit])
                if limit is not None:
                    self.wfile.flush()
                    self.close_connection = True

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = _Server()
    yield srv
    srv.close()


def _fake_ppgbp_zip() -> bytes:
    """A tiny PPG-BP-shaped archive (two subjects), enough for fetch and the builder's file finding."""
    import numpy as np
    import pandas as pd

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        rng = np.random.default_rng(0)
        for subject in (2, 3):
            for k in (1, 2, 3):
                values = "\t".join(f"{v:.1f}" for v in 2000 + rng.integers(-50, 50, 2100)) + "\t"
                zf.writestr(f"Data File/0_subject/{subject}_{k}.txt", values)
        sheet = pd.DataFrame({"Num.": [1, 2], "subject_ID": [2, 3], "Sex(M/F)": ["Female", "Male"],
                              "Age(year)": [45, 60], "Height(cm)": [160, 175], "Weight(kg)": [50, 80],
                              "Systolic Blood Pressure(mmHg)": [120, 150],
                              "Diastolic Blood Pressure(mmHg)": [80, 95], "Heart Rate(b/m)": [70, 80],
                              "BMI(kg/m^2)": [19.5, 26.1], "Hypertension": ["Normal", "Stage 1 hypertension"],
                              "Diabetes": [None, "Type 2 Diabetes"], "cerebral infarction": [None, None],
                              "cerebrovascular disease": [None, "cerebrovascular disease"]})
        xlsx = io.BytesIO()
        with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
            sheet.to_excel(writer, sheet_name="cardiovascular dataset", startrow=1, index=False)
        zf.writestr("Data File/PPG-BP dataset.xlsx", xlsx.getvalue())
    return buf.getvalue()


def _card(url: str, **download) -> object:
    data = {"name": "ppg-bp", "title": "t", "modality": "ppg", "homepage": "h", "license": "l",
            "citation": "c", "split_unit": "subject", "labels": {"age": {"meaning": "age", "kind": "numeric"}},
            "downloads": [{"url": url, "filename": "PPG-BP.zip", **download}]}
    return parse_card(data)


def test_fetch_resumes_an_interrupted_download_and_verifies(server, tmp_path):
    payload = _fake_ppgbp_zip()
    server.files["/ppg.zip"] = payload
    server.cut["/ppg.zip"] = len(payload) // 3
    card = _card(f"{server.url}/ppg.zip", sha256=hashlib.sha256(payload).hexdigest())
    with pytest.raises(HarnessError, match="run the same command again to resume"):
        fetch(card, tmp_path)
    part = tmp_path / "PPG-BP.zip.part"
    partial = part.stat().st_size
    assert 0 < partial < len(payload) and not (tmp_path / "PPG-BP.zip").exists()
    path = fetch(card, tmp_path)
    assert server.ranges[-1] == f"bytes={partial}-"  # the second request continued, not restarted
    assert path.read_bytes() == payload and not part.exists()


def test_checksum_mismatch_removes_the_file(server, tmp_path):
    server.files["/ppg.zip"] = b"not the release"
    card = _card(f"{server.url}/ppg.zip", sha256="0" * 64)
    with pytest.raises(DataError, match="bad file is removed") as info:
        fetch(card, tmp_path)
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_no_published_checksum_needs_a_pin_or_explicit_consent(server, tmp_path):
    payload = b"x" * 1000
    server.files["/f.zip"] = payload
    card = _card(f"{server.url}/f.zip")
    with pytest.raises(DataError, match="publishes no checksum"):
        fetch(card, tmp_path)
    assert server.ranges == []  # refused before downloading anything
    assert fetch(card, tmp_path / "a", sha256=hashlib.sha256(payload).hexdigest()).read_bytes() == payload
    assert fetch(card, tmp_path / "b", allow_unverified=True).read_bytes() == payload


def test_per_file_checksum_list_is_checked_against_archive_members(server, tmp_path):
    buf = io.BytesIO()
    members = {"rel-1.0/a.csv": b"1,2\n", "rel-1.0/records/r1.dat": b"\x00\x01" * 50}
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    sums = "".join(f"{hashlib.sha256(d).hexdigest()}  {n.split('/', 1)[1]}\n" for n, d in members.items())
    server.files["/rel.zip"] = buf.getvalue()
    server.files["/SHA256SUMS.txt"] = sums.encode()
    card = _card(f"{server.url}/rel.zip", checksum_list=f"{server.url}/SHA256SUMS.txt")
    assert fetch(card, tmp_path / "ok").exists()
    server.files["/SHA256SUMS.txt"] = sums.replace(sums[:4], "ffff", 1).encode()
    with pytest.raises(DataError, match="does not match its published sha256"):
        fetch(card, tmp_path / "bad")
    assert not any((tmp_path / "bad").iterdir())


def test_fetch_then_build_through_the_cli(server, tmp_path):
    from harness.store import open_store
    from tests.conftest import run_cli

    payload = _fake_ppgbp_zip()
    server.files["/ppg.zip"] = payload
    code, out, err = run_cli("data", "fetch", "ppg-bp", "--url", f"{server.url}/ppg.zip", "--sha256",
                             hashlib.sha256(payload).hexdigest(), "--quiet")
    assert code == 0, err
    store = open_store(out.strip().split("-> ")[-1])
    assert (store.n_participants, store.n_segments) == (2, 6)
    assert store.participants.loc["3", "hypertension"] == 1.0 and store.participants.loc["2", "sex"] == 1.0


def test_cards_load_and_validate():
    for name in ("ppg-bp", "ptb-xl", "cinc2017"):
        card = load_card(name)
        assert card.name == name and card.downloads and card.labels and card.license and card.split_unit
        assert all(label.kind in ("numeric", "binary", "categorical") for label in card.labels.values())
        assert all(d.url.startswith("https://") for d in card.downloads)
    with pytest.raises(DataError, match="required field 'license'"):
        parse_card({"name": "x"} | {k: "v" for k in ("title", "modality", "homepage", "citation",
                                                      "split_unit")})
    with pytest.raises(DataError, match="label 'age' has kind 'number'"):
        parse_card({"name": "x", "title": "t", "modality": "ecg", "homepage": "h", "license": "l",
                    "citation": "c", "split_unit": "s", "downloads": [{"url": "u"}],
                    "labels": {"age": {"meaning": "m", "kind": "number"}}})
    bad = Path(load_card("ppg-bp").path).parent / "does-not-exist"
    with pytest.raises(HarnessError, match="no dataset card"):
        load_card(bad.name)


def test_cards_are_found_through_the_dataset_registry():
    """Each real dataset names its card, which is package data of the plugin (so wheels carry it)."""
    import harness_datasets.realdata
    from harness.cards import registered_cards

    cards = registered_cards()
    assert set(cards) >= {"ppg-bp", "ptb-xl", "cinc2017"}
    package_dir = Path(harness_datasets.realdata.__file__).parent
    for name in ("ppg-bp", "ptb-xl", "cinc2017"):
        assert cards[name].is_file() and package_dir in cards[name].parents
        assert load_card(name).path == cards[name]
