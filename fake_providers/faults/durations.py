"""Durations as fault plans write them.

``"500ms"``, ``"3s"``, ``"2m"``, ``"1h"``, ``"1m30s"``, or plain numbers of seconds.

Pure: no I/O.
"""

from __future__ import annotations

import math
import re

from fake_providers.faults.problems import FaultPlanError

__all__ = ["MAX_DURATION_S", "parse_duration"]

#: the longest duration a plan may write (a year and a day): past it a number is a typo or an attack,
#: and asyncio's timers overflow long before 1e300 seconds
MAX_DURATION_S = 366 * 86400.0

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(us|ms|s|m|h)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")


def parse_duration(value: object, where: str) -> float:
    """Seconds in ``value``; raises :class:`FaultPlanError` naming ``where`` when it is not a duration."""
    if isinstance(value, bool):
        raise FaultPlanError(where, f"expected a duration such as '500ms' or '2m', got boolean {value}")
    if isinstance(value, int | float):
        seconds = float(value) if not isinstance(value, int) or abs(value) < 10**300 else math.inf
    elif isinstance(value, str):
        seconds = _parse_text(value.strip(), where)
    else:
        shown = "null" if value is None else type(value).__name__
        raise FaultPlanError(where, f"expected a duration such as '500ms' or '2m', got {shown}")
    if not math.isfinite(seconds) or seconds < 0:
        raise FaultPlanError(where, f"a duration must be finite and not negative, got {value!r}")
    if seconds > MAX_DURATION_S:
        raise FaultPlanError(where, f"a duration must be at most 366 days ({MAX_DURATION_S:.0f} s), "
                                    f"got {value!r}")
    return seconds


def _parse_text(text: str, where: str) -> float:
    if _NUMBER.fullmatch(text):
        return float(text)
    position, total, units_seen = 0, 0.0, []
    for match in _PART.finditer(text):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        units_seen.append(match.group(2))
        position = match.end()
    if not units_seen or position != len(text):
        hint = "use e.g. '500ms', '3s', '2m', '1h', '1m30s'"
        raise FaultPlanError(where, f"{text!r} is not a duration ({hint})")
    if len(set(units_seen)) != len(units_seen):
        raise FaultPlanError(where, f"{text!r} repeats a unit")
    return total

