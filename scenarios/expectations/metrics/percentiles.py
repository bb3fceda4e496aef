"""``p50/p90/p95/p99(latency|llm_latency|agent)``: exact percentiles of a window's samples (its number
is its name)."""

from __future__ import annotations

from scenarios.expectations.measure import RunView, Span, samples_in
from scenarios.expectations.metric_def import Evaluator, MetricDef

SAMPLED = ("latency", "llm_latency", "agent")


def _percentile_of(q: float) -> Evaluator:
    def evaluate(arg: str | None, run: RunView, span: Span) -> float | str:
        return samples_in(run, arg, span).percentile(q)

    return evaluate


METRICS = tuple(MetricDef(f"p{q}", SAMPLED, "duration", _percentile_of(float(q))) for q in (50, 90, 95, 99))
