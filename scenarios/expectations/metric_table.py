"""What an expectation may measure, read off the metrics' own modules, and the language's fixed words.

A metric is one module of ``scenarios.expectations.metrics`` (its name, what it takes, the kind of its
value and its evaluator); this module gives the views of that registry the parser, the formatter and the
help texts read, and the words (comparisons, severities, breaker states) that are no metric.
"""

from __future__ import annotations

from scenarios.expectations.metric_def import MetricKind
from scenarios.expectations.metrics import METRICS
from scenarios.expectations.nodes import Metric, Ratio

__all__ = [
    "BARE_METRICS",
    "BREAKER_STATES",
    "COMPARISONS",
    "FUNCTIONS",
    "KNOWN_METRICS",
    "SEVERITY_LEVELS",
    "TAKES_PROVIDER",
    "MetricKind",
    "leading_words",
    "metric_kind",
]

#: Severity literals, least severe first.
SEVERITY_LEVELS: tuple[str, ...] = ("none", "P4", "P3", "P2", "P1")

COMPARISONS: tuple[str, ...] = ("<", "<=", ">", ">=", "==", "!=")

BREAKER_STATES = ("closed", "open", "half_open", "forced_open", "disabled")

#: function -> (arguments it accepts, kind of value it yields)
FUNCTIONS: dict[str, tuple[tuple[str, ...], MetricKind]] = {
    d.name: (d.takes, d.kind) for d in METRICS.values() if d.takes is not None
}
#: Bare metrics (an optional provider argument where :data:`TAKES_PROVIDER` says so).
BARE_METRICS: dict[str, MetricKind] = {d.name: d.kind for d in METRICS.values() if d.takes is None}
TAKES_PROVIDER = frozenset(d.name for d in METRICS.values() if d.takes_provider)

#: Every metric a line may name, for help texts.
KNOWN_METRICS: tuple[str, ...] = (
    *(f"{f}({a})" for f, (args, _) in FUNCTIONS.items() for a in args),
    *(form for name in BARE_METRICS for form in (name, f"{name}(<provider>)")[: 2 if name in TAKES_PROVIDER else 1]),
    "ratio(<metric> after <t>, <metric> before <t>)",
    "alert(<rule>) fires",
    "breaker(<provider>) opens",
    "recovery passes",
)


def leading_words() -> tuple[str, ...]:
    """The words a line may start with, for "did you mean" (read when asked: the registry is the truth)."""
    return ("alert", "breaker", "recovery", "ratio", *METRICS)


def metric_kind(operand: Metric | Ratio) -> MetricKind:
    """What a metric's value is, so that the parser refuses "rate(failed) < 2s" and the formatter adds units."""
    if isinstance(operand, Ratio):
        return "number"
    return METRICS[operand.name].kind_of(operand.arg)
