"""Human units, one grammar for every file, flag and API: durations, rates and byte sizes.

Scenario files, fault plans, the gateway's config, the CLI's flags and the fakes'
control API all read ``"500ms"``, ``"3s"``, ``"2m"``, ``"1h"``, ``"1m30s"``, ``"250us"``
or a plain number of seconds through :func:`parse_duration` (units from largest to
smallest, once each; at most 366 days).  ``tests/units/test_durations.py`` holds the
table of examples and counter-examples.

Pure: no I/O. Every parser takes ``where`` (the field path) so that its error
names the field, and raises :class:`ValueSyntaxError` (a ``ValueError``) so a
caller can attach the file and line, or re-raise it as its own error type.
"""

from __future__ import annotations

import math
import re

__all__ = [
    "DURATION_PATTERN",
    "MAX_DURATION_S",
    "RATE_PATTERN",
    "ValueSyntaxError",
    "format_duration",
    "is_plain_number",
    "parse_duration",
    "parse_rate",
    "parse_size",
]


class ValueSyntaxError(ValueError):
    """A value in human units that could not be read; ``where`` is its field path."""

    def __init__(self, where: str, message: str, offset: int = 0) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message
        #: where in the (stripped) text reading stopped, so that a lexer can point at the column
        self.offset = offset


_DURATION_UNITS: dict[str, float] = {
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 1e-3,
    "us": 1e-6,
    "µs": 1e-6,
}
_DECIMAL = r"(?:\d+(?:\.\d*)?|\.\d+)"
# Longest unit names first so that "ms" is not read as "m" followed by "s"; a unit followed by a letter
# is no unit ("5min"), so reading stops right after the number, where the bad unit starts.
_DURATION_PART = re.compile(rf"({_DECIMAL})(ms|us|µs|h|m|s)(?![A-Za-zµ_])")
_LEADING_DECIMAL = re.compile(_DECIMAL)
_NUMBER = re.compile(rf"[+-]?{_DECIMAL}(?:[eE][+-]?\d+)?")
_DURATION_HINT = 'expected a duration such as "500ms", "3s", "2m", "1h", "1m30s" or a number of seconds'

#: bounds a typo such as "10000h" before it becomes a year-long run (asyncio's timers overflow long before 1e300 s)
MAX_DURATION_S = 366 * 24 * 3600.0


def is_plain_number(text: str) -> bool:
    """Whether ``text`` is a number without a unit (``"2.5"``, ``"-1"``, ``"1e3"``), as every parser here reads one."""
    return _NUMBER.fullmatch(text.strip()) is not None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _float(value: int | float) -> float:
    # float() of a 400-digit integer raises OverflowError: read it as the infinity it is
    if isinstance(value, int) and abs(value) >= 10**300:
        return math.inf if value > 0 else -math.inf
    return float(value)


def parse_duration(value: object, where: str) -> float:
    """Seconds from ``"500ms"``, ``"3s"``, ``"2m"``, ``"1h"``, ``"1m30s"`` or a plain number of seconds."""
    if _is_number(value):
        seconds = _float(value)  # type: ignore[arg-type]
    elif isinstance(value, str):
        seconds = _duration_from_text(value.strip(), where)
    else:
        raise ValueSyntaxError(where, f"{_DURATION_HINT}, got {type(value).__name__} {value!r}")
    if not math.isfinite(seconds):
        raise ValueSyntaxError(where, f"duration must be finite, got {value!r}")
    if seconds < 0:
        raise ValueSyntaxError(where, f"duration must not be negative, got {value!r}")
    if seconds > MAX_DURATION_S:
        raise ValueSyntaxError(where, f"a duration must be at most 366 days ({MAX_DURATION_S:.0f} s), "
                                      f"got {value!r}; is the unit right?")
    return seconds


def _duration_from_text(text: str, where: str) -> float:
    if not text:
        raise ValueSyntaxError(where, f"{_DURATION_HINT}, got an empty string")
    if _NUMBER.fullmatch(text):
        return float(text)
    if text.startswith("-"):
        raise ValueSyntaxError(where, f"duration must not be negative, got {text!r}")
    total = 0.0
    pos = 0
    last_rank = -1
    order = ["h", "m", "s", "ms", "us"]
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        unit = "us" if match.group(2) == "µs" else match.group(2)
        rank = order.index(unit)
        if rank <= last_rank:
            raise ValueSyntaxError(
                where, f"units of {text!r} must go from largest to smallest, once each", match.start()
            )
        last_rank = rank
        total += float(match.group(1)) * _DURATION_UNITS[unit]
        pos = match.end()
    if pos != len(text) or pos == 0:
        number = _LEADING_DECIMAL.match(text, pos)
        if pos > 0 and number is not None and number.end() == len(text):
            raise ValueSyntaxError(where, f"every part of {text!r} needs a unit (as in \"1m30s\")", number.end())
        raise ValueSyntaxError(where, f"{_DURATION_HINT}, got {text!r}", number.end() if number else pos)
    return total


