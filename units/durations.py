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
    "MAX_DURATION_S",
    "ValueSyntaxError",
    "format_duration",
    "parse_duration",
    "parse_rate",
    "parse_size",
]


class ValueSyntaxError(ValueError):
    """A value in human units that could not be read; ``where`` is its field path."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message


_DURATION_UNITS: dict[str, float] = {
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 1e-3,
    "us": 1e-6,
    "µs": 1e-6,
}
# Longest unit names first so that "ms" is not read as "m" followed by "s".
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|us|µs|h|m|s)")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DURATION_HINT = 'expected a duration such as "500ms", "3s", "2m", "1h", "1m30s" or a number of seconds'

#: bounds a typo such as "10000h" before it becomes a year-long run (asyncio's timers overflow long before 1e300 s)
MAX_DURATION_S = 366 * 24 * 3600.0


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
            raise ValueSyntaxError(where, f"units of {text!r} must go from largest to smallest, once each")
        last_rank = rank
        total += float(match.group(1)) * _DURATION_UNITS[unit]
        pos = match.end()
    if pos != len(text) or pos == 0:
        raise ValueSyntaxError(where, f"{_DURATION_HINT}, got {text!r}")
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
_RATE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*/\s*([a-zµ]+)")


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
_SIZE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([a-z]+)")


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
