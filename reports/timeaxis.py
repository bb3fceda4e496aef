"""The report's time axis: scenario time in minutes, with round tick steps and ``m:ss`` labels.

Shared by the HTML (severity band, alert timeline) and the plots so both read the same way.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import math

__all__ = ["TICK_STEPS_S", "clock", "minute_ticks"]

#: tick spacings tried in order (scenario seconds): round numbers of minutes, 30 s for short runs
TICK_STEPS_S: tuple[float, ...] = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0)


def minute_ticks(end_s: float, max_ticks: int = 11) -> tuple[float, ...]:
    """Tick positions (seconds) from 0 to ``end_s`` at the finest round step giving <= ``max_ticks``."""
    if not math.isfinite(end_s) or end_s < 0:
        raise ValueError(f"run length must be a finite number of seconds >= 0, not {end_s!r}")
    if max_ticks < 2:
        raise ValueError(f"max_ticks must be at least 2, not {max_ticks!r}")
    step = next(
        (s for s in TICK_STEPS_S if math.floor(end_s / s) + 1 <= max_ticks),
        # beyond the table: whole hours, as many as needed
        3600.0 * math.ceil(end_s / 3600.0 / (max_ticks - 1)),
    )
    return tuple(k * step for k in range(math.floor(end_s / step) + 1))


def clock(t_s: float) -> str:
    """``m:ss`` of scenario time (``h:mm:ss`` from an hour on); negative times get a sign."""
    sign = "-" if t_s < 0 else ""
    total = round(abs(t_s))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{sign}{h}:{m:02d}:{s:02d}" if h else f"{sign}{m}:{s:02d}"
