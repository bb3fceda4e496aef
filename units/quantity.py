"""A literal inside an expression: a plain number, a percentage or a duration, read as every file reads them.

The expectation language (``p95(latency) < 1m30s``, ``rate(failed) < 5%``), the runbook rules'
overrides and the time-scaling of the stack's untyped values all meet literals whose kind is not
known from their field. They read them here, so that "250us", "1m30s" or "1e3" mean in an
expectation exactly what they mean in a ``duration:`` field: durations through
:func:`units.durations.parse_duration`, numbers as its plain numbers, and ``N%`` as N hundredths.
``tests/units/test_quantity.py`` holds the table of examples and counter-examples.

Pure: no I/O.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from units.durations import ValueSyntaxError, is_plain_number, parse_duration

__all__ = ["Quantity", "QuantityKind", "parse_quantity", "scan_quantity"]

QuantityKind = Literal["number", "percent", "duration"]

# Where a literal ends inside a longer text: at the first character that no literal holds (a space, an
# operator, a bracket or a comma). Everything in between must then read as one literal, so that "5min"
# is an unknown unit rather than "5m" followed by a word "in".
_LITERAL = re.compile(r"(?:\d|\.\d)(?:[eE][+-]?\d|[0-9A-Za-zµ_.])*%?")
_HINT = 'expected a number, a percentage such as "5%" or a duration such as "30s" or "1m30s"'


@dataclass(frozen=True, slots=True)
class Quantity:
    """``value`` is seconds for a duration, a fraction (0.05) for a percentage, else the number."""

    value: float
    kind: QuantityKind
    text: str


def parse_quantity(value: object, where: str) -> Quantity:
    """A number (``7``, ``"0.5"``), a percentage (``"5%"``) or a duration (``"250ms"``); finite, never negative."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        as_float = float(value) if isinstance(value, float) or abs(value) < 10**300 else math.inf
        return Quantity(_finite(as_float, value, where), "number", repr(value))
    if not isinstance(value, str):
        raise ValueSyntaxError(where, f"{_HINT}, got {type(value).__name__} {value!r}")
    text = value.strip()
    if text.endswith("%"):
        number = text[:-1]
        if not is_plain_number(number) or number != number.strip():
            # a space before the percent sign, or no number at all: point at where the number stops
            offset = len(number.rstrip()) if is_plain_number(number) else 0
            raise ValueSyntaxError(where, f"{_HINT}, got {value!r}", offset)
        return Quantity(_finite(float(number), value, where) / 100.0, "percent", text)
    if is_plain_number(text):
        # a count or a ratio, not a time: the duration's 366-day bound does not apply
        return Quantity(_finite(float(text), value, where), "number", text)
    return Quantity(parse_duration(text, where), "duration", text)


def _finite(number: float, value: object, where: str) -> float:
    if not math.isfinite(number):
        raise ValueSyntaxError(where, f"a number must be finite, got {value!r}")
    if number < 0:
        raise ValueSyntaxError(where, f"a quantity must not be negative, got {value!r}")
    return number


def scan_quantity(text: str, pos: int, where: str = "") -> tuple[Quantity, int]:
    """The literal that starts at ``text[pos]`` (a digit, or a point before one) and where it ends.

    Raises :class:`ValueSyntaxError` whose ``offset`` is the index in ``text`` where reading failed.
    """
    match = _LITERAL.match(text, pos)
    if match is None:
        raise ValueSyntaxError(where, f"{_HINT}, got {text[pos:pos + 12]!r}", pos)
    try:
        return parse_quantity(match.group(), where), match.end()
    except ValueSyntaxError as exc:
        raise ValueSyntaxError(exc.where, exc.message, pos + exc.offset) from None
