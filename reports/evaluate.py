"""Sliding-window evaluation of the runbook's rules over a run's records.

At every evaluation point ``t = k * step`` a rule aggregates the records *observed* in ``(t - window, t]``:
a provider call is observed when it ends (``t_s + latency_s``), a user request when it is answered
(``intended_s + latency_s``; at ``intended_s`` if it never was) — as a scraped metric would see them.

- Percentiles are exact, from the raw values: ``numpy.percentile(..., method="linear")`` (linear
  interpolation between closest ranks, numpy's default), never histogram buckets.
- A window with fewer records than the rule's ``min_samples`` does not fire (rates and p95/avg: a
  single timeout out of two calls is not a 50 % timeout rate).  Count rules need no minimum.  Such a
  point is *not evaluable*; a rule with no evaluable point in a span has "no data" there, which is not
  the same as "did not fire" (``RuleEvaluation.status_during``).  A count rule is evaluable wherever its
  population (every call, or every request) has at least one record in the window.
- Degradation mode (the runbook's relaxed thresholds) is on while the gateway's mode events say so
  (``reports.modes``), or for the whole run when the run says ``degradation_mode``.
- An event (a rule whose source is ``events``, e.g. the gold probe's) is observed at its ``t_s``.
- The step is ``min(5 s, shortest window / 12)``.
- A firing interval runs from the first firing point to the first point that no longer fires (or the
  last point, if it still fires at the end).
- Time-to-detect of fault *i*: the first point at or after the fault's start, and no later than its end
  plus the rule's window (a firing an hour later is not a detection of it), where the rule fires *and*
  fires again on the evidence observed since the fault's start alone; minus the start.  An alert still
  firing on an earlier fault's records is not a detection of this one, and a window that straddles the
  start does not count the records from before it as evidence.
- Cost: O(records log records + points) per rule for counts, rates and averages (cumulative sums over
  time-sorted samples, windows found by ``searchsorted``); p95 sorts each window's slice.  Queries by
  span (``firing_during``) are O(log points).

Pure: records in, values out; no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .modes import mode_spans
from .records import CallRecord, EventRecord, RequestRecord
from .rules import DEFAULT_RULES, Rule
from .runinfo import FaultWindow

__all__ = [
    "FIRED",
    "MAX_POINTS",
    "NO_DATA",
    "SILENT",
    "Detection",
    "Evaluation",
    "RuleEvaluation",
    "RulePoint",
    "default_step",
    "degraded_spans",
    "evaluate",
    "percentile",
]

#: Bound on evaluation points per rule; a longer run gets a coarser step.
MAX_POINTS = 20_000

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: What a rule did in a span: fired; was evaluable and did not fire; had no evaluable point.
FIRED, SILENT, NO_DATA = "fired", "did not fire", "no data"


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
    evaluable: bool = True  # enough samples to judge (False: "no data" at this point)


@dataclass(frozen=True, slots=True)
class Detection:
    fault: int
    at_s: float
    detected_s: float | None
    time_to_detect_s: float | None


@dataclass(frozen=True, slots=True, eq=False)
class RuleEvaluation:
    rule: Rule
    points: tuple[RulePoint, ...]
    intervals: tuple[tuple[float, float], ...]
    detections: tuple[Detection, ...]
    # prefix counts over the points, for O(log n) span queries (severity asks once per window)
    _t: FloatArray = field(repr=False)
    _firing_before: IntArray = field(repr=False)
    _evaluable_before: IntArray = field(repr=False)

    @classmethod
    def of(
        cls, rule: Rule, points: Sequence[RulePoint], detections: Sequence[Detection]
    ) -> RuleEvaluation:
        t = np.fromiter((p.t_s for p in points), dtype=np.float64, count=len(points))
        firing = np.fromiter((p.firing for p in points), dtype=np.int64, count=len(points))
        evaluable = np.fromiter((p.evaluable for p in points), dtype=np.int64, count=len(points))
        zero = np.zeros(1, dtype=np.int64)
        return cls(
            rule,
            tuple(points),
            _intervals(points),
            tuple(detections),
            t,
            np.concatenate([zero, np.cumsum(firing)]),
            np.concatenate([zero, np.cumsum(evaluable)]),
        )

    @property
    def fired(self) -> bool:
        return bool(self.intervals)

    @property
    def first_fired_s(self) -> float | None:
        return self.intervals[0][0] if self.intervals else None

    @property
    def evaluable(self) -> bool:
        """Whether any point had enough samples to judge."""
        return bool(self._evaluable_before[-1])

    @property
    def status(self) -> str:
        return FIRED if self.fired else SILENT if self.evaluable else NO_DATA

    def _range(self, start_s: float, end_s: float) -> tuple[int, int]:
        a = int(np.searchsorted(self._t, start_s, side="left"))
        b = int(np.searchsorted(self._t, end_s, side="right"))
        return a, max(a, b)

    def first_firing_at_or_after(self, t_s: float) -> float | None:
        a = int(np.searchsorted(self._t, t_s, side="left"))
        later = np.flatnonzero(self._firing_before[a + 1 :] > self._firing_before[a])
        return None if later.size == 0 else float(self._t[a + int(later[0])])

    def firing_during(self, start_s: float, end_s: float) -> bool:
        """Whether any firing point falls in ``[start_s, end_s]``."""
        a, b = self._range(start_s, end_s)
        return bool(self._firing_before[b] - self._firing_before[a])

    def evaluable_during(self, start_s: float, end_s: float) -> bool:
        a, b = self._range(start_s, end_s)
        return bool(self._evaluable_before[b] - self._evaluable_before[a])

    def status_during(self, start_s: float, end_s: float) -> str:
        if self.firing_during(start_s, end_s):
            return FIRED
        return SILENT if self.evaluable_during(start_s, end_s) else NO_DATA

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

    def runbook_firing_during(self, start_s: float, end_s: float) -> tuple[str, ...]:
        """Only the runbook's own rules: P4 by the runbook's letter knows no added alert."""
        return tuple(
            r.rule.id for r in self.rules if r.rule.origin == "runbook" and r.firing_during(start_s, end_s)
        )


def degraded_spans(
    events: Sequence[EventRecord], end_s: float, always: bool = False
) -> tuple[tuple[float, float], ...]:
    """Spans of degradation mode, from the gateway's mode events (``reports.modes``)."""
    if always:
        return ((-math.inf, math.inf),)
    return mode_spans(events, "degraded", end_s)


