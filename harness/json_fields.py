"""Typed reads of the fields of a parsed JSON object, each failure naming the field's dotted path.

A result file is read by the leaderboard, paired comparisons, suites and plots; anything they take on
trust (a name that is a list, a flag written as the text "false", an infinite prediction) can turn
into a wrong table or an internal error far from the file. :class:`Fields` checks each value's JSON
type where it is read, so every reader of :class:`harness.results.Result` gets values of the declared
types or one :class:`FieldError` such as ``field 'encoder.name' is missing``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

#: the most characters of a bad value a message shows
SHOWN = 40


class FieldError(ValueError):
    """One field of a JSON object is missing or has the wrong type or value."""

    def __init__(self, field: str, problem: str) -> None:
        self.field, self.problem = field, problem
        super().__init__(f"field '{field}' {problem}")


def json_kind(value: Any) -> str:
    """What a JSON value is, in words ("text", "a list", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool | np.bool_):
        return "true/false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, numbers.Number):
        return "a number"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def shown(value: Any) -> str:
    """A short one-line rendering of a bad value for a message."""
    text = repr(value)
    return text if len(text) <= SHOWN else text[:SHOWN - 3] + "..."


def is_number(value: Any) -> bool:
    """A JSON number (true/false excluded, which Python counts as integers)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def is_integer(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def _plain_text(value: str) -> bool:
    return bool(value.strip()) and value.isprintable()


class Fields:
    """The fields of one JSON object found at dotted path ``where`` ('' for the top level)."""

    def __init__(self, data: Any, where: str = "") -> None:
        if not isinstance(data, Mapping):
            raise FieldError(where or "(top level)", f"is {json_kind(data)}, not an object")
        self.data: Mapping[str, Any] = data
        self.where = where

    def path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _get(self, key: str, required: bool) -> Any:
        if key not in self.data:
            if required:
                raise FieldError(self.path(key), "is missing")
            return None
        value = self.data[key]
        if value is None and required:
            raise FieldError(self.path(key), "is null")
        return value

    def _wrong(self, key: str, value: Any, expected: str) -> FieldError:
        return FieldError(self.path(key), f"is {json_kind(value)} ({shown(value)}), expected {expected}")

    def obj(self, key: str, *, required: bool = True) -> Fields | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self._wrong(key, value, "an object")
        return Fields(value, self.path(key))

    def mapping(self, key: str, *, required: bool = True) -> Mapping[str, Any]:
        """The raw object at ``key`` (its own fields unchecked); ``{}`` when optional and absent."""
        fields = self.obj(key, required=required)
        return {} if fields is None else fields.data

    def text(self, key: str, *, required: bool = True) -> str | None:
        """Printable, non-blank text (names end up in one-line messages and Markdown cells)."""
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._wrong(key, value, "text")
        if not _plain_text(value):
            raise FieldError(self.path(key), f"is {shown(value)}, expected printable non-blank text")
        return value

    def any_text(self, key: str, *, default: str = "") -> str:
        """Free text (a description): any string, ``default`` when absent or null."""
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self._wrong(key, value, "text")
        return value

    def optional_text(self, key: str) -> str | None:
        """Any text or null (provenance such as a revision or a checkpoint path, shown as recorded)."""
        value = self._get(key, False)
        if value is not None and not isinstance(value, str):
            raise self._wrong(key, value, "text or null")
        return value

    def integer(self, key: str, *, minimum: int | None = None, required: bool = True) -> int | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not is_integer(value):
            raise self._wrong(key, value, "a whole number")
        if minimum is not None and value < minimum:
            raise FieldError(self.path(key), f"is {value}, expected at least {minimum}")
        return int(value)

    def number(self, key: str, *, required: bool = True, finite: bool = True) -> float | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not is_number(value):
            raise self._wrong(key, value, "a number")
        out = float(value)
        if finite and not math.isfinite(out):
            raise FieldError(self.path(key), f"is {out}, expected a finite number")
        return out

    def flag(self, key: str, *, required: bool = True) -> bool | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, bool | np.bool_):
            raise self._wrong(key, value, "true or false")
        return bool(value)

    def _items(self, key: str) -> list[Any]:
        value = self._get(key, False)
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            raise self._wrong(key, value, "a list")
        return list(value)

    def texts(self, key: str) -> tuple[str, ...]:
        """A list of printable texts; ``()`` when absent or null."""
        items = self._items(key)
        for i, item in enumerate(items):
            if not isinstance(item, str) or not _plain_text(item):
                raise FieldError(f"{self.path(key)}[{i}]", f"is {json_kind(item)} ({shown(item)}), "
                                 "expected printable non-blank text")
        return tuple(items)

    def numbers(self, key: str) -> tuple[float, ...]:
        """A list of finite numbers; ``()`` when absent or null."""
        items = self._items(key)
        for i, item in enumerate(items):
            if not is_number(item) or not math.isfinite(float(item)):
                raise FieldError(f"{self.path(key)}[{i}]", f"is {json_kind(item)} ({shown(item)}), "
                                 "expected a finite number")
        return tuple(float(v) for v in items)
