"""What the report will say, said while the run goes: the live view's one source of verdicts.

``snapshot`` runs the report's own evaluator (``reports.evaluate``) and severity
(``reports.severity``) over the records seen so far, with the run's rules (overrides included),
the same evaluation step as the finished run's report and the same severity windows.  So an alert
the facilitator sees firing at 2:35 is the alert the report shows firing at 2:35, and "no data" is
"no data" in both.  Only records that can still count are needed: those observed within the longest
rule window (and the current severity window).

Times are scenario seconds; a live caller rescales wall-clock records first (``reports.report.rescale``).
Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .columns import call_columns, mask, request_columns
from .evaluate import default_step, evaluate
from .evaluation import FIRED, NO_DATA
from .percentile import percentile
from .records import FAILED, CallRecord, EventRecord, RequestRecord
from .rules import Rule
from .runinfo import RunInfo
from .severity import WRONG_ANSWERS, severity_timeline

__all__ = ["LiveSnapshot", "horizon_s", "snapshot"]


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    t_s: float  # the evaluation point shown (the last one at or before now)
    firing: tuple[str, ...]
    no_data: tuple[str, ...]
    severity: str  # of the severity window now in progress
    window_requests: int
    window_failed: int  # by the run's severity reading: wrong answers against gold count by default
    window_p95_s: float | None  # user latency over the window's timed requests


def horizon_s(rules: Sequence[Rule], severity_window_s: float) -> float:
    """How far back a record can still change what ``snapshot`` says."""
    return max([r.window_s for r in rules] + [severity_window_s])


def snapshot(
    info: RunInfo,
    rules: Sequence[Rule],
    requests: Iterable[RequestRecord],
    calls: Iterable[CallRecord],
    events: Sequence[EventRecord],
    now_s: float,
    planned_end_s: float,
    severity_window_s: float = 60.0,
    severity_min_requests: int | None = None,
) -> LiveSnapshot:
    # once into columns for the evaluator, severity and the window's figures alike
    requests, calls = request_columns(requests), call_columns(calls)
    step = default_step(rules, planned_end_s)
    # the report's grid is k * step: show the last point that has happened
    at = max(step, math.floor(now_s / step + 1e-9) * step)
    evaluation = evaluate(
        requests, calls, events, info.faults, at, rules, step_s=step, degradation_mode=info.degradation_mode
    )
    firing = tuple(r.rule.id for r in evaluation.rules if r.status_during(at, at) == FIRED)
    no_data = tuple(r.rule.id for r in evaluation.rules if r.status_during(at, at) == NO_DATA)
    reading = info.severity_reading
    alerts_in = evaluation.firing_during if reading == WRONG_ANSWERS else evaluation.runbook_firing_during
    min_requests = info.severity_min_requests if severity_min_requests is None else severity_min_requests
    timeline = severity_timeline(requests, now_s, alerts_in, severity_window_s, min_requests, reading)
    current = next((w for w in timeline.windows if w.start_s <= now_s < w.end_s), timeline.windows[-1])
    t = requests.intended_s
    inside = mask((t >= current.start_s) & (t < current.end_s))
    lat = requests.latency_s[inside & requests.flags["timed"]]
    wrong = requests.flags["wrong"] if reading == WRONG_ANSWERS else np.zeros(len(requests), dtype=np.bool_)
    failed = int(np.count_nonzero(inside & ((requests.outcome_is(FAILED) & ~requests.flags["harness_error"]) | wrong)))
    return LiveSnapshot(
        at,
        firing,
        no_data,
        current.level,
        current.requests,
        failed,
        percentile(lat, 95) if lat.size else None,
    )
