import types

import pytest

from harness import EncoderSpec, LossSpec, TaskSpec, hookimpl
from harness.errors import PluginError, UsageError
from harness.plugins import PluginHost
from harness.registry import Registry


def _task(name):
    return TaskSpec(name=name, version=1, label="age", kind="regression", metric="mae")


def test_unknown_name_suggests_close_match():
    reg = Registry("encoders", EncoderSpec)
    with reg.providing("a"):
        reg.add(EncoderSpec(name="handcrafted", factory=object))
    with pytest.raises(UsageError, match="did you mean 'handcrafted'"):
        reg.get("handcraft")


def test_duplicate_names_name_both_providers():
    reg = Registry("tasks", TaskSpec)
    with reg.providing("first"):
        reg.add(_task("age"))
    with reg.providing("second"), pytest.raises(PluginError) as info:
        reg.add(_task("age"))
    assert "first" in str(info.value) and "second" in str(info.value)


def test_lazy_targets_resolve_once():
    reg = Registry("losses", LossSpec)
    entry = reg.add(LossSpec(name="join", factory="os.path:join", consumes="pairs"))
    import os.path

    assert entry.load() is os.path.join
    assert reg.load("join") is os.path.join


def _plugin(name, **hooks):
    module = types.ModuleType(name)
    for hook_name, fn in hooks.items():
        setattr(module, hook_name, hookimpl(fn))
    return module


def test_failing_registration_is_one_warning_and_others_survive():
    warnings = []
    host = PluginHost(warn=warnings.append, strict=False)

    def bad(registry):
        registry.add(_task("half"))
        raise RuntimeError("boom")

    def good(registry):
        registry.add(_task("fine"))

    host.register_module("bad", _plugin("bad", harness_register_tasks=bad))
    host.register_module("good", _plugin("good", harness_register_tasks=good))
    assert host.tasks.names() == ["fine"]  # the half-registered entry was removed
    assert len(warnings) == 1 and "bad" in warnings[0] and "boom" in warnings[0]


def test_strict_mode_turns_the_warning_into_a_failure():
    host = PluginHost(strict=True)

    def bad(registry):
        raise RuntimeError("boom")

    with pytest.raises(PluginError, match="boom"):
        host.register_module("bad", _plugin("bad", harness_register_tasks=bad))


def test_disabled_plugins_register_nothing():
    host = PluginHost(disabled=["off"])

    def reg(registry):
        registry.add(_task("x"))

    host.register_module("off", _plugin("off", harness_register_tasks=reg))
    assert host.tasks.names() == []
    assert host.plugins["off"].error == "disabled"


def test_duplicate_across_plugins_fails_naming_both():
    host = PluginHost(strict=False, warn=lambda line: None)

    def reg(registry):
        registry.add(_task("age"))

    host.register_module("one", _plugin("one", harness_register_tasks=reg))
    with pytest.raises(PluginError, match=r"one.*two"):
        host.register_module("two", _plugin("two", harness_register_tasks=reg))


def test_observer_hooks_are_called_by_keyword_and_failures_do_not_propagate():
    seen = []
    warnings = []
    host = PluginHost(warn=warnings.append, strict=False)

    def harness_result(result):
        seen.append(result["x"])

    def harness_run_end(run, results):
        raise ValueError("observer bug")

    host.register_module("obs", _plugin("obs", harness_result=harness_result, harness_run_end=harness_run_end))
    host.notify("harness_result", result={"x": 1})
    host.notify("harness_run_end", run={}, results=[])
    assert seen == [1]
    assert any("observer bug" in w for w in warnings)


def test_builtin_plugins_register_through_entry_points():
    host = PluginHost().load_entry_points()
    assert {"tasks", "synthetic", "baselines", "ahms"} <= set(host.plugins)
    assert "age" in host.tasks and "sex" in host.tasks
    for info in host.plugins.values():
        assert info.error is None, f"built-in plugin {info.name} failed: {info.error}"
