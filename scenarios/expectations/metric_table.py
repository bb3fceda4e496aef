"""What an expectation may measure, as data: the metric functions, their arguments and the kind of value.

Adding a metric to the language is one entry here: an argument in :data:`FUNCTIONS` (``rate(timeout)``),
a function (``p75``) or a bare metric in :data:`BARE_METRICS`; the parser, its suggestions and
:data:`KNOWN_METRICS` read this table. Its meaning over a run's records is one evaluator registered in
``reports.expect_metrics.EVALUATORS`` (a test fails while either side lacks the other).
"""

from __future__ import annotations

from typing import Literal

from scenarios.expectations.nodes import Metric, Ratio

__all__ = [
    "BARE_METRICS",
    "BREAKER_STATES",
    "COMPARISONS",
    "FUNCTIONS",
    "KNOWN_METRICS",
    "LEADING_WORDS",
    "SEVERITY_LEVELS",
    "TAKES_PROVIDER",
    "MetricKind",
    "metric_kind",
]

#: Severity literals, least severe first.
SEVERITY_LEVELS: tuple[str, ...] = ("none", "P4", "P3", "P2", "P1")

COMPARISONS: tuple[str, ...] = ("<", "<=", ">", ">=", "==", "!=")

MetricKind = Literal["duration", "fraction", "count", "number", "severity"]

#: function -> (arguments it accepts, kind of value it yields).  Data, so that the
#: evaluator and the suggestions read the same table.
FUNCTIONS: dict[str, tuple[tuple[str, ...], MetricKind]] = {
    "p50": (("latency", "llm_latency", "agent"), "duration"),
    "p90": (("latency", "llm_latency", "agent"), "duration"),
    "p95": (("latency", "llm_latency", "agent"), "duration"),
    "p99": (("latency", "llm_latency", "agent"), "duration"),
    "max": (("latency", "llm_latency", "agent"), "duration"),
    "avg": (("latency", "llm_latency", "agent", "confidence"), "number"),
    "rate": (
        (
            "failed",
            "ok",
            "lost",
            "fallback",
            "degraded",
            "cache_hit",
            "json_error",
            "correct",
            "validation_fp",
            "conservation",
            "shed",
        ),
        "fraction",
    ),
    "count": (
        (
            "sent",
            "requests",
            "ok",
            "succeeded",
            "failed",
            "lost",
            "fallback",
            "degraded",
            "cache_hit",
            "json_error",
            "shed",
        ),
        "count",
    ),
}

#: Bare metrics (an optional provider argument where noted).
BARE_METRICS: dict[str, MetricKind] = {
    "calls": "count",
    "upstream_amplification": "number",
    "severity.max": "severity",
}
TAKES_PROVIDER = frozenset({"calls", "upstream_amplification"})

#: Every metric a line may name, for help texts: read off the tables above.
KNOWN_METRICS: tuple[str, ...] = (
    *(f"{f}({a})" for f, (args, _) in FUNCTIONS.items() for a in args),
    *(form for name in BARE_METRICS for form in (name, f"{name}(<provider>)")[: 2 if name in TAKES_PROVIDER else 1]),
    "ratio(<metric> after <t>, <metric> before <t>)",
    "alert(<rule>) fires",
    "breaker(<provider>) opens",
    "recovery passes",
)

BREAKER_STATES = ("closed", "open", "half_open", "forced_open", "disabled")
LEADING_WORDS = ("alert", "breaker", "recovery", "ratio", *FUNCTIONS, *BARE_METRICS)


def metric_kind(operand: Metric | Ratio) -> MetricKind:
    """What a metric's value is, so that the parser refuses "rate(failed) < 2s" and the formatter adds units."""
    if isinstance(operand, Ratio):
        return "number"
    if operand.name in FUNCTIONS:
        kind = FUNCTIONS[operand.name][1]
        if operand.name == "avg" and operand.arg != "confidence":
            return "duration"
        return kind
    return BARE_METRICS[operand.name]
