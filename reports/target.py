"""A report of a drill of a gateway that is not ours: what could not be measured says so.

``run.json``'s ``target`` key (``RunInfo.target``, written by ``llmdrill run --target``) lists the
figures only our gateway exposes (``unavailable``: breakers, modes, cache, fallback, gateway events,
agent time, validation...).  ``mark_target`` turns the report's verdicts that need one of them into
"unknown" (an expectation) or "unavailable" (a rule), never a pass or a fail built on a zero that
was never measured.  Unknown expectations do not fail the run; everything measurable from outside
(latency, outcomes, the calls the fakes saw, amplification, the alerts over those, severity) is
judged as usual.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from scenarios.expectations import (
    AlertFires,
    AlertNeverFires,
    BreakerEnds,
    BreakerNeverOpens,
    BreakerOpens,
    Comparison,
    Expectation,
    ExpectationSyntaxError,
    Metric,
    Ratio,
    parse_expectation,
)

from .correctness import Correctness
from .expect import ExpectationResult
from .report import AlertSummary, Report

__all__ = ["UNAVAILABLE_STATUS", "UNKNOWN_PREFIX", "is_unknown", "mark_target", "needs", "rule_needs"]

UNAVAILABLE_STATUS = "unavailable"
UNKNOWN_PREFIX = "unknown"

#: the rules whose records only our gateway writes, and the figure each needs
_RULE_NEEDS: Mapping[str, str] = {
    "latency.agent_p95": "agent_time",
    "quality.validation_fp_rate": "validation",
    "quality.gold_probe_correctness": "gateway_events",
}
#: request fields only our gateway's answers carry
_RATE_NEEDS: Mapping[str, str] = {
    "fallback": "fallback",
    "degraded": "modes",
    "conservation": "modes",
    "cache_hit": "cache",
    "validation_fp": "validation",
}


def rule_needs(rule: str) -> str | None:
    return _RULE_NEEDS.get(rule)


def _metric_needs(m: Metric) -> str | None:
    if m.arg == "agent":
        return "agent_time"
    if m.name in ("rate", "count") and m.arg is not None:
        return _RATE_NEEDS.get(m.arg)
    return None


def needs(exp: Expectation) -> str | None:
    """The unavailable-in-a-target-run figure an expectation reads, if any."""
    match exp:
        case BreakerOpens() | BreakerNeverOpens() | BreakerEnds():
            return "breakers"
        case AlertFires(rule=rule) | AlertNeverFires(rule=rule):
            return _RULE_NEEDS.get(rule)
        case Comparison(left=Ratio(numerator=a, denominator=b)):
            return _metric_needs(a) or _metric_needs(b)
        case Comparison(left=Metric() as m):
            return _metric_needs(m)
    return None


def is_unknown(result: ExpectationResult) -> bool:
    """An expectation nobody could judge (a figure unavailable, or the harness failed)."""
    return result.observed.startswith(UNKNOWN_PREFIX)


def _expectation(result: ExpectationResult, unavailable: Sequence[str]) -> ExpectationResult:
    try:
        figure = needs(parse_expectation(result.name))
    except ExpectationSyntaxError:
        return result
    if figure is None or figure not in unavailable:
        return result
    return replace(result, passed=True, observed=f"{UNKNOWN_PREFIX} ({figure} unavailable from a target gateway)",
                   detail=f"not judged: it reads {figure}, which only llmdrill's own gateway exposes")


def _alert(alert: AlertSummary, unavailable: Sequence[str]) -> AlertSummary:
    # the call-based rules stand: their calls are the fakes' (the report's target section says what that means)
    figure = _RULE_NEEDS.get(alert.rule)
    if figure is not None and figure in unavailable:
        return replace(alert, fired=False, status=UNAVAILABLE_STATUS, first_fired_s=None, intervals=(),
                       time_to_detect_s=(),
                       note=f"unavailable: its records ({figure}) come from llmdrill's own gateway only")
    return alert


def mark_target(report: Report) -> Report:
    """``report`` with the figures a target run cannot know marked; unchanged for our own gateway."""
    target: Mapping[str, Any] = report.info.target
    if not target:
        return report
    unavailable = [str(u) for u in target.get("unavailable", [])]
    expectations = tuple(_expectation(e, unavailable) for e in report.expectations)
    alerts = tuple(_alert(a, unavailable) for a in report.alerts)
    rates = tuple((k, None if any(f"({arg})" in k for arg, fig in _RATE_NEEDS.items() if fig in unavailable)
                   else v) for k, v in report.rates)
    passed = all(e.passed for e in expectations) and report.conservation.holds
    if report.info.harness_failure:
        passed = False
    return replace(report, expectations=expectations, alerts=alerts, rates=rates, passed=passed,
                   correctness=_correctness(report.correctness, unavailable))


def _correctness(c: Correctness | None, unavailable: Sequence[str]) -> Correctness | None:
    # where an answer came from (cache, fallback, degraded, llm) is the gateway's to say: without it,
    # every answer would read "llm"
    if c is None or not {"cache", "fallback", "modes"} & set(unavailable):
        return c
    return replace(c, by_source=(), examples=tuple(replace(e, source="unknown") for e in c.examples))
