"""The runbook's P1-P4 severity, per evaluation window, on what users saw.

A request belongs to the window of its *intended* send time.  ``failed`` is a failure; ``ok`` —
fallback and degraded answers included, counted apart — is a success, except that under the default
reading (``WRONG_ANSWERS``) an answer gold says is wrong (``RequestRecord.wrong``: a fast 200 with the
wrong appointment) is a failure too: a user handed the wrong appointment has been failed.  The
``ERRORS`` reading follows the runbook's letter (errors only) and counts it a success; both readings
count wrong answers apart (``SeverityWindow.wrong``), and P4 under ``ERRORS`` looks only at the
runbook's own alerts (the caller passes them).  ``lost`` (the run was cut
short) is neither and is left out of the share, and so is a harness error (the load generator
failed, not the stack: ``RequestRecord.harness_error``), counted apart.  Levels, first match wins:

- **insufficient data** fewer resolved requests than ``min_requests`` (default 5): one failure out of
  one request is not "100 % downtime";
- **P1** every resolved request failed;
- **P2** more than 50 % failed (exactly 50 % is P3);
- **P3** more than 20 % failed;
- **P4** functional, but some runbook alert is firing in the window;
- **none** otherwise.

"insufficient data" ranks below "none": a run's maximum is "insufficient data" only when no window
had enough requests to judge.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scenarios.expectations import SEVERITY_LEVELS

from .columns import request_columns
from .records import FAILED, OK, RequestRecord

__all__ = [
    "DEFAULT_MIN_REQUESTS",
    "ERRORS",
    "ESCALATION",
    "INSUFFICIENT",
    "READINGS",
    "READING_TEXT",
    "SEVERITY_LEVELS",
    "WRONG_ANSWERS",
    "SeverityTimeline",
    "SeverityWindow",
    "check_reading",
    "classify",
    "other_reading",
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
    "insufficient data": "insufficient data: too few requests to judge",
}

INSUFFICIENT = "insufficient data"
#: fewer resolved requests than this in a window: no level
DEFAULT_MIN_REQUESTS = 5


#: The two readings of "failed": wrong answers against gold count (the default), or errors only.
WRONG_ANSWERS, ERRORS = "wrong_answers", "errors"
READINGS = (WRONG_ANSWERS, ERRORS)
READING_TEXT: Mapping[str, str] = {
    WRONG_ANSWERS: "counting wrong answers as failed (the default)",
    ERRORS: "counting errors only (the runbook's letter)",
}


def check_reading(reading: str) -> str:
    if reading not in READINGS:
        raise ValueError(f"unknown severity reading {reading!r}; expected one of {', '.join(READINGS)}")
    return reading


def other_reading(reading: str) -> str:
    return ERRORS if check_reading(reading) == WRONG_ANSWERS else WRONG_ANSWERS


def severity_rank(level: str) -> int:
    """-1 for insufficient data, 0 for none up to 4 for P1: higher is worse."""
    if level == INSUFFICIENT:
        return -1
    try:
        return SEVERITY_LEVELS.index(level)
    except ValueError:
        raise ValueError(
            f"unknown severity {level!r}; expected one of {', '.join(SEVERITY_LEVELS)}"
        ) from None


def classify(succeeded: int, failed: int, alert_firing: bool, min_requests: int = DEFAULT_MIN_REQUESTS) -> str:
    """The level of one window; integer comparisons so that 50 % is exactly not "> 50 %"."""
    if succeeded < 0 or failed < 0:
        raise ValueError(f"counts must not be negative (succeeded={succeeded}, failed={failed})")
    total = succeeded + failed
    if total < max(min_requests, 1):
        return INSUFFICIENT
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
    harness_errors: int = 0  # left out of the share: the harness failed, not the stack
    wrong: int = 0  # answers gold says are wrong: in ``failed`` under WRONG_ANSWERS, in ``succeeded`` otherwise


@dataclass(frozen=True, slots=True)
class SeverityTimeline:
    window_s: float
    windows: tuple[SeverityWindow, ...]
    reading: str = WRONG_ANSWERS

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
    requests: Iterable[RequestRecord],
    end_s: float,
    alerts_firing: Callable[[float, float], Sequence[str]] = lambda a, b: (),
    window_s: float = 60.0,
    min_requests: int = DEFAULT_MIN_REQUESTS,
    reading: str = WRONG_ANSWERS,
) -> SeverityTimeline:
    """Windows ``[k*w, (k+1)*w)`` covering ``[0, end_s]``.

    ``alerts_firing(start, end)`` names the rules firing in a window (for P4).  Counted over the
    requests' columns (``reports.columns``) in one pass per count, so a day-long run costs seconds.
    """
    wrong_fails = check_reading(reading) == WRONG_ANSWERS
    if not window_s > 0:
        raise ValueError(f"severity window must be positive, not {window_s!r}")
    if isinstance(min_requests, bool) or not isinstance(min_requests, int) or min_requests < 0:
        raise ValueError(f"severity min_requests must be a whole number >= 0, not {min_requests!r}")
    cols = request_columns(requests)
    last = float(np.max(cols.intended_s)) if len(cols) else 0.0
    horizon = max(end_s, last)
    # a record exactly at the horizon joins the last window rather than opening a new one
    n = min(max(1, math.ceil(horizon / window_s)), 1_000_000)
    window_of = np.clip(np.floor_divide(cols.intended_s, window_s), 0, n - 1).astype(np.int64)
    is_ok, is_failed = cols.outcome_is(OK), cols.outcome_is(FAILED)
    wrong_rows = cols.flags["wrong"]
    harness_rows = is_failed & cols.flags["harness_error"]
    fails = (is_failed & ~harness_rows) | (is_ok & wrong_rows if wrong_fails else np.zeros(len(cols), dtype=np.bool_))

    def per_window(rows: npt.NDArray[np.bool_]) -> list[int]:
        return [int(x) for x in np.bincount(window_of[rows], minlength=n).tolist()]

    counts = zip(
        per_window(is_ok & ~fails),
        per_window(fails),
        per_window(~is_ok & ~is_failed),
        per_window(is_ok & cols.flags["fallback"]),
        per_window(is_ok & cols.flags["degraded"]),
        per_window(harness_rows),
        per_window(is_ok & wrong_rows),
        strict=True,
    )  # ok, failed, lost, fallback, degraded, harness, wrong
    windows = []
    for k, (ok, failed, lost, fallback, degraded, harness, wrong) in enumerate(counts):
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
                classify(ok, failed, bool(alerts), min_requests),
                harness,
                wrong,
            )
        )
    return SeverityTimeline(window_s, tuple(windows), reading)
