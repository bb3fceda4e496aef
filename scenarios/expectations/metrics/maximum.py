"""``max(latency|llm_latency|agent)``: the largest sample of a window."""

from __future__ import annotations

from scenarios.expectations.measure import RunView, Span, samples_in
from scenarios.expectations.metric_def import MetricDef


def _max(arg: str | None, run: RunView, span: Span) -> float | str:
    return samples_in(run, arg, span).max()


METRICS = (MetricDef("max", ("latency", "llm_latency", "agent"), "duration", _max),)
