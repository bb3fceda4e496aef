"""``upstream_amplification`` / ``upstream_amplification(p)``: provider attempts per sent request."""

from __future__ import annotations

from scenarios.expectations.measure import RunView, Span, Undefined, Where
from scenarios.expectations.metric_def import MetricDef


def _amplification(arg: str | None, run: RunView, span: Span) -> float | str:
    sent = run.count_requests(span, Where(sent=True))
    if sent == 0:
        raise Undefined("no requests sent in the window")
    return run.count_calls(span, arg) / sent


METRICS = (MetricDef("upstream_amplification", None, "number", _amplification, takes_provider=True),)
