"""The expectation language's metric table drives its parser: every entry parses, formats and parses back.

A new metric is one module of ``scenarios/expectations/metrics/``; these properties cover it
without another line here (its meaning over records is tested with ``reports.expect``).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.expectations import (
    COMPARISONS,
    FUNCTIONS,
    KNOWN_METRICS,
    SEVERITY_LEVELS,
    Comparison,
    ExpectationSyntaxError,
    Metric,
    format_expectation,
    metric_kind,
    parse_expectation,
)
from scenarios.expectations.metric_table import BARE_METRICS, TAKES_PROVIDER

_EVERY_METRIC = [
    *(Metric(name, arg) for name, (args, _) in FUNCTIONS.items() for arg in args),
    *(Metric(name) for name in BARE_METRICS),
    *(Metric(name, "qwen") for name in sorted(TAKES_PROVIDER)),
]
# a literal of each kind, and what the AST holds for it
_VALUES: dict[str, tuple[str, float | str]] = {
    "duration": ("1m30s", 90.0),
    "fraction": ("5%", 0.05),
    "count": ("3", 3.0),
    "number": ("0.7", 0.7),
    "severity": ("P3", "P3"),
}


def _text(metric: Metric) -> str:
    return metric.name if metric.arg is None else f"{metric.name}({metric.arg})"


@given(st.sampled_from(_EVERY_METRIC), st.sampled_from(COMPARISONS))
@settings(max_examples=300, deadline=None)
def test_every_metric_of_the_table_parses_and_formats_back(metric: Metric, op: str) -> None:
    literal, value = _VALUES[metric_kind(metric)]
    parsed = parse_expectation(f"{_text(metric)} {op} {literal}")
    assert parsed == Comparison(metric, op, value)
    assert parse_expectation(format_expectation(parsed)) == parsed


@pytest.mark.parametrize("metric", _EVERY_METRIC, ids=_text)
def test_a_value_of_another_kind_is_refused_naming_the_column(metric: Metric) -> None:
    kind = metric_kind(metric)
    wrong = "P2" if kind != "severity" else "3"
    if kind in ("number", "fraction") and metric.name != "severity.max":
        wrong = "30s"  # a duration against a number or a fraction
    line = f"{_text(metric)} < {wrong}"
    with pytest.raises(ExpectationSyntaxError) as info:
        parse_expectation(line)
    assert info.value.column == line.index(wrong) + 1


def test_the_help_list_names_every_metric_of_the_table() -> None:
    for metric in _EVERY_METRIC:
        shown = _text(metric).replace("(qwen)", "(<provider>)")
        assert shown in KNOWN_METRICS
    assert SEVERITY_LEVELS[0] == "none" and SEVERITY_LEVELS[-1] == "P1"
