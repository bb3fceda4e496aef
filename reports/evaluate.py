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
  still fires with every record observed before the fault's start made harmless (a count's match no longer
  counts; any other value is held at the threshold, which the strict comparison does not breach); minus
  the start.  So an alert still firing on an earlier fault's records is not a detection of this one, and a
  window that straddles the start does not credit the fault with errors from before it; but the healthy
  calls before it stay in the window, as they do in the real alert's rate and sample count, so sparse
  errors after a start are detected when the runbook's alert fires on them, not once ``min_samples``
  records of their own have piled up.
- The result model is ``reports.evaluation``, the samples ``reports.samples``; this module is the
  windows over them.  Its names are re-exported here, where callers have always found them.
- Cost: O(records log records + points) per rule for counts, rates and averages (cumulative sums over
  time-sorted samples, windows found by ``searchsorted``); p95 sorts each window's slice.  Queries by
  span (``firing_during``) are O(log points).

Pure: records in, values out; no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .columns import call_columns, request_columns
from .evaluation import FIRED, NO_DATA, SILENT, Detection, Evaluation, RuleEvaluation, RulePoint
from .modes import mode_spans
from .percentile import percentile
from .records import CallRecord, EventRecord, RequestRecord
from .rules import DEFAULT_RULES, Rule
from .runinfo import FaultWindow
from .samples import rule_samples

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


def degraded_spans(
    events: Sequence[EventRecord], end_s: float, always: bool = False
) -> tuple[tuple[float, float], ...]:
    """Spans of degradation mode, from the gateway's mode events (``reports.modes``)."""
    if always:
        return ((-math.inf, math.inf),)
    return mode_spans(events, "degraded", end_s)


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
    lo: IntArray,
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
    hit = None
    if candidates:
        first = int(np.searchsorted(times, fault.at_s, side="left"))
        ks = np.asarray(candidates, dtype=np.int64)
        los, his, flags = lo[ks], hi[ks], degraded[ks]
        own = np.zeros(len(ks), dtype=np.bool_)
        # the same windows, each sample from before the fault made harmless at the threshold that point uses
        for flag in (False, True):
            at = flags == flag
            if at.any():
                base = int(los[at].min())
                part = values[base:int(his[at].max())].copy()
                cut = max(first - base, 0)
                threshold = rule.threshold_for(flag)
                part[:cut] = _harmless(rule, part[:cut], threshold)
                a_lo, a_hi = los[at] - base, his[at] - base
                fires = np.asarray(_judge(rule, part, a_lo, a_hi, flags[at])[3])
                if rule.aggregation != "count":
                    # a mean or a percentile of values held at the threshold can round a ulp past it: firing
                    # also needs a record from the start on that breaches it (exact sums make counts safe)
                    breach = part > threshold if rule.comparison == ">" else part < threshold
                    seen = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(breach)])
                    since = np.maximum(a_lo, cut)
                    fires &= seen[np.maximum(a_hi, since)] > seen[since]
                own[at] = fires
        hit = next((float(grid[k]) for k, f in zip(candidates, own.tolist(), strict=True) if f), None)
    return Detection(fault.index, fault.at_s, hit, None if hit is None else hit - fault.at_s)


def _harmless(rule: Rule, values: FloatArray, threshold: float) -> FloatArray:
    """``values`` that cannot push ``rule`` towards firing: a count's matches count no more, any other
    value goes no further than the threshold, which a strict comparison does not breach.  The records stay
    in the window, as a real alert's denominator (its healthy calls) and sample count keep them."""
    if rule.aggregation == "count":
        return np.zeros_like(values)
    if rule.comparison == ">":
        return np.minimum(values, threshold)
    return np.maximum(values, threshold)


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
    times, values = rule_samples(rule, requests, calls, events)
    lo = np.searchsorted(times, grid - rule.window_s, side="right").astype(np.int64)
    hi = np.searchsorted(times, grid, side="right").astype(np.int64)
    degraded = _spans_mask(grid, spans)
    aggregated, n, evaluable, firing = _judge(rule, values, lo, hi, degraded)
    thresholds = [rule.threshold_for(d) for d in degraded.tolist()]
    points = [
        RulePoint(t, v, th, k, f, e)
        for t, v, th, k, f, e in zip(grid.tolist(), aggregated, thresholds, n.tolist(), firing, evaluable, strict=True)
    ]
    detections = [_detect(rule, times, values, grid, lo, hi, firing, degraded, f, end_s) for f in faults]
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
    # once into columns, not once per rule (a no-op for a run read from disk)
    requests, calls = request_columns(requests), call_columns(calls)
    if end_s is None:
        last = [float(np.max(x.observed_s)) for x in (calls, requests) if len(x)]
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
