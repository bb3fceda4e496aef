"""One grammar for literals: the expectation lexer, rule overrides, stack scaling and the JSON Schema agree.

The table lists every form a literal takes (plain number, exponent, percentage, each duration unit,
compound durations, µs) and every kind of counter-example; the properties check that the JSON-Schema
patterns accept exactly what the parsers read.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from units.durations import (
    DURATION_PATTERN,
    RATE_PATTERN,
    ValueSyntaxError,
    format_duration,
    parse_duration,
    parse_rate,
)
from units.quantity import parse_quantity, scan_quantity

QUANTITIES = [
    ("7", 7.0, "number"),
    ("0.5", 0.5, "number"),
    (".5", 0.5, "number"),
    ("10.", 10.0, "number"),
    ("1e3", 1000.0, "number"),
    ("100000000", 1e8, "number"),  # a count: the 366-day bound of durations does not apply
    (7, 7.0, "number"),
    (0.25, 0.25, "number"),
    ("5%", 0.05, "percent"),
    ("0.5%", 0.005, "percent"),
    ("1h", 3600.0, "duration"),
    ("2m", 120.0, "duration"),
    ("3s", 3.0, "duration"),
    ("500ms", 0.5, "duration"),
    ("250us", 0.00025, "duration"),
    ("250µs", 0.00025, "duration"),
    ("1m30s", 90.0, "duration"),
    ("1h2m3s4ms5us", 3723.004005, "duration"),
    (" 1.5s ", 1.5, "duration"),
]
NOT_QUANTITIES = [
    ("", 0), ("-5", 0), ("-1s", 0), ("5 %", 1), ("%", 0), ("5min", 1), ("10sec", 2), ("1s1s", 2),
    ("30s1m", 3), ("1m30", 4), ("10000h", 0), ("nan", 0), ("inf", 0), ("1e3s", 1), ("ten", 0),
]


@pytest.mark.parametrize(("text", "value", "kind"), QUANTITIES)
def test_every_form_of_a_literal(text: object, value: float, kind: str) -> None:
    quantity = parse_quantity(text, "expect[0]")
    assert quantity.kind == kind
    assert quantity.value == pytest.approx(value)
    if kind == "duration":  # the same reading as any duration field of a scenario file
        assert quantity.value == parse_duration(text, "d")


@pytest.mark.parametrize(("text", "offset"), NOT_QUANTITIES)
def test_counter_examples_are_refused_where_they_go_wrong(text: str, offset: int) -> None:
    with pytest.raises(ValueSyntaxError) as info:
        parse_quantity(text, "expect[2]")
    assert info.value.where == "expect[2]"
    assert info.value.offset == offset


@pytest.mark.parametrize("bad", [True, None, [1], float("nan"), -1, 10**400])
def test_values_that_are_no_literal_are_refused(bad: object) -> None:
    with pytest.raises(ValueSyntaxError, match="x"):
        parse_quantity(bad, "x")


def test_scan_reads_one_literal_out_of_a_line() -> None:
    line = "p95(latency) during [1m30s, 5m] < 250ms"
    quantity, end = scan_quantity(line, line.index("1m30s"))
    assert (quantity.value, quantity.kind, line[end]) == (90.0, "duration", ",")
    quantity, end = scan_quantity(line, line.index("250ms"))
    assert (quantity.value, end) == (0.25, len(line))
    with pytest.raises(ValueSyntaxError) as info:
        scan_quantity("x < 5min", 4)
    assert info.value.offset == 5  # the column of the unknown unit, not of the number


@given(st.floats(min_value=0, max_value=360_000, allow_nan=False))
@settings(max_examples=100, deadline=None)
def test_a_formatted_duration_is_a_duration_literal(seconds: float) -> None:
    text = format_duration(seconds)
    quantity, end = scan_quantity(f"{text})", 0)
    assert (quantity.kind, end) == ("duration", len(text))
    assert quantity.value == parse_duration(text, "d")


def _reads(parse: object, text: str) -> bool:
    try:
        parse(text, "x")  # type: ignore[operator]
    except ValueSyntaxError as exc:
        # bounds on the value, not the spelling: the loader says those more clearly than a pattern could
        return "finite" in exc.message or "at most 366 days" in exc.message
    return True


_SPELLINGS = st.text(alphabet="0123456789.hmsuµe+ /%", max_size=9)


@given(_SPELLINGS)
@settings(max_examples=400, deadline=None)
def test_the_schema_pattern_of_a_duration_accepts_what_the_parser_reads(text: str) -> None:
    assert bool(re.fullmatch(DURATION_PATTERN, text)) == _reads(parse_duration, text), text


@given(st.one_of(_SPELLINGS, st.sampled_from(["20/s", "600 / min", "3600/hour", "5/fortnight", "1/ms"])))
@settings(max_examples=400, deadline=None)
def test_the_schema_pattern_of_a_rate_accepts_what_the_parser_reads(text: str) -> None:
    assert bool(re.fullmatch(RATE_PATTERN, text)) == _reads(parse_rate, text), text
