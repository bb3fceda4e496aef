"""``rate(x)``: the fraction of a window's requests that are ``x``, over the population ``x`` is a
fraction of — sent requests for outcomes and sheds, ok ones for how an answer was made, the ones that
asked an LLM for JSON errors, and the ones where it is known for correctness."""

from __future__ import annotations

from dataclasses import replace

from scenarios.expectations.measure import RunView, Span, Undefined, Where
from scenarios.expectations.metric_def import MetricDef

_SENT = Where(sent=True)
_OK = Where(sent=True, outcome="ok")


def populations(arg: str) -> tuple[Where, Where]:
    """(the requests ``rate(arg)`` is over, those of them that count)"""
    if arg in ("failed", "ok", "lost"):
        return _SENT, replace(_SENT, outcome=arg)
    if arg == "shed":
        return _SENT, replace(_SENT, flag="shed")
    if arg in ("fallback", "degraded", "cache_hit", "conservation"):
        return _OK, replace(_OK, flag=arg)
    if arg == "json_error":
        asked = Where(sent=True, asked_llm=True)
        return asked, replace(asked, flag="json_error")
    known = Where(sent=True, known=arg)
    return known, replace(known, truthy=arg)


def _rate(arg: str | None, run: RunView, span: Span) -> float | str:
    assert arg is not None
    over, hits = populations(arg)
    total = run.count_requests(span, over)
    if not total:
        raise Undefined(f"no requests to take rate({arg}) over")
    return run.count_requests(span, hits) / total


TAKES = (
    "failed", "ok", "lost", "fallback", "degraded", "cache_hit", "json_error", "correct", "validation_fp",
    "conservation", "shed",
)
METRICS = (MetricDef("rate", TAKES, "fraction", _rate),)