def _observed_at(rec: RequestRecord | CallRecord) -> float:
    if isinstance(rec, CallRecord):
        return rec.t_s + max(rec.latency_s, 0.0)
    return rec.intended_s + (rec.latency_s if rec.latency_s is not None and rec.latency_s > 0 else 0.0)


def _in_population(rule: Rule, r: RequestRecord) -> bool:
    if r.sent_s is None:
        return False
    if rule.population == "llm_attempted":
        return r.attempts > 0
    if rule.population == "with_value":
        return getattr(r, rule.value or "") is not None
    if rule.population == "answered":
        return r.status is not None and not r.shed
    return True


def _event_value(ev: EventRecord, rule: Rule) -> float | None:
    """An event's number for an events rule: a bool as 0/1, a finite number as is, else not a sample
    (a gold probe that got no answer has ``correct: null``: it is not judged)."""
    v = ev.detail.get(rule.value or "")
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, int | float) and math.isfinite(v):
        return float(v)
    return None


def _samples(
    rule: Rule, requests: Sequence[RequestRecord], calls: Sequence[CallRecord], events: Sequence[EventRecord] = ()
) -> tuple[FloatArray, FloatArray]:
    """(observation times, values) sorted by time: the raw values for p95/avg, 0/1 for rate/count."""
    times: list[float] = []
    values: list[float] = []
    if rule.source == "events":
        for e in events:
            sample = _event_value(e, rule) if e.kind == rule.event_kind else None
            if sample is not None:
                times.append(e.t_s)
                values.append(sample)
    elif rule.source == "calls":
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
            if not _in_population(rule, r):
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


def _window_values(
    rule: Rule, values: FloatArray, lo: IntArray, hi: IntArray
) -> tuple[list[float | None], IntArray]:
    """The aggregate of every window ``values[lo[k]:hi[k]]`` and its sample count, in linear time
    for sums and means (cumulative sums), per-window only for percentiles."""
    n = hi - lo
    if rule.aggregation == "p95":
        out: list[float | None] = [
            percentile(values[a:b], 95) if b > a else None for a, b in zip(lo.tolist(), hi.tolist(), strict=True)
        ]
        return out, n
    cum = np.concatenate([np.zeros(1), np.cumsum(values)])
    sums = cum[hi] - cum[lo]
    if rule.aggregation == "count":
        return [float(x) for x in sums.tolist()], n
    return [float(x) / k if k else None for x, k in zip(sums.tolist(), n.tolist(), strict=True)], n


