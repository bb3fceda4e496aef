"""``severity.max``: the worst severity (P1 worst, ``none`` least) in the window."""

from __future__ import annotations

from scenarios.expectations.measure import RunView, Span
from scenarios.expectations.metric_def import MetricDef


def _severity_max(arg: str | None, run: RunView, span: Span) -> float | str:
    return run.severity_max(span)


METRICS = (MetricDef("severity.max", None, "severity", _severity_max),)
