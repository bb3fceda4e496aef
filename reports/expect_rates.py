"""The rates a report sets side by side for ``llmdrill compare``: the headline rates and every rate the
expectations name, each over its own window (``reports.expect_metrics`` evaluates them).

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence

from scenarios.expectations import Comparison, ExpectationSyntaxError, Metric, Ratio, format_window, parse_expectation

from .expect_metrics import RunData, Undefined, metric_value

__all__ = ["HEADLINE_RATES", "expectation_rates"]

#: Rates every report carries over the whole run, whether or not an expectation names them.
HEADLINE_RATES = ("failed", "correct", "cache_hit", "fallback")


def _metric_text(metric: Metric) -> str:
    text = metric.name if metric.arg is None else f"{metric.name}({metric.arg})"
    return text if metric.window is None else f"{text} {format_window(metric.window)}"


def _rate_metrics(texts: Sequence[str]) -> list[Metric]:
    out = [Metric("rate", arg) for arg in HEADLINE_RATES]
    for text in texts:
        try:
            exp = parse_expectation(text)
        except ExpectationSyntaxError:
            continue
        if isinstance(exp, Comparison):
            sides = (exp.left.numerator, exp.left.denominator) if isinstance(exp.left, Ratio) else (exp.left,)
            out += [m for m in sides if m.name == "rate"]
    return out


def expectation_rates(texts: Sequence[str], run: RunData) -> tuple[tuple[str, float | None], ...]:
    """The headline rates and every rate the expectations name, as ``(text, value)``: what ``compare``
    sets side by side.  A rate with nothing to count in its window is None."""
    seen: dict[str, float | None] = {}
    for metric in _rate_metrics(texts):
        key = _metric_text(metric)
        if key in seen:
            continue
        try:
            value = metric_value(metric, run)
        except Undefined:
            value = None
        seen[key] = value if isinstance(value, float) else None
    return tuple(seen.items())
