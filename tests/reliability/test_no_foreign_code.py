"""No foreign code from files: weights only from safetensors, cards and configs parsed as data.

A static scan of the code base (harness/ and plugins/) for calls that can execute code stored in a
file: ``torch.load`` without ``weights_only=True``, ``pickle``/``dill``/``joblib``/``cloudpickle`` loads,
``np.load(allow_pickle=True)``, ``yaml.load`` without a safe loader, ``eval``/``exec``. Download
checksums are tested in tests/realdata/test_realdata_fetch.py (mismatch deletes the file; a card
without a checksum needs an explicit pin or consent).
"""

from __future__ import annotations

import ast

import pytest

from tests.reliability.helpers import ROOT

SCANNED = sorted(p for folder in ("harness", "plugins") for p in (ROOT / folder).rglob("*.py"))
UNSAFE_MODULE_LOADS = {("pickle", "load"), ("pickle", "loads"), ("dill", "load"), ("dill", "loads"),
                       ("joblib", "load"), ("cloudpickle", "load"), ("cloudpickle", "loads"),
                       ("pickle", "Unpickler"), ("marshal", "loads"), ("shelve", "open")}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Name):
        return node.id
    return "?"


def _keyword(call: ast.Call, name: str):
    for kw in call.keywords:
        if kw.arg == name and isinstance(kw.value, ast.Constant):
            return kw.value.value
    return None


def unsafe_calls(source: str) -> list[str]:
    """Calls in ``source`` that could run code stored in a file, as ``line: call`` strings."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module in {"pickle", "dill", "cloudpickle", "marshal"}:
            found.append(f"{node.lineno}: from {node.module} import ...")
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        parts = tuple(name.rsplit(".", 1)) if "." in name else ("", name)
        if name in ("torch.load",) and _keyword(node, "weights_only") is not True:
            found.append(f"{node.lineno}: torch.load without weights_only=True")
        elif parts in UNSAFE_MODULE_LOADS:
            found.append(f"{node.lineno}: {name}")
        elif name in ("np.load", "numpy.load") and _keyword(node, "allow_pickle") is True:
            found.append(f"{node.lineno}: {name}(allow_pickle=True)")
        elif name == "yaml.load" and "Safe" not in ast.unparse(node):
            found.append(f"{node.lineno}: yaml.load without SafeLoader")
        elif name in ("eval", "exec"):
            found.append(f"{node.lineno}: {name}")
    return found


def test_the_scan_catches_what_it_looks_for():
    bad = ("import pickle, torch, numpy as np, yaml\npickle.load(f)\ntorch.load(p)\ntorch.load(p, weights_only=False)\n"
           "np.load(p, allow_pickle=True)\nyaml.load(s)\neval(s)\nfrom pickle import loads\n")
    assert len(unsafe_calls(bad)) == 7
    assert unsafe_calls("import torch, numpy as np\ntorch.load(p, weights_only=True)\nnp.load(p)\n") == []


@pytest.mark.parametrize("path", SCANNED, ids=[str(p.relative_to(ROOT)) for p in SCANNED])
def test_no_code_runs_from_files(path):
    assert unsafe_calls(path.read_text()) == [], f"{path.relative_to(ROOT)} can execute code from a file"


def test_cards_and_suites_are_parsed_as_toml_data():
    """Dataset cards and suites go through tomllib (data only); checkpoints' configs through json."""
    for module in ("harness/cards.py", "harness/suites.py"):
        text = (ROOT / module).read_text()
        assert "tomllib.loads(" in text and "import yaml" not in text
    checkpoint = (ROOT / "harness/pretrain/checkpoint.py").read_text()
    assert "json.loads(" in checkpoint and "safetensors" in checkpoint


def test_a_card_with_code_looking_values_stays_text(tmp_path):
    from harness.cards import load_card

    marker = tmp_path / "PWNED"
    payload = f"__import__('os').system('touch {marker}')"
    card = tmp_path / "evil.toml"
    card.write_text(f'''name = "evil"
title = "{payload}"
modality = "ppg"
license = "CC0-1.0"
homepage = "https://example.org"
citation = "none"
split_unit = "participant"

[[downloads]]
url = "https://example.org/evil.zip"
filename = "evil.zip"
sha256 = "{'0' * 64}"

[labels.age]
meaning = "age in years"
kind = "numeric"
''')
    loaded = load_card(card)
    assert loaded.title == payload and not marker.exists()