def format_duration(seconds: float) -> str:
    """The shortest usual spelling of ``seconds`` that :func:`parse_duration` reads back.

    Whole hours, minutes and seconds are split out ("1h2m3s"); a fraction of a
    second is written in milliseconds ("1m30s250ms"); below a second, "250ms".
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"cannot format duration {seconds!r}")
    total_ms = round(seconds * 1000)
    if total_ms == 0:
        return "0s"
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    parts = [f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s"), (millis, "ms")) if n]
    return "".join(parts)


_RATE_UNITS: dict[str, float] = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hour": 3600.0,
}
_RATE = re.compile(rf"({_DECIMAL})\s*/\s*([a-zµ]+)")


def parse_rate(value: object, where: str) -> float:
    """Events per second from ``"20/s"``, ``"600/m"``, ``"1200/min"``, ``"3600/h"`` or a number per second."""
    if _is_number(value):
        rate = _float(value)  # type: ignore[arg-type]
    elif isinstance(value, str):
        text = value.strip()
        match = _RATE.fullmatch(text)
        if _NUMBER.fullmatch(text):
            rate = float(text)
        elif match and match.group(2) in _RATE_UNITS:
            rate = float(match.group(1)) / _RATE_UNITS[match.group(2)]
        elif text.startswith("-"):
            raise ValueSyntaxError(where, f"rate must not be negative, got {value!r}")
        else:
            raise ValueSyntaxError(
                where,
                f'expected a rate such as "20/s", "600/m", "1200/min" or a number per second, got {value!r}',
            )
    else:
        raise ValueSyntaxError(where, f'expected a rate such as "20/s", got {type(value).__name__} {value!r}')
    if not math.isfinite(rate):
        raise ValueSyntaxError(where, f"rate must be finite, got {value!r}")
    if rate < 0:
        raise ValueSyntaxError(where, f"rate must not be negative, got {value!r}")
    return rate


# Toxiproxy's KB is 1000 bytes (its bandwidth toxic divides bytes by the rate in ms).
_SIZE_UNITS: dict[str, int] = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}
_SIZE = re.compile(rf"({_DECIMAL})\s*([a-z]+)")


def parse_size(value: object, where: str) -> float:
    """Bytes from ``"512B"``, ``"100KB"``, ``"1MiB"`` or a plain number of bytes."""
    if _is_number(value):
        size = _float(value)  # type: ignore[arg-type]
    elif isinstance(value, str):
        text = value.strip()
        match = _SIZE.fullmatch(text.lower())
        if _NUMBER.fullmatch(text):
            size = float(text)
        elif match and match.group(2) in _SIZE_UNITS:
            size = float(match.group(1)) * _SIZE_UNITS[match.group(2)]
        else:
            raise ValueSyntaxError(
                where, f'expected a size such as "512B", "100KB", "1MiB" or a number of bytes, got {value!r}'
            )
    else:
        raise ValueSyntaxError(
            where, f'expected a size such as "100KB", got {type(value).__name__} {value!r}'
        )
    if not math.isfinite(size) or size < 0:
        raise ValueSyntaxError(where, f"size must be a finite, non-negative number of bytes, got {value!r}")
    return size


# --- the same grammar as regular expressions, for JSON Schema (editors check a file as it is typed) -----
# Built from the parsers' own pieces; what a pattern cannot say (the 366-day bound, a negative zero) the
# parsers still refuse with a clearer message. Both patterns are ECMA-262 as well as Python syntax.

_PLAIN = rf"\+?{_DECIMAL}(?:[eE][+-]?\d+)?"
# each unit at most once, largest first; the lookahead refuses a text with no part at all
_UNIT_PARTS = "".join(rf"(?:{_DECIMAL}(?:{unit}))?" for unit in ("h", "m", "s", "ms", "us|µs"))
#: A duration as :func:`parse_duration` reads text: a plain number of seconds or units largest first.
DURATION_PATTERN = rf"^\s*(?:{_PLAIN}|(?=[\d.]){_UNIT_PARTS})\s*$"
#: A rate as :func:`parse_rate` reads text: a plain number per second or ``N/unit``.
RATE_PATTERN = rf"^\s*(?:{_PLAIN}|{_DECIMAL}\s*/\s*(?:{'|'.join(_RATE_UNITS)}))\s*$"
