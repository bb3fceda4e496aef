"""What an expectation's metric is worth over a run: windows, and the columns a metric reads
(``reports.expect`` judges them).  The definitions — which requests a rate is over, where a record sits in
time — are in ``reports.expect``'s docstring; each metric's own arithmetic is its module in
``scenarios.expectations.metrics``, over the protocol ``scenarios.expectations.measure.RunView`` that
:class:`RunData` supplies from the run's columns (``reports.columns``), one mask per window.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scenarios.expectations import (
    After,
    Before,
    During,
    DuringFault,
    Metric,
    Window,
    metric_kind,
)
from scenarios.expectations.measure import Span, Undefined, Where
from scenarios.expectations.metrics import METRICS

from .columns import BoolArray, CallColumns, FloatArray, RequestColumns, mask
from .evaluation import Evaluation
from .percentile import percentile
from .records import EventRecord
from .runinfo import RunInfo
from .severity import SeverityTimeline

__all__ = [
    "RunData",
    "Undefined",
    "metric_value",
    "no_fault",
    "per_second",
    "show",
    "span_of",
    "values",
]


@dataclass(frozen=True, slots=True)
class RunData:
    """Everything an expectation may look at, on the report's time base; the columns a metric reads
    (``scenarios.expectations.measure.RunView``)."""

    info: RunInfo
    requests: RequestColumns
    calls: CallColumns
    events: Sequence[EventRecord]
    evaluation: Evaluation
    severity: SeverityTimeline
    end_s: float

    def count_requests(self, span: Span, where: Where) -> int:
        r = self.requests
        rows = _requests_in(self, span)
        if where.sent:
            rows = rows & r.sent
        if where.outcome is not None:
            rows = rows & r.outcome_is(where.outcome)
        if where.flag is not None:
            rows = rows & r.flags[where.flag]
        if where.known is not None:
            rows = rows & r.known(where.known)
        if where.truthy is not None:
            rows = rows & r.truthy(where.truthy)
        if where.asked_llm:
            rows = rows & (r.attempts > 0)
        return _n(mask(rows))

    def count_calls(self, span: Span, provider: str | None) -> int:
        return _n(_calls_in(self, span, provider))

    def samples(self, quantity: str, span: Span) -> ValueSamples:
        return ValueSamples(values(quantity, self, span))

    def severity_max(self, span: Span) -> str:
        return self.severity.max_during(span[0], span[1])


@dataclass(frozen=True, slots=True)
class ValueSamples:
    """A window's raw values of one quantity (``scenarios.expectations.measure.Samples``)."""

    found: FloatArray

    @property
    def size(self) -> int:
        return int(self.found.size)

    def max(self) -> float:
        return float(self.found.max())

    def mean(self) -> float:
        return float(sum(self.found.tolist())) / int(self.found.size)

    def percentile(self, q: float) -> float:
        return percentile(self.found, q)


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


def metric_value(metric: Metric, run: RunData) -> float | str:
    definition = METRICS.get(metric.name)
    if definition is None:  # the parser admits only the registry's names; an AST built by hand may not
        raise Undefined(f"no metric {metric.name!r}")
    return definition.evaluate(metric.arg, run, span_of(metric.window, run))


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
