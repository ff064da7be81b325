"""Named entries (encoders, tasks, ...) with metadata, provider and lazy loading.

Shaped after lm-evaluation-harness's registry: a target may be an object or a lazy
``"module:attr"`` string, duplicate names fail naming both providers, and unknown names fail with
"did you mean".
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.errors import PluginError, UsageError


@dataclass
class Entry:
    """One registered thing: its name, what provides it, and how to get it."""

    kind: str
    name: str
    target: Any
    provider: str
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def load(self) -> Any:
        """Resolve a lazy ``"module:attr"`` target once; return the object."""
        if isinstance(self.target, str) and ":" in self.target:
            module_name, _, attr = self.target.partition(":")
            try:
                obj: Any = importlib.import_module(module_name)
                for part in attr.split("."):
                    obj = getattr(obj, part)
            except Exception as exc:
                raise PluginError(
                    f"{self.kind[:-1]} '{self.name}' from plugin '{self.provider}' cannot be loaded "
                    f"({type(exc).__name__}: {exc})", f"fix or disable the plugin '{self.provider}'"
                ) from exc
            self.target = obj
        return self.target


class Registry:
    """The entries of one kind. Plugins call :meth:`add`; the harness calls :meth:`get`."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}
        self._provider = "<unknown>"

    @contextlib.contextmanager
    def providing(self, provider: str) -> Iterator[Registry]:
        """Attribute every ``add`` inside the block to ``provider``."""
        previous, self._provider = self._provider, provider
        try:
            yield self
        finally:
            self._provider = previous

    def add(self, name: str, target: Any, **metadata: Any) -> Entry:
        """Register ``target`` under ``name``; a second provider of the same name is an error."""
        if not isinstance(name, str) or not name.strip():
            raise PluginError(f"plugin '{self._provider}' registered a {self.kind[:-1]} with an empty name",
                              "give every entry a non-empty name")
        if name in self._entries:
            other = self._entries[name].provider
            raise PluginError(
                f"{self.kind[:-1]} '{name}' is registered twice: by plugin '{other}' and by plugin "
                f"'{self._provider}'",
                f"rename one, or disable one with --disable-plugin {self._provider}",
            )
        entry = Entry(self.kind, name, target, self._provider, dict(metadata))
        self._entries[name] = entry
        return entry

    def remove_provider(self, provider: str) -> None:
        """Drop everything a provider added (used when its registration fails half-way)."""
        self._entries = {k: v for k, v in self._entries.items() if v.provider != provider}

    def get(self, name: str) -> Entry:
        try:
            return self._entries[name]
        except KeyError:
            raise UsageError(self.unknown_message(name), f"see `harness list {self.kind}`") from None

    def load(self, name: str) -> Any:
        return self.get(name).load()

    def unknown_message(self, name: str) -> str:
        message = f"unknown {self.kind[:-1]} '{name}'"
        close = difflib.get_close_matches(name, list(self._entries), n=3, cutoff=0.5)
        if close:
            message += f" (did you mean {' or '.join(repr(c) for c in close)}?)"
        elif self._entries:
            message += f" (known: {', '.join(sorted(self._entries))})"
        return message

    def names(self) -> list[str]:
        return sorted(self._entries)

    def entries(self) -> list[Entry]:
        return [self._entries[n] for n in self.names()]

    def by_provider(self, provider: str) -> list[str]:
        return sorted(n for n, e in self._entries.items() if e.provider == provider)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)
