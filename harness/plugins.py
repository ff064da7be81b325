"""Finding, loading and reporting plugins.

Each entry point in the ``biosignal_harness`` group is imported on its own and each plugin's
registration hook is called on its own: a broken plugin costs one warning line naming its package and
error, and everything else keeps working. ``--strict-plugins`` / ``HARNESS_STRICT_PLUGINS=1`` turns the
warning into a failure. ``--disable-plugin NAME`` / ``HARNESS_DISABLE_PLUGINS=a,b`` skips plugins.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from types import ModuleType
from typing import Any

import pluggy

from harness import hookspecs
from harness.errors import PluginError
from harness.registry import Registry
from harness.settings import env_flag, env_list

ENTRY_POINT_GROUP = "biosignal_harness"


@dataclass
class PluginInfo:
    """What ``harness plugins`` reports for one plugin."""

    name: str
    module: str
    distribution: str | None
    version: str | None
    hooks: list[str] = field(default_factory=list)
    registers: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None


def spec_types() -> dict[str, type]:
    """The spec class each registry takes (one typed contract per plugin kind)."""
    from harness.datasets import DatasetSpec
    from harness.specs import AugmentationSpec, EncoderSpec, LossSpec, PairPolicySpec
    from harness.tasks import TaskSpec

    return {"encoders": EncoderSpec, "augmentations": AugmentationSpec, "losses": LossSpec,
            "pair_policies": PairPolicySpec, "tasks": TaskSpec, "datasets": DatasetSpec}


class PluginHost:
    """The loaded plugins and the registries they filled."""

    def __init__(self, *, disabled: list[str] | None = None, strict: bool | None = None,
                 warn=None) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.disabled = set(disabled or []) | set(env_list("HARNESS_DISABLE_PLUGINS"))
        self.strict = env_flag("HARNESS_STRICT_PLUGINS") if strict is None else strict
        self._warn = warn or (lambda line: print(f"warning: {line}", file=sys.stderr))
        self.registries: dict[str, Registry] = {k: Registry(k, spec_types()[k]) for k in hookspecs.REGISTRATION_HOOKS}
        self.plugins: dict[str, PluginInfo] = {}

    # -- loading ---------------------------------------------------------------------------------
    def _fail(self, info: PluginInfo, message: str, exc: BaseException | None = None) -> None:
        info.error = message
        package = info.distribution or info.module
        line = f"plugin '{info.name}' (package {package}) {message}"
        if self.strict:
            raise PluginError(line, "fix or uninstall the plugin, or run without --strict-plugins") from exc
        self._warn(f"{line} — skipped (use --strict-plugins to fail instead)")

    def load_entry_points(self) -> PluginHost:
        for ep in sorted(importlib_metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = getattr(ep, "dist", None)
            info = PluginInfo(ep.name, ep.value, dist.metadata["Name"] if dist else None,
                              dist.version if dist else None)
            if ep.name in self.plugins:
                continue
            self.plugins[ep.name] = info
            if ep.name in self.disabled:
                info.error = "disabled"
                continue
            try:
                module = ep.load()
            except Exception as exc:
                self._fail(info, f"failed to import: {type(exc).__name__}: {exc}", exc)
                continue
            self.register_module(ep.name, module, info)
        return self

    def register_module(self, name: str, module: ModuleType | Any, info: PluginInfo | None = None) -> None:
        """Register an already-imported plugin object (entry points and tests both come here)."""
        if info is None:
            mod_name = getattr(module, "__name__", repr(module))
            info = PluginInfo(name, mod_name, None, getattr(module, "__version__", None))
            self.plugins[name] = info
        if name in self.disabled:
            info.error = "disabled"
            return
        try:
            self.pm.register(module, name=name)
        except Exception as exc:
            self._fail(info, f"has invalid hooks: {exc}", exc)
            return
        info.hooks = sorted(impl_name for impl_name in dir(module) if impl_name.startswith("harness_"))
        for kind, hook_name in hookspecs.REGISTRATION_HOOKS.items():
            registry = self.registries[kind]
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                if impl.plugin_name != name:
                    continue
                try:
                    with registry.providing(name):
                        impl.function(registry=registry)
                except PluginError as exc:
                    registry.remove_provider(name)
                    if "registered twice" in exc.problem:
                        raise
                    self._fail(info, f"failed to register {kind}: {exc}", exc)
                except Exception as exc:
                    registry.remove_provider(name)
                    self._fail(info, f"failed to register {kind}: {type(exc).__name__}: {exc}", exc)
                names = registry.by_provider(name)
                if names:
                    info.registers[kind] = names

    # -- use ---------------------------------------------------------------------------------------
    @property
    def encoders(self) -> Registry:
        return self.registries["encoders"]

    @property
    def tasks(self) -> Registry:
        return self.registries["tasks"]

    @property
    def datasets(self) -> Registry:
        return self.registries["datasets"]

    @property
    def augmentations(self) -> Registry:
        return self.registries["augmentations"]

    @property
    def losses(self) -> Registry:
        return self.registries["losses"]

    @property
    def pair_policies(self) -> Registry:
        return self.registries["pair_policies"]

    def notify(self, hook_name: str, **kwargs: Any) -> None:
        """Call an observer hook by keyword; a failing observer is reported, never fatal."""
        hook = getattr(self.pm.hook, hook_name)
        for impl in hook.get_hookimpls():
            try:
                impl.function(**{k: kwargs[k] for k in impl.argnames if k in kwargs})
            except Exception as exc:
                if self.strict:
                    raise PluginError(f"plugin '{impl.plugin_name}' failed in {hook_name}: {exc}") from exc
                self._warn(f"plugin '{impl.plugin_name}' failed in {hook_name}: {type(exc).__name__}: {exc}")


_HOST: PluginHost | None = None


def get_host(*, disabled: list[str] | None = None, strict: bool | None = None,
             reload: bool = False) -> PluginHost:
    """The process-wide plugin host, loaded on first use."""
    global _HOST
    if _HOST is None or reload or disabled is not None or strict is not None:
        _HOST = PluginHost(disabled=disabled, strict=strict).load_entry_points()
    return _HOST


def known_modalities(host: PluginHost | None = None) -> set[str]:
    """Every modality a registered dataset, encoder, task or augmentation declares: plugins add modalities."""
    host = host or get_host()
    found: set[str] = set()
    for kind in ("datasets", "encoders", "tasks", "augmentations"):
        for entry in host.registries[kind].entries():
            spec = entry.spec
            found |= {spec.modality} if hasattr(spec, "modality") else set(getattr(spec, "modalities", ()))
    return found


def reset_host() -> None:
    global _HOST
    _HOST = None
