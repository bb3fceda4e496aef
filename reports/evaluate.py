"""Sliding-window evaluation of the runbook's rules over a run's records.

At every evaluation point ``t = k * step`` a rule aggregates the records *observed* in ``(t - window, t]``:
a provider call is observed when it ends (``t_s + latency_s``), a user request when it is answered
(``intended_s + latency_s``; at ``intended_s`` if it never was) — as a scraped metric would see them.

- Percentiles are exact, from the raw values: ``numpy.percentile(..., method="linear")`` (linear
  interpolation between closest ranks, numpy's default), never histogram buckets.
- A window with fewer records than the rule's ``min_samples`` does not fire (rates and p95/avg: a
  single timeout out of two calls is not a 50 % timeout rate).  Count rules need no minimum.
- The step is ``min(5 s, shortest window / 12)``.
- A firing interval runs from the first firing point to the first point that no longer fires (or the
  last point, if it still fires at the end).
- Time-to-detect of fault *i*: the first firing point at or after the fault's start and no later than
  its end plus the rule's window (a firing an hour later is not a detection of it), minus its start.

Pure: records in, values out; no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .records import CallRecord, EventRecord, RequestRecord
from .rules import DEFAULT_RULES, Rule
from .runinfo import FaultWindow

__all__ = [
    "MAX_POINTS",
    "Detection",
    "Evaluation",
    "RuleEvaluation",
    "RulePoint",
    "degraded_spans",
    "evaluate",
    "percentile",
]

#: Bound on evaluation points per rule; a longer run gets a coarser step.
MAX_POINTS = 20_000

FloatArray = npt.NDArray[np.float64]


def percentile(values: Sequence[float] | FloatArray, q: float) -> float:
    """Exact percentile ``q`` (0-100) of raw values, linear interpolation (numpy ``method="linear"``)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        raise ValueError("percentile of no values")
    return float(np.percentile(arr, q, method="linear"))


@dataclass(frozen=True, slots=True)
class RulePoint:
    t_s: float
    value: float | None  # None: nothing to aggregate in the window
    threshold: float
    samples: int
    firing: bool


@dataclass(frozen=True, slots=True)
class Detection:
    fault: int
    at_s: float
    detected_s: float | None
    time_to_detect_s: float | None


@dataclass(frozen=True, slots=True)
class RuleEvaluation:
    rule: Rule
    points: tuple[RulePoint, ...]
    intervals: tuple[tuple[float, float], ...]
    detections: tuple[Detection, ...]

    @property
    def fired(self) -> bool:
        return bool(self.intervals)

    @property
    def first_fired_s(self) -> float | None:
        return self.intervals[0][0] if self.intervals else None

    def first_firing_at_or_after(self, t_s: float) -> float | None:
        for p in self.points:
            if p.t_s >= t_s and p.firing:
                return p.t_s
        return None

    def firing_during(self, start_s: float, end_s: float) -> bool:
        """Whether any firing point falls in ``[start_s, end_s]``."""
        return any(p.firing and start_s <= p.t_s <= end_s for p in self.points)

    def detection(self, fault: int) -> Detection | None:
        for d in self.detections:
            if d.fault == fault:
                return d
        return None


@dataclass(frozen=True, slots=True)
class Evaluation:
    step_s: float
    end_s: float
    rules: tuple[RuleEvaluation, ...]

    def rule(self, rule_id: str) -> RuleEvaluation | None:
        for r in self.rules:
            if r.rule.id == rule_id:
                return r
        return None

    def firing_during(self, start_s: float, end_s: float) -> tuple[str, ...]:
        return tuple(r.rule.id for r in self.rules if r.firing_during(start_s, end_s))


def degraded_spans(
    events: Sequence[EventRecord], end_s: float, always: bool = False
) -> tuple[tuple[float, float], ...]:
    """Spans of degradation mode, from ``EventRecord(kind="mode", detail={"degraded": bool})``."""
    if always:
        return ((-math.inf, math.inf),)
    spans: list[tuple[float, float]] = []
    since: float | None = None
    for ev in sorted((e for e in events if e.kind == "mode" and "degraded" in e.detail), key=lambda e: e.t_s):
        on = bool(ev.detail["degraded"])
        if on and since is None:
            since = ev.t_s
        elif not on and since is not None:
            spans.append((since, ev.t_s))
            since = None
    if since is not None:
        spans.append((since, max(end_s, since)))
    return tuple(spans)


def _observed_at(rec: RequestRecord | CallRecord) -> float:
    if isinstance(rec, CallRecord):
        return rec.t_s + max(rec.latency_s, 0.0)
    return rec.intended_s + (rec.latency_s if rec.latency_s is not None and rec.latency_s > 0 else 0.0)


