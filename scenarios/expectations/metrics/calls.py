"""``calls`` / ``calls(p)``: provider attempts that started in the window (of one provider)."""

from __future__ import annotations

from scenarios.expectations.measure import RunView, Span
from scenarios.expectations.metric_def import MetricDef


def _calls(arg: str | None, run: RunView, span: Span) -> float | str:
    return float(run.count_calls(span, arg))


METRICS = (MetricDef("calls", None, "count", _calls, takes_provider=True),)
