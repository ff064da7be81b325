"""Typed specs: validated when a plugin registers them; a bad one costs one warning line naming plugin and field."""

from __future__ import annotations

import ast
import dataclasses
import re
import types
from pathlib import Path

import pytest

import harness
from harness import AugmentationSpec, DatasetSpec, EncoderSpec, InputSpec, LossSpec, RecipeSpec, SpecError, hookimpl
from harness.errors import PluginError
from harness.plugins import PluginHost, known_modalities
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]


def _plugin(name, **hooks):
    module = types.ModuleType(name)
    for hook_name, fn in hooks.items():
        setattr(module, hook_name, hookimpl(fn))
    return module


def _encoder(**overrides):
    return EncoderSpec(**{"name": "mine", "factory": "os.path:join", "kind": "baseline", **overrides})


@pytest.mark.parametrize(("overrides", "field"), [
    ({"kind": "magic"}, "kind"),
    ({"modalities": "ppg"}, "modalities"),
    ({"modalities": ("PPG",)}, "modalities"),
    ({"factory": 42}, "factory"),
    ({"embedding_dim": 0}, "embedding_dim"),
    ({"training_datasets": ["a"]}, "training_datasets"),
    ({"weights_sha256": "abc"}, "weights_sha256"),
    ({"input_specs": (InputSpec("ppg", channels=0, fs=64.0, window_s=10.0),)}, "input_specs[0].channels"),
    ({"modalities": ("ecg",), "input_specs": (InputSpec("ppg", 1, 64.0, 10.0),)}, "input_specs[0]"),
])
def test_bad_encoder_spec_names_the_field(overrides, field):
    with pytest.raises(SpecError, match="encoder 'mine' has an invalid spec: field '" + re.escape(field) + "'"):
        _encoder(**overrides).validate()


def test_bad_recipe_and_other_kinds_name_the_field():
    recipe = RecipeSpec(model="os.path:join", model_configs={"small": "x"}, pair_policy="participant",
                        losses={"infonce": {}}, augmentations=(), input_spec=InputSpec("ppg", 1, 64.0, 10.0))
    with pytest.raises(SpecError, match=r"field 'recipe\.model_configs'"):
        _encoder(recipe=recipe).validate()
    with pytest.raises(SpecError, match="field 'consumes'"):
        LossSpec(name="l", factory="os.path:join", consumes="views").validate()  # type: ignore[arg-type]
    with pytest.raises(SpecError, match="field 'defaults'"):
        AugmentationSpec(name="a", factory="os.path:join", defaults={"PPG!": {}}).validate()
    spec = DatasetSpec(name="d", modality="ppg", build="os.path:join", default_for=("ecg",))
    with pytest.raises(SpecError, match="field 'default_for'"):
        spec.validate()


def test_specs_are_frozen():
    spec = _encoder()
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "other"  # type: ignore[misc]


def test_a_bad_spec_is_one_warning_naming_plugin_and_field():
    warnings: list[str] = []
    host = PluginHost(warn=warnings.append, strict=False)

    def register(registry):
        registry.add(_encoder(name="fine"))
        registry.add(_encoder(name="broken", kind="magic"))

    host.register_module("sloppy", _plugin("sloppy", harness_register_encoders=register))
    assert len(warnings) == 1
    assert "plugin 'sloppy'" in warnings[0] and "encoder 'broken'" in warnings[0] and "field 'kind'" in warnings[0]
    assert "fine" not in host.encoders  # a plugin that fails half-way registers nothing of that kind
    strict = PluginHost(strict=True)
    with pytest.raises(PluginError, match="field 'kind'"):
        strict.register_module("sloppy", _plugin("sloppy", harness_register_encoders=register))


def test_registering_the_wrong_type_is_refused():
    warnings: list[str] = []
    host = PluginHost(warn=warnings.append, strict=False)

    def register(registry):
        registry.add({"name": "dict-task"})

    host.register_module("old-style", _plugin("old-style", harness_register_tasks=register))
    assert len(warnings) == 1 and "registered a dict as a task" in warnings[0] and "TaskSpec" in warnings[0]


def test_modalities_come_from_registered_specs():
    host = PluginHost(warn=lambda line: None).load_entry_points()
    assert {"ppg", "ecg"} <= known_modalities(host)

    def register(registry):
        registry.add(DatasetSpec(name="wrist-acc", modality="acc", build="os.path:join"))

    host.register_module("acc", _plugin("acc", harness_register_datasets=register))
    assert "acc" in known_modalities(host)


def test_every_dataset_lists_its_true_modality():
    code, out, _ = run_cli("list", "datasets")
    assert code == 0
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[2:] if line.strip()}
    host = PluginHost(warn=lambda line: None).load_entry_points()
    for entry in host.datasets.entries():
        assert rows[entry.name] == entry.spec.modality
    assert rows["ptb-xl"] == "ecg" and rows["ppg-bp"] == "ppg" and rows["synthetic-ppg"] == "ppg"


def _harness_imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) for every import of a harness module in a file."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "harness":
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names if alias.name.split(".")[0] == "harness"]
    return found


def test_builtin_plugins_use_only_the_public_api():
    """Built-ins are plugins like any other: they import names ``harness`` exports, never its internals."""
    offenders = []
    files = sorted((ROOT / "plugins").rglob("*.py")) + sorted((ROOT / "datasets").rglob("*.py"))
    assert files
    for path in files:
        for module, name in _harness_imports(path):
            if module != "harness" or name not in harness.__all__:
                offenders.append(f"{path.relative_to(ROOT)}: {module}{'.' + name if name else ''}")
    assert not offenders, "internal harness imports in built-in plugins:\n" + "\n".join(offenders)


def test_public_api_names_resolve():
    for name in harness.__all__:
        assert getattr(harness, name) is not None


def test_listing_encoders_imports_no_torch():
    """Specs are plain data and factories are lazy: listing what is installed loads no model code."""
    import subprocess
    import sys

    code = ("import sys; from harness.cli import main; main(['list', 'encoders']); "
            "print('torch' in sys.modules, 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-2:] == ["False", "False"]
