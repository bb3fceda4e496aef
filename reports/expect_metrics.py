"""What an expectation's metric is worth over a run: windows, populations and values (``reports.expect``
judges them).  The definitions — which requests a rate is over, where a record sits in time — are in
``reports.expect``'s docstring; this module is their arithmetic, over the run's columns
(``reports.columns``), one mask per window.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from scenarios.expectations import (
    FUNCTIONS,
    After,
    Before,
    During,
    DuringFault,
    Metric,
    Window,
    metric_kind,
)

from .columns import BoolArray, CallColumns, FloatArray, RequestColumns, mask
from .evaluation import Evaluation
from .percentile import percentile
from .records import FAILED, LOST, OK, EventRecord
from .runinfo import RunInfo
from .severity import SeverityTimeline

__all__ = [
    "EVALUATORS",
    "RunData",
    "Undefined",
    "evaluates",
    "metric_value",
    "no_fault",
    "per_second",
    "show",
    "span_of",
    "values",
]

Span = tuple[float, float]


@dataclass(frozen=True, slots=True)
class RunData:
    """Everything an expectation may look at, on the report's time base."""

    info: RunInfo
    requests: RequestColumns
    calls: CallColumns
    events: Sequence[EventRecord]
    evaluation: Evaluation
    severity: SeverityTimeline
    end_s: float


class Undefined(Exception):
    """A metric with no value in its window (no data, unknown fault, division by zero)."""


def span_of(window: Window | None, run: RunData) -> Span:
    match window:
        case None:
            return 0.0, math.inf
        case During(a, b):
            return a, b
        case DuringFault(i):
            fault = run.info.fault(i)
            if fault is None:
                raise Undefined(no_fault(i, run))
            return fault.at_s, fault.end(run.end_s)
        case After(t):
            return t, math.inf
        case Before(t):
            return 0.0, t - 1e-12
    raise TypeError(f"not a window: {window!r}")


def no_fault(i: int, run: RunData) -> str:
    have = ", ".join(str(f.index) for f in run.info.faults) or "none"
    return f"no fault {i} in this run (faults: {have})"


def _span_length(span: Span, run: RunData) -> float:
    start, end = span
    return max(min(end, run.end_s) - start, 0.0)


def _inside(t: FloatArray, span: Span) -> BoolArray:
    return mask((t >= span[0]) & (t <= span[1]))


def _requests_in(run: RunData, span: Span) -> BoolArray:
    return _inside(run.requests.intended_s, span)


def _calls_in(run: RunData, span: Span, provider: str | None = None) -> BoolArray:
    return mask(_inside(run.calls.t_s, span) & run.calls.provider_is(provider))


def _n(rows: BoolArray) -> int:
    return int(np.count_nonzero(rows))


def values(arg: str, run: RunData, span: Span) -> FloatArray:
    """The raw values of ``arg`` in the window, in record order."""
    if arg == "llm_latency":
        return run.calls.latency_s[_calls_in(run, span)]
    r, rows = run.requests, _requests_in(run, span)
    if arg == "latency":
        return r.latency_s[rows & r.flags["timed"]]
    name = "agent_s" if arg == "agent" else "confidence"
    return r.floats[name][rows & r.known(name)]


def _rate(arg: str, r: RequestColumns, rows: BoolArray) -> float:
    sent = rows & r.sent
    if arg in ("failed", "ok", "lost"):
        pop, hits = sent, sent & r.outcome_is(arg)
    elif arg == "shed":
        pop, hits = sent, sent & r.flags["shed"]
    elif arg in ("fallback", "degraded", "cache_hit", "conservation"):
        pop = sent & r.outcome_is(OK)
        hits = pop & r.flags[arg]
    elif arg == "json_error":
        pop = sent & (r.attempts > 0)
        hits = pop & r.flags["json_error"]
    else:
        pop = sent & r.known(arg)
        hits = pop & r.truthy(arg)
    if not _n(pop):
        raise Undefined(f"no requests to take rate({arg}) over")
    return _n(hits) / _n(pop)