def _spans_mask(grid: FloatArray, spans: tuple[tuple[float, float], ...]) -> npt.NDArray[np.bool_]:
    mask = np.zeros(grid.shape, dtype=np.bool_)
    for a, b in spans:
        mask |= (grid >= a) & (grid <= b)
    return mask


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


def _judge(
    rule: Rule, values: FloatArray, lo: IntArray, hi: IntArray, degraded: npt.NDArray[np.bool_]
) -> tuple[list[float | None], IntArray, list[bool], list[bool]]:
    """(value, samples, evaluable, firing) at every grid point."""
    aggregated, n = _window_values(rule, values, lo, hi)
    need = 1 if rule.aggregation == "count" else max(rule.min_samples, 1)
    evaluable = (n >= need).tolist()
    firing = [
        ok and v is not None and rule.breached(v, d)
        for v, ok, d in zip(aggregated, evaluable, degraded.tolist(), strict=True)
    ]
    return aggregated, n, evaluable, firing


def _detect(
    rule: Rule,
    times: FloatArray,
    values: FloatArray,
    grid: FloatArray,
    hi: IntArray,
    firing: Sequence[bool],
    degraded: npt.NDArray[np.bool_],
    fault: FaultWindow,
    end_s: float,
) -> Detection:
    latest = fault.end(end_s) + rule.window_s
    a = int(np.searchsorted(grid, fault.at_s, side="left"))
    b = int(np.searchsorted(grid, latest, side="right"))
    candidates = [k for k in range(a, b) if firing[k]]
    if candidates:
        # the same windows, with evidence from before the fault left out
        first = int(np.searchsorted(times, fault.at_s, side="left"))
        ks = np.asarray(candidates, dtype=np.int64)
        lo = np.maximum(np.searchsorted(times, grid[ks] - rule.window_s, side="right"), first)
        hi_k = np.maximum(hi[ks], lo)
        _, _, _, own = _judge(rule, values, lo, hi_k, degraded[ks])
        hit = next((float(grid[k]) for k, f in zip(candidates, own, strict=True) if f), None)
    else:
        hit = None
    return Detection(fault.index, fault.at_s, hit, None if hit is None else hit - fault.at_s)


def _evaluate_rule(
    rule: Rule,
    requests: Sequence[RequestRecord],
    calls: Sequence[CallRecord],
    grid: FloatArray,
    faults: Sequence[FaultWindow],
    end_s: float,
    spans: tuple[tuple[float, float], ...],
    events: Sequence[EventRecord] = (),
) -> RuleEvaluation:
    times, values = _samples(rule, requests, calls, events)
    lo = np.searchsorted(times, grid - rule.window_s, side="right").astype(np.int64)
    hi = np.searchsorted(times, grid, side="right").astype(np.int64)
    degraded = _spans_mask(grid, spans)
    aggregated, n, evaluable, firing = _judge(rule, values, lo, hi, degraded)
    thresholds = [rule.threshold_for(d) for d in degraded.tolist()]
    points = [
        RulePoint(t, v, th, k, f, e)
        for t, v, th, k, f, e in zip(grid.tolist(), aggregated, thresholds, n.tolist(), firing, evaluable, strict=True)
    ]
    detections = [_detect(rule, times, values, grid, hi, firing, degraded, f, end_s) for f in faults]
    return RuleEvaluation.of(rule, points, detections)


def default_step(rules: Sequence[Rule], end_s: float) -> float:
    """The evaluation step of a run of ``end_s`` seconds: ``min(5 s, shortest window / 12)``, coarser
    past ``MAX_POINTS``.  The live view passes the planned run's step so its points are the report's."""
    return max(min(5.0, min((r.window_s for r in rules), default=60.0) / 12), end_s / MAX_POINTS)


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
        step_s = default_step(rules, end_s)
    if not step_s > 0:
        raise ValueError(f"evaluation step must be positive, not {step_s!r}")
    step_s = max(step_s, end_s / MAX_POINTS)
    n = max(1, math.ceil(end_s / step_s - 1e-9))
    grid = np.arange(1, n + 1, dtype=np.float64) * step_s
    spans = degraded_spans(events, end_s, degradation_mode)
    evaluated = tuple(_evaluate_rule(r, requests, calls, grid, faults, end_s, spans, events) for r in rules)
    return Evaluation(step_s, end_s, evaluated)
