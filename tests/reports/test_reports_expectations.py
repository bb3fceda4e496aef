"""The threshold language: round-trips, units, and garbage rejected with a column."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.expectations import (
    FUNCTIONS,
    SEVERITY_LEVELS,
    After,
    AlertFires,
    AlertNeverFires,
    Before,
    BreakerEnds,
    BreakerNeverOpens,
    BreakerOpens,
    Comparison,
    During,
    DuringFault,
    ExpectationSyntaxError,
    Metric,
    Ratio,
    RecoveryPasses,
    format_expectation,
    metric_kind,
    parse_expectation,
    parse_quantity,
)

seconds = st.floats(min_value=0, max_value=1e5, allow_nan=False, allow_infinity=False)
names = st.from_regex(r"[a-z][a-z0-9_]{0,8}(\.[a-z0-9_]{1,8})?", fullmatch=True)
windows = st.one_of(
    st.none(),
    st.tuples(seconds, seconds).map(lambda ab: During(min(ab), max(ab))),
    st.integers(0, 9).map(DuringFault),
    seconds.map(After),
    seconds.map(Before),
)


@st.composite
def metrics(draw: st.DrawFn) -> Metric:
    kind = draw(st.sampled_from(["func", "calls", "upstream_amplification", "severity.max"]))
    window = draw(windows)
    if kind == "func":
        func = draw(st.sampled_from(sorted(FUNCTIONS)))
        return Metric(func, draw(st.sampled_from(FUNCTIONS[func][0])), window)
    if kind == "severity.max":
        return Metric(kind, None, window)
    return Metric(kind, draw(st.one_of(st.none(), st.sampled_from(["qwen", "claude", "openai"]))), window)


@st.composite
def comparisons(draw: st.DrawFn) -> Comparison:
    if draw(st.booleans()):
        left: Metric | Ratio = Ratio(
            draw(metrics().filter(lambda m: metric_kind(m) != "severity")),
            draw(metrics().filter(lambda m: metric_kind(m) != "severity")),
        )
    else:
        left = draw(metrics())
    op = draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
    value: float | str = (
        draw(st.sampled_from(SEVERITY_LEVELS)) if metric_kind(left) == "severity" else draw(seconds)
    )
    return Comparison(left, op, value)


expectations = st.one_of(
    comparisons(),
    st.builds(AlertFires, names, st.none(), st.none(), windows),
    st.builds(
        lambda r, w, f: AlertFires(r, w, f, None), names, seconds, st.one_of(st.none(), st.integers(0, 9))
    ),
    st.builds(AlertNeverFires, names, windows),
    st.builds(BreakerOpens, names, st.one_of(st.none(), seconds), st.none()),
    st.builds(BreakerNeverOpens, names),
    st.builds(BreakerEnds, names, st.sampled_from(["closed", "open", "half_open"])),
    st.just(RecoveryPasses()),
)


@settings(max_examples=300, deadline=None)
@given(expectations)
def test_format_then_parse_is_identity(exp: object) -> None:
    text = format_expectation(exp)  # type: ignore[arg-type]
    assert parse_expectation(text) == exp


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("pa95(latency)<>=! 0.1s%m,[]fireswithnvdu_")), max_size=40))
def test_garbage_is_parsed_or_rejected_with_a_column(text: str) -> None:
    try:
        exp = parse_expectation(text)
    except ExpectationSyntaxError as err:
        assert 1 <= err.column <= len(text) + 1
        assert err.message
    else:
        assert parse_expectation(format_expectation(exp)) == exp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("p95(latency) < 10s", Comparison(Metric("p95", "latency"), "<", 10.0)),
        ("p99(latency) <= 1500ms", Comparison(Metric("p99", "latency"), "<=", 1.5)),
        ("avg(confidence) > 0.7", Comparison(Metric("avg", "confidence"), ">", 0.7)),
        ("rate(failed) < 1%", Comparison(Metric("rate", "failed"), "<", 0.01)),
        ("count(lost) == 0", Comparison(Metric("count", "lost"), "==", 0.0)),
        ("severity.max <= P4", Comparison(Metric("severity.max"), "<=", "P4")),
        ("upstream_amplification < 1.5", Comparison(Metric("upstream_amplification"), "<", 1.5)),
        (
            "upstream_amplification(qwen) < 1.2",
            Comparison(Metric("upstream_amplification", "qwen"), "<", 1.2),
        ),
        ("calls(qwen) > 0", Comparison(Metric("calls", "qwen"), ">", 0.0)),
        ("alert(rate_limit.429_rate) fires", AlertFires("rate_limit.429_rate")),
        ("alert(x) fires within 60s of fault 0", AlertFires("x", 60.0, 0)),
        ("alert(x) never fires", AlertNeverFires("x")),
        ("alert(x) does not fire", AlertNeverFires("x")),
        ("breaker(qwen) opens", BreakerOpens("qwen")),
        ("breaker(qwen) opens within 30s of fault 0", BreakerOpens("qwen", 30.0, 0)),
        ("breaker(qwen) ends closed", BreakerEnds("qwen", "closed")),
        ("recovery passes", RecoveryPasses()),
        (
            "p95(latency) during [2m, 8m] < 20s",
            Comparison(Metric("p95", "latency", During(120.0, 480.0)), "<", 20.0),
        ),
        (
            "p95(latency) < 20s during [2m, 8m]",
            Comparison(Metric("p95", "latency", During(120.0, 480.0)), "<", 20.0),
        ),
        ("rate(failed) < 5% during fault 0", Comparison(Metric("rate", "failed", DuringFault(0)), "<", 0.05)),
        ("p50(latency) after 6m < 3s", Comparison(Metric("p50", "latency", After(360.0)), "<", 3.0)),
        ("p90(latency) before 1m30s < 3", Comparison(Metric("p90", "latency", Before(90.0)), "<", 3.0)),
        (
            "ratio(calls after 6m, calls before 6m) <= 0.5",
            Comparison(
                Ratio(Metric("calls", None, After(360.0)), Metric("calls", None, Before(360.0))), "<=", 0.5
            ),
        ),
    ],
)
def test_examples_parse_to_their_ast(text: str, expected: object) -> None:
    assert parse_expectation(text) == expected


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("p95(latncy) < 10s", 5, "did you mean 'latency'"),
        ("p95(latency) < 10%", 16, "percentage"),
        ("rate(failed) < 2s", 16, "duration"),
        ("rate(failed) = 0.1", 14, "=="),
        ("severity.max <= P5", 17, "severity"),
        ("alert(x) fire", 10, "did you mean 'fires'"),
        ("p95(latency) < 5min", 17, "unknown unit"),
        ("lantecy < 3", 1, "unknown metric"),
        ("count(lost) == 0 0", 18, "after a complete expectation"),
        ("p95(latency) during [8m, 2m] < 1s", 26, "end before it starts"),
        ("", 1, "empty"),
        ("__import__('os').system('x')", 12, "unexpected character"),
    ],
)
def test_bad_lines_name_the_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(ExpectationSyntaxError) as info:
        parse_expectation(text)
    assert info.value.column == column
    assert fragment in str(info.value)


def test_parse_quantity_units() -> None:
    assert parse_quantity("1m30s") == 90.0
    assert parse_quantity("250ms") == 0.25
    assert parse_quantity("5%") == 0.05
    assert parse_quantity(7) == 7.0
    with pytest.raises(ValueError, match="duration"):
        parse_quantity("ten seconds")
