"""The one place the gateway learns what time it is.

Policy code never reads a clock itself: it is handed ``now`` (seconds on a
monotonic time base) or a ``Clock``.  The live shell passes ``MonotonicClock``;
the SimPy twin passes a clock that reads ``env.now``; tests pass ``ManualClock``.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    #: True only for a clock that cannot move while pure code runs (the twin's virtual time moves only
    #: between a flow's yields): there, a request's agents that yield nothing all take exactly 0 s, and the
    #: pipeline may hand back an outcome it kept (``gateway.core.still_hits``).  A real clock moves; so may
    #: ``ManualClock``, from any code that holds it.
    stands_still: bool

    def now(self) -> float:
        """Seconds on a monotonic time base (only differences are meaningful)."""
        ...


class MonotonicClock:
    __slots__ = ()
    stands_still = False

    def now(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to: for tests and the twin."""

    __slots__ = ("_now",)
    stands_still = False   # anything holding it may advance it, between two reads of one agent

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"a clock cannot go back ({seconds} s)")
        self._now += seconds

    def set(self, now: float) -> None:
        if now < self._now:
            raise ValueError(f"a clock cannot go back ({self._now} -> {now})")
        self._now = now
