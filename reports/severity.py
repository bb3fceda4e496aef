"""The runbook's P1-P4 severity, per evaluation window, on what users saw.

A request belongs to the window of its *intended* send time.  ``failed`` is a failure; ``ok`` —
fallback and degraded answers included, counted apart — is a success; ``lost`` (the run was cut
short) is neither and is left out of the share.  Levels, first match wins:

- **P1** every resolved request failed;
- **P2** more than 50 % failed (exactly 50 % is P3);
- **P3** more than 20 % failed;
- **P4** functional, but some runbook alert is firing in the window;
- **none** otherwise, and for a window without resolved requests.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from scenarios.expectations import SEVERITY_LEVELS

from .records import FAILED, OK, RequestRecord

__all__ = [
    "ESCALATION",
    "SEVERITY_LEVELS",
    "SeverityTimeline",
    "SeverityWindow",
    "classify",
    "severity_rank",
    "severity_timeline",
]

#: What the runbook prescribes at each level.
ESCALATION: Mapping[str, str] = {
    "P1": "P1 - Critical (100% downtime): page on-call immediately",
    "P2": "P2 - High (>50% error rate): page on-call + tech lead",
    "P3": "P3 - Medium (>20% error rate): post in Slack #incidents",
    "P4": "P4 - Low (degraded but functional): create a ticket",
    "none": "none: no escalation",
}


def severity_rank(level: str) -> int:
    """0 for none up to 4 for P1: higher is worse."""
    try:
        return SEVERITY_LEVELS.index(level)
    except ValueError:
        raise ValueError(
            f"unknown severity {level!r}; expected one of {', '.join(SEVERITY_LEVELS)}"
        ) from None


def classify(succeeded: int, failed: int, alert_firing: bool) -> str:
    """The level of one window; integer comparisons so that 50 % is exactly not "> 50 %"."""
    if succeeded < 0 or failed < 0:
        raise ValueError(f"counts must not be negative (succeeded={succeeded}, failed={failed})")
    total = succeeded + failed
    if total == 0:
        return "none"
    if failed == total:
        return "P1"
    if 2 * failed > total:
        return "P2"
    if 5 * failed > total:
        return "P3"
    return "P4" if alert_firing else "none"


@dataclass(frozen=True, slots=True)
class SeverityWindow:
    start_s: float
    end_s: float
    requests: int  # resolved requests (ok + failed)
    succeeded: int
    failed: int
    lost: int
    fallback: int
    degraded: int
    alerts: tuple[str, ...]
    level: str


@dataclass(frozen=True, slots=True)
class SeverityTimeline:
    window_s: float
    windows: tuple[SeverityWindow, ...]

    @property
    def max(self) -> str:
        return max((w.level for w in self.windows), key=severity_rank, default="none")

    @property
    def escalation(self) -> str:
        return ESCALATION[self.max]

    def max_during(self, start_s: float, end_s: float) -> str:
        levels = (w.level for w in self.windows if w.start_s < end_s and w.end_s > start_s)
        return max(levels, key=severity_rank, default="none")


def severity_timeline(
    requests: Sequence[RequestRecord],
    end_s: float,
    alerts_firing: Callable[[float, float], Sequence[str]] = lambda a, b: (),
    window_s: float = 60.0,
) -> SeverityTimeline:
    """Windows ``[k*w, (k+1)*w)`` covering ``[0, end_s]``.

    ``alerts_firing(start, end)`` names the runbook rules firing in a window (for P4).
    """
    if not window_s > 0:
        raise ValueError(f"severity window must be positive, not {window_s!r}")
    last = max((r.intended_s for r in requests), default=0.0)
    horizon = max(end_s, last)
    # a record exactly at the horizon joins the last window rather than opening a new one
    n = min(max(1, math.ceil(horizon / window_s)), 1_000_000)
    counts = [[0, 0, 0, 0, 0] for _ in range(n)]  # ok, failed, lost, fallback, degraded
    for r in requests:
        k = min(max(int(r.intended_s // window_s), 0), n - 1)
        c = counts[k]
        if r.outcome == OK:
            c[0] += 1
            c[3] += int(r.fallback)
            c[4] += int(r.degraded)
        elif r.outcome == FAILED:
            c[1] += 1
        else:
            c[2] += 1
    windows = []
    for k, (ok, failed, lost, fallback, degraded) in enumerate(counts):
        start, end = k * window_s, (k + 1) * window_s
        alerts = tuple(alerts_firing(start, end)) if ok + failed else ()
        windows.append(
            SeverityWindow(
                start,
                end,
                ok + failed,
                ok,
                failed,
                lost,
                fallback,
                degraded,
                alerts,
                classify(ok, failed, bool(alerts)),
            )
        )
    return SeverityTimeline(window_s, tuple(windows))
