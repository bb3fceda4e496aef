"""Human units: durations, rates and sizes parse, round-trip and reject garbage with the field named."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from units.durations import ValueSyntaxError, format_duration, parse_duration, parse_rate, parse_size


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("3s", 3.0),
        ("2m", 120.0),
        ("1h", 3600.0),
        ("1m30s", 90.0),
        ("1h2m3s4ms", 3723.004),
        ("1.5s", 1.5),
        ("250us", 0.00025),
        (" 10s ", 10.0),
        ("0", 0.0),
        ("2.5", 2.5),
        (7, 7.0),
        (0.25, 0.25),
    ],
)
def test_parse_duration_examples(text: object, seconds: float) -> None:
    assert parse_duration(text, "x") == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "3 parsecs", "-3s", "s", "3s2m", "1m1m", True, None, [1], "nan", -1])
def test_parse_duration_rejects_with_field_name(bad: object) -> None:
    with pytest.raises(ValueSyntaxError) as info:
        parse_duration(bad, "faults[0].at")
    assert info.value.where == "faults[0].at"
    assert str(info.value).startswith("faults[0].at: ")


@given(
    hours=st.integers(0, 48),
    minutes=st.integers(0, 59),
    seconds=st.integers(0, 59),
    millis=st.integers(0, 999),
)
@settings(max_examples=200, deadline=None)
def test_compound_duration_round_trips(hours: int, minutes: int, seconds: int, millis: int) -> None:
    total = hours * 3600 + minutes * 60 + seconds + millis / 1000
    text = format_duration(total)
    assert parse_duration(text, "d") == pytest.approx(total, abs=1e-9)
    # the formatter writes each unit at most once, largest first
    assert text == format_duration(parse_duration(text, "d"))


@given(st.floats(min_value=0, max_value=360_000, allow_nan=False))
@settings(max_examples=200, deadline=None)
def test_any_duration_round_trips_to_the_millisecond(value: float) -> None:
    assert parse_duration(format_duration(value), "d") == pytest.approx(value, abs=0.0005 + 1e-9)


@pytest.mark.parametrize(
    ("text", "per_second"),
    [
        ("20/s", 20.0),
        ("600/m", 10.0),
        ("1200/min", 20.0),
        ("3600/h", 1.0),
        (5, 5.0),
        ("2.5", 2.5),
        ("0/s", 0.0),
        ("30 / minute", 0.5),
    ],
)
def test_parse_rate_examples(text: object, per_second: float) -> None:
    assert parse_rate(text, "load.rate") == pytest.approx(per_second)


@pytest.mark.parametrize("bad", ["-3/s", -1, "20/fortnight", "fast", "", None, False])
def test_parse_rate_rejects(bad: object) -> None:
    with pytest.raises(ValueSyntaxError) as info:
        parse_rate(bad, "load.stages[1].rate")
    assert info.value.where == "load.stages[1].rate"


@given(st.integers(0, 100_000), st.sampled_from([("s", 1), ("m", 60), ("min", 60), ("h", 3600)]))
@settings(max_examples=100, deadline=None)
def test_rate_units_divide_by_their_seconds(count: int, unit: tuple[str, int]) -> None:
    name, seconds = unit
    assert math.isclose(parse_rate(f"{count}/{name}", "r"), count / seconds)


@pytest.mark.parametrize(("text", "size"), [("512B", 512), ("100KB", 100_000), ("1MiB", 1_048_576), (64, 64)])
def test_parse_size_examples(text: object, size: float) -> None:
    assert parse_size(text, "s") == size


def test_parse_size_rejects() -> None:
    with pytest.raises(ValueSyntaxError, match=r"network\[0\]\.bytes"):
        parse_size("lots", "network[0].bytes")


# --- one grammar for every caller: the gateway's config and the fault plans read durations as scenarios do ---

ONE_GRAMMAR = [("500ms", 0.5), ("3s", 3.0), ("2m", 120.0), ("1h", 3600.0), ("1m30s", 90.0), ("250us", 0.00025),
               ("250µs", 0.00025), (" 2s ", 2.0), (1.5, 1.5), ("1.5", 1.5)]
NOT_DURATIONS = ["1s1s", "30s1m", "", "ten", "-1s", True, None, "1e300", 10**400, float("nan"), "400d"]


@pytest.mark.parametrize(("text", "seconds"), ONE_GRAMMAR)
def test_every_caller_reads_the_same_duration(text: object, seconds: float) -> None:
    from fake_providers.faults.durations import parse_duration as fault_duration
    from gateway.durations import parse_duration as gateway_duration

    assert parse_duration(text, "x") == pytest.approx(seconds)
    assert gateway_duration(text) == pytest.approx(seconds)
    assert fault_duration(text, "x") == pytest.approx(seconds)


@pytest.mark.parametrize("text", NOT_DURATIONS)
def test_every_caller_refuses_the_same_non_durations(text: object) -> None:
    from fake_providers.faults.durations import parse_duration as fault_duration
    from fake_providers.faults.problems import FaultPlanError
    from gateway.durations import parse_duration as gateway_duration

    with pytest.raises(ValueSyntaxError):
        parse_duration(text, "x")
    with pytest.raises(ValueError):
        gateway_duration(text)
    with pytest.raises(FaultPlanError):
        fault_duration(text, "x")
