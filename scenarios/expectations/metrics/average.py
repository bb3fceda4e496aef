"""``avg(latency|llm_latency|agent|confidence)``: the mean of a window's samples (seconds, but a number
for confidence)."""

from __future__ import annotations

from scenarios.expectations.measure import RunView, Span, samples_in
from scenarios.expectations.metric_def import MetricDef


def _avg(arg: str | None, run: RunView, span: Span) -> float | str:
    return samples_in(run, arg, span).mean()


METRICS = (
    MetricDef(
        "avg", ("latency", "llm_latency", "agent", "confidence"), "duration", _avg, kind_by_arg={"confidence": "number"}
    ),
)
