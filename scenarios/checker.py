"""The loader's checker: it collects every problem of one file, and checks single values.

Each check reports a :class:`~scenarios.problems.Problem` at the line of the field it is
about and returns None, so that the section checks (``scenarios.check_*``) carry on and one
run of the loader lists every mistake in the file, not just the first. Unknown keys get the
nearest valid name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from scenarios.problems import Problem, suggest
from scenarios.vocabulary import PROVIDERS
from scenarios.yamltree import FieldPath, Located, format_path
from units.durations import ValueSyntaxError, parse_duration, parse_rate, parse_size

__all__ = ["Checker", "describe"]


def describe(value: object) -> str:
    """A value as an error message names it: "a mapping", "nothing", "int 3"."""
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


class Checker:
    """Where the problems of one file are collected, and the checks of single values that every section uses."""

    def __init__(self, doc: Located, file: str) -> None:
        self.doc = doc
        self.file = file
        self.problems: list[Problem] = []

    def report(self, path: FieldPath, message: str) -> None:
        self.problems.append(Problem(self.file, self.doc.line(path), format_path(path), message))

    def mapping(
        self, path: FieldPath, value: Any, allowed: Sequence[str], required: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.report(path, f"expected a mapping, got {describe(value)}")
            return None
        for key in value:
            # `x-...` keys at the top level hold YAML anchors to reuse (as in docker-compose); ignored.
            if key not in allowed and not (not path and key.startswith("x-")):
                self.report(
                    (*path, key),
                    f"unknown key {key!r}{suggest(key, allowed)}; valid keys: " + ", ".join(allowed),
                )
        for key in required:
            if key not in value:
                self.report((*path, key), "required field is missing")
        return value

    def items(self, path: FieldPath, value: Any) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.report(path, f"expected a list, got {describe(value)}")
            return []
        return value

    def _unit(self, parse: Callable[[object, str], float], path: FieldPath, value: Any) -> float | None:
        try:
            return parse(value, format_path(path))
        except ValueSyntaxError as exc:
            self.report(path, exc.message)
            return None

    def duration(self, path: FieldPath, value: Any) -> float | None:
        return self._unit(parse_duration, path, value)

    def rate(self, path: FieldPath, value: Any) -> float | None:
        return self._unit(parse_rate, path, value)

    def size(self, path: FieldPath, value: Any) -> float | None:
        return self._unit(parse_size, path, value)

    def number(
        self, path: FieldPath, value: Any, low: float, high: float, *, low_open: bool = False
    ) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.report(path, f"expected a number, got {describe(value)}")
            return None
        if value < low or (low_open and value == low) or value > high:
            bracket = "(" if low_open else "["
            self.report(path, f"must be in {bracket}{low:g}, {high:g}], got {value!r}")
            return None
        return float(value)

    def integer(self, path: FieldPath, value: Any, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.report(path, f"expected an integer, got {describe(value)}")
            return None
        if not low <= value <= high:
            self.report(path, f"must be between {low} and {high}, got {value}")
            return None
        return value

    def text(self, path: FieldPath, value: Any) -> str | None:
        if not isinstance(value, str):
            self.report(path, f"expected text, got {describe(value)}")
            return None
        return value

    def choice(self, path: FieldPath, value: Any, options: Sequence[str], what: str) -> str | None:
        if not isinstance(value, str) or value not in options:
            hint = suggest(value, options) if isinstance(value, str) else ""
            self.report(path, f"unknown {what} {value!r}{hint}; expected one of: " + ", ".join(options))
            return None
        return value

    def window(
        self, path: FieldPath, entry: dict[str, Any], duration: float | None, *, at_default: bool
    ) -> tuple[float | None, float | None, bool]:
        """``at``/``until`` of an entry, checked against each other and the scenario's duration."""
        ok = True
        if "at" in entry:
            at = self.duration((*path, "at"), entry["at"])
        elif at_default:
            at = 0.0
        else:
            self.report((*path, "at"), "required field is missing")
            at = None
        until = self.duration((*path, "until"), entry["until"]) if "until" in entry else None
        if at is None or ("until" in entry and until is None):
            return at, until, False
        if until is not None and until <= at:
            self.report((*path, "until"), f"until ({until:g}s) must be after at ({at:g}s)")
            ok = False
        if duration is not None:
            if at >= duration:
                self.report(
                    (*path, "at"), f"at ({at:g}s) is not within the scenario's duration ({duration:g}s)"
                )
                ok = False
            if until is not None and until > duration:
                self.report(
                    (*path, "until"), f"until ({until:g}s) is past the scenario's duration ({duration:g}s)"
                )
                ok = False
        return at, until, ok

    def provider(self, path: FieldPath, value: Any, *, wildcard: bool) -> str | None:
        options = (*PROVIDERS, "*") if wildcard else PROVIDERS
        return self.choice(path, value, options, "provider")
