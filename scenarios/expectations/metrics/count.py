"""``count(x)``: how many of a window's requests are ``x`` (all of them for ``requests``, the sent ones
for ``sent``, ok ones for how an answer was made)."""

from __future__ import annotations

from scenarios.expectations.measure import RunView, Span, Where
from scenarios.expectations.metric_def import MetricDef

_OUTCOMES = {"ok": "ok", "succeeded": "ok", "failed": "failed", "lost": "lost"}


def population(arg: str) -> Where:
    """The requests ``count(arg)`` counts."""
    if arg == "requests":
        return Where()
    if arg == "sent":
        return Where(sent=True)
    if arg in _OUTCOMES:
        return Where(outcome=_OUTCOMES[arg])
    if arg == "shed":
        return Where(flag="shed")
    if arg == "json_error":
        return Where(truthy=arg)
    return Where(outcome="ok", truthy=arg)


def _count(arg: str | None, run: RunView, span: Span) -> float | str:
    assert arg is not None
    return float(run.count_requests(span, population(arg)))


TAKES = (
    "sent", "requests", "ok", "succeeded", "failed", "lost", "fallback", "degraded", "cache_hit", "json_error",
    "shed",
)
METRICS = (MetricDef("count", TAKES, "count", _count),)
