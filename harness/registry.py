"""Named entries (encoders, tasks, ...): a typed spec, its provider, and lazy loading.

Shaped after lm-evaluation-harness's registry: each entry is a typed spec (:mod:`harness.specs`) checked
when it is added, a factory may be an object or a lazy ``"module:attr"`` string, duplicate names fail
naming both providers, and unknown names fail with "did you mean".
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.errors import PluginError, UsageError
from harness.specs import SpecError, resolve_target


@dataclass
class Entry:
    """One registered spec and the plugin that provided it."""

    kind: str
    spec: Any
    provider: str
    _resolved: Any = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return str(self.spec.name)

    def load(self) -> Any:
        """The spec's factory (a lazy ``"module:attr"`` string resolved once), or the spec itself for data kinds."""
        if not hasattr(self.spec, "factory"):
            return self.spec
        if self._resolved is None:
            try:
                self._resolved = resolve_target(self.spec.factory)
            except PluginError as exc:
                raise PluginError(f"{self.kind[:-1]} '{self.name}' from plugin '{self.provider}' cannot be loaded "
                                  f"({exc.problem})", f"fix or disable the plugin '{self.provider}'") from exc
        return self._resolved


class Registry:
    """The entries of one kind. Plugins call :meth:`add` with a spec; the harness calls :meth:`get`."""

    def __init__(self, kind: str, spec_type: type | None = None) -> None:
        self.kind = kind
        self.spec_type = spec_type
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

    def add(self, spec: Any) -> Entry:
        """Register a spec; it is validated now, and a second provider of the same name is an error."""
        noun = self.kind[:-1].replace("_", " ")
        if self.spec_type is not None and not isinstance(spec, self.spec_type):
            raise SpecError(f"plugin '{self._provider}' registered a {type(spec).__name__} as a {noun}",
                            f"register a harness.{self.spec_type.__name__}")
        name = getattr(spec, "name", None)
        if not isinstance(name, str) or not name.strip():
            raise SpecError(f"plugin '{self._provider}' registered a {noun} with an empty name",
                            "give every entry a non-empty name")
        validate = getattr(spec, "validate", None)
        if callable(validate):
            validate()
        if name in self._entries:
            other = self._entries[name].provider
            raise PluginError(
                f"{noun} '{name}' is registered twice: by plugin '{other}' and by plugin "
                f"'{self._provider}'",
                f"rename one, or disable one with --disable-plugin {self._provider}",
            )
        entry = Entry(self.kind, spec, self._provider)
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

    def spec(self, name: str) -> Any:
        return self.get(name).spec

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