def _count(arg: str, r: RequestColumns, rows: BoolArray) -> int:
    if arg == "requests":
        return _n(rows)
    if arg == "sent":
        return _n(rows & r.sent)
    outcome = {"ok": OK, "succeeded": OK, "failed": FAILED, "lost": LOST}.get(arg)
    if outcome is not None:
        return _n(rows & r.outcome_is(outcome))
    if arg == "shed":
        return _n(rows & r.flags["shed"])
    counted = rows if arg == "json_error" else rows & r.outcome_is(OK)
    return _n(counted & r.truthy(arg))


#: how one metric function is worth over a window: (its argument, the run, the window) -> value
Evaluator = Callable[[str | None, RunData, Span], float | str]
#: metric name -> its evaluator: with ``scenarios.expectations.metric_table`` the whole of a metric (the
#: language's table says what may be written, this one what it means; a test keeps the two in step)
EVALUATORS: dict[str, Evaluator] = {}


def evaluates(*names: str) -> Callable[[Evaluator], Evaluator]:
    def register(fn: Evaluator) -> Evaluator:
        for name in names:
            EVALUATORS[name] = fn
        return fn
    return register


@evaluates("severity.max")
def _severity_max(arg: str | None, run: RunData, span: Span) -> float | str:
    return run.severity.max_during(span[0], span[1])


@evaluates("calls")
def _calls(arg: str | None, run: RunData, span: Span) -> float | str:
    return float(_n(_calls_in(run, span, arg)))


@evaluates("upstream_amplification")
def _amplification(arg: str | None, run: RunData, span: Span) -> float | str:
    sent = _n(_requests_in(run, span) & run.requests.sent)
    if sent == 0:
        raise Undefined("no requests sent in the window")
    return _n(_calls_in(run, span, arg)) / sent


@evaluates("rate")
def _rate_metric(arg: str | None, run: RunData, span: Span) -> float | str:
    assert arg is not None
    return _rate(arg, run.requests, _requests_in(run, span))


@evaluates("count")
def _count_metric(arg: str | None, run: RunData, span: Span) -> float | str:
    assert arg is not None
    return float(_count(arg, run.requests, _requests_in(run, span)))


def _found(arg: str | None, run: RunData, span: Span) -> FloatArray:
    assert arg is not None
    found = values(arg, run, span)
    if not found.size:
        raise Undefined(f"no {arg} values in the window")
    return found


@evaluates("avg")
def _avg(arg: str | None, run: RunData, span: Span) -> float | str:
    found = _found(arg, run, span)
    return float(sum(found.tolist())) / int(found.size)


@evaluates("max")
def _max(arg: str | None, run: RunData, span: Span) -> float | str:
    return float(_found(arg, run, span).max())


def _percentile_of(q: float) -> Evaluator:
    def evaluate(arg: str | None, run: RunData, span: Span) -> float | str:
        return percentile(_found(arg, run, span), q)
    return evaluate


# every percentile the language's table admits (p50, p90, ...): its number is its name
for _name in FUNCTIONS:
    if re.fullmatch(r"p\d+(\.\d+)?", _name):
        EVALUATORS[_name] = _percentile_of(float(_name[1:]))


def metric_value(metric: Metric, run: RunData) -> float | str:
    evaluator = EVALUATORS.get(metric.name)
    if evaluator is None:   # the parser admits only the table's names, and a test keeps both tables equal
        raise Undefined(f"no evaluator for the metric {metric.name!r}")
    return evaluator(metric.arg, run, span_of(metric.window, run))


def per_second(metric: Metric, run: RunData) -> float:
    value = metric_value(metric, run)
    assert not isinstance(value, str)
    if metric_kind(metric) != "count":
        return value
    length = _span_length(span_of(metric.window, run), run)
    if length <= 0:
        raise Undefined(f"the window of {metric.name} is empty")
    return value / length


def show(value: float | str, kind: str) -> str:
    if isinstance(value, str):
        return value
    if kind == "duration":
        return f"{value:.3f}s"
    if kind == "fraction":
        return f"{value:.4g} ({value * 100:.2f}%)"
    if kind == "count":
        return f"{value:g}"
    return f"{value:.4g}"