def _samples(
    rule: Rule, requests: Sequence[RequestRecord], calls: Sequence[CallRecord]
) -> tuple[FloatArray, FloatArray]:
    """(observation times, values) sorted by time: the raw values for p95/avg, 0/1 for rate/count."""
    times: list[float] = []
    values: list[float] = []
    if rule.source == "calls":
        for c in calls:
            if rule.aggregation in ("p95", "avg"):
                v = getattr(c, rule.value or "latency_s")
                if v is None:
                    continue
                times.append(_observed_at(c))
                values.append(float(v))
            else:
                assert rule.match is not None
                hit = c.result in rule.match.results or (
                    c.status is not None and c.status in rule.match.statuses
                )
                times.append(_observed_at(c))
                values.append(1.0 if hit else 0.0)
    else:
        for r in requests:
            if r.sent_s is None:
                continue
            if rule.population == "llm_attempted" and r.attempts <= 0:
                continue
            if rule.population == "with_value" and getattr(r, rule.value or "") is None:
                continue
            if rule.aggregation in ("p95", "avg"):
                v = getattr(r, rule.value or "")
                if v is None:
                    continue
                values.append(float(v))
            else:
                assert rule.match is not None
                flag = bool(getattr(r, rule.match.flag)) if rule.match.flag else False
                values.append(1.0 if flag else 0.0)
            times.append(_observed_at(r))
    t = np.asarray(times, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    order = np.argsort(t, kind="stable")
    return t[order], v[order]


def _aggregate(rule: Rule, window: FloatArray) -> float | None:
    if rule.aggregation == "count":
        return float(window.sum())
    if window.size == 0:
        return None
    if rule.aggregation == "p95":
        return percentile(window, 95)
    return float(window.mean())


def _in_spans(t: float, spans: tuple[tuple[float, float], ...]) -> bool:
    return any(a <= t <= b for a, b in spans)


def _intervals(points: Sequence[RulePoint]) -> tuple[tuple[float, float], ...]:
    out: list[tuple[float, float]] = []
    start: float | None = None
    for p in points:
        if p.firing and start is None:
            start = p.t_s
        elif not p.firing and start is not None:
            out.append((start, p.t_s))
            start = None
    if start is not None:
        out.append((start, points[-1].t_s))
    return tuple(out)


def _evaluate_rule(
    rule: Rule,
    requests: Sequence[RequestRecord],
    calls: Sequence[CallRecord],
    grid: FloatArray,
    faults: Sequence[FaultWindow],
    end_s: float,
    spans: tuple[tuple[float, float], ...],
) -> RuleEvaluation:
    times, values = _samples(rule, requests, calls)
    lo = np.searchsorted(times, grid - rule.window_s, side="right")
    hi = np.searchsorted(times, grid, side="right")
    points: list[RulePoint] = []
    for t, a, b in zip(grid.tolist(), lo.tolist(), hi.tolist(), strict=True):
        window = values[a:b]
        samples = int(b - a)
        value = _aggregate(rule, window)
        degraded = _in_spans(t, spans)
        enough = rule.aggregation == "count" or (b - a) >= max(rule.min_samples, 1)
        firing = value is not None and enough and rule.breached(value, degraded)
        points.append(RulePoint(t, value, rule.threshold_for(degraded), samples, firing))
    detections = []
    for f in faults:
        latest = f.end(end_s) + rule.window_s
        hit = next((p.t_s for p in points if p.firing and f.at_s <= p.t_s <= latest), None)
        detections.append(Detection(f.index, f.at_s, hit, None if hit is None else hit - f.at_s))
    return RuleEvaluation(rule, tuple(points), _intervals(points), tuple(detections))


def evaluate(
    requests: Sequence[RequestRecord],
    calls: Sequence[CallRecord],
    events: Sequence[EventRecord] = (),
    faults: Sequence[FaultWindow] = (),
    end_s: float | None = None,
    rules: Sequence[Rule] = DEFAULT_RULES,
    step_s: float | None = None,
    degradation_mode: bool = False,
) -> Evaluation:
    """Evaluate every rule over the run; ``end_s`` defaults to the last observation."""
    if end_s is None:
        last = [_observed_at(c) for c in calls] + [_observed_at(r) for r in requests]
        end_s = max(last, default=0.0)
    if not math.isfinite(end_s) or end_s < 0:
        raise ValueError(f"end of run must be a finite number of seconds >= 0, not {end_s!r}")
    if step_s is None:
        step_s = min(5.0, min((r.window_s for r in rules), default=60.0) / 12)
    if not step_s > 0:
        raise ValueError(f"evaluation step must be positive, not {step_s!r}")
    step_s = max(step_s, end_s / MAX_POINTS)
    n = max(1, math.ceil(end_s / step_s - 1e-9))
    grid = np.arange(1, n + 1, dtype=np.float64) * step_s
    spans = degraded_spans(events, end_s, degradation_mode)
    evaluated = tuple(_evaluate_rule(r, requests, calls, grid, faults, end_s, spans) for r in rules)
    return Evaluation(step_s, end_s, evaluated)
