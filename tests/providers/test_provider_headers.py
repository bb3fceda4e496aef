"""Rate-limit and retry-after header parsing: tables for both providers, and properties."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.outcomes import RateLimitSnapshot
from gateway.providers import (
    parse_anthropic_ratelimit,
    parse_go_duration,
    parse_openai_ratelimit,
    parse_ratelimit,
    parse_retry_after,
)

NOW = datetime(2026, 1, 22, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("12ms", 0.012),
        ("6m0s", 360.0),
        ("1s", 1.0),
        ("0.5s", 0.5),
        ("1h2m3s", 3723.0),
        ("1m30.5s", 90.5),
        ("20.5ms", 0.0205),
        ("0s", 0.0),
        ("2h", 7200.0),
        ("1500us", 0.0015),
        ("7", 7.0),
        (" 3s ", 3.0),
    ],
)
def test_go_duration_table(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "1x", "s", "1s2", "-1s", "1.2.3s", "ms", "nan", "inf", "1 s"])
def test_go_duration_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_go_duration(text)


def test_openai_snapshot_table() -> None:
    snap = parse_openai_ratelimit(
        {
            "X-RateLimit-Limit-Requests": "10000",
            "x-ratelimit-remaining-requests": "9999",
            "x-ratelimit-reset-requests": "6ms",
            "x-ratelimit-limit-tokens": "2000000",
            "x-ratelimit-remaining-tokens": "1999980",
            "x-ratelimit-reset-tokens": "1m2.5s",
        }
    )
    assert snap == RateLimitSnapshot(10000, 9999, pytest.approx(0.006), 2000000, 1999980, pytest.approx(62.5))


def test_openai_snapshot_bad_values_are_absent() -> None:
    snap = parse_openai_ratelimit(
        {
            "x-ratelimit-limit-requests": "lots",
            "x-ratelimit-remaining-requests": "-3",
            "x-ratelimit-reset-requests": "soon",
            "x-ratelimit-limit-tokens": "500",
        }
    )
    assert snap == RateLimitSnapshot(limit_tokens=500)


def test_anthropic_snapshot_table() -> None:
    snap = parse_anthropic_ratelimit(
        {
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-requests-reset": "2026-01-22T10:00:12Z",
            "anthropic-ratelimit-tokens-limit": "40000",
            "anthropic-ratelimit-tokens-remaining": "12",
            "anthropic-ratelimit-tokens-reset": "2026-01-22T11:00:00.250+01:00",  # offset: 0.25 s from now
        },
        NOW,
    )
    assert snap == RateLimitSnapshot(50, 0, pytest.approx(12.0), 40000, 12, pytest.approx(0.25))


def test_anthropic_snapshot_past_reset_is_zero_and_garbage_absent() -> None:
    snap = parse_anthropic_ratelimit(
        {
            "anthropic-ratelimit-requests-reset": "2026-01-22T09:59:00Z",
            "anthropic-ratelimit-tokens-reset": "tomorrow-ish",
        },
        NOW,
    )
    assert snap.reset_requests_s == 0.0
    assert snap.reset_tokens_s is None


def test_anthropic_input_tokens_stand_in_for_tokens() -> None:
    snap = parse_anthropic_ratelimit(
        {
            "anthropic-ratelimit-input-tokens-limit": "30000",
            "anthropic-ratelimit-input-tokens-remaining": "29000",
            "anthropic-ratelimit-input-tokens-reset": "2026-01-22T10:00:05Z",
        },
        NOW,
    )
    assert (snap.limit_tokens, snap.remaining_tokens) == (30000, 29000)
    assert snap.reset_tokens_s == pytest.approx(5.0)


def test_anthropic_reset_without_now_is_unknown() -> None:
    snap = parse_anthropic_ratelimit({"anthropic-ratelimit-requests-reset": "2026-01-22T10:00:12Z"}, None)
    assert snap.reset_requests_s is None


def test_parse_ratelimit_picks_the_family() -> None:
    assert parse_ratelimit({"content-type": "application/json"}, NOW) is None
    openai = parse_ratelimit({"x-ratelimit-limit-requests": "5"}, NOW)
    anthropic = parse_ratelimit({"anthropic-ratelimit-requests-limit": "6"}, NOW)
    assert openai is not None and openai.limit_requests == 5
    assert anthropic is not None and anthropic.limit_requests == 6


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"Retry-After": "0.5"}, 0.5),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "20"}, 0.25),
        ({"retry-after-ms": "junk", "retry-after": "20"}, 20.0),
        ({"retry-after": format_datetime(NOW + timedelta(seconds=90), usegmt=True)}, 90.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
        ({"retry-after": "-5"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "later"}, None),
        ({}, None),
    ],
)
def test_retry_after_table(headers: dict[str, str], expected: float | None) -> None:
    got = parse_retry_after(headers, NOW)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


def test_retry_after_http_date_needs_now() -> None:
    assert parse_retry_after({"retry-after": format_datetime(NOW, usegmt=True)}, None) is None


# -- properties ---------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    h=st.integers(0, 99),
    m=st.integers(0, 59),
    s=st.integers(0, 59),
    frac=st.integers(0, 999),
    drop_zero_hours=st.booleans(),
)
def test_go_duration_round_trips_hms(h: int, m: int, s: int, frac: int, drop_zero_hours: bool) -> None:
    # Go's formatting: "6m0s" (no hours), "1h0m0s", "1.25s".
    seconds = f"{s}.{frac:03d}" if frac else f"{s}"
    text = f"{m}m{seconds}s" if drop_zero_hours and h == 0 else f"{h}h{m}m{seconds}s"
    assert parse_go_duration(text) == pytest.approx(h * 3600 + m * 60 + s + frac / 1000, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 10**9))
def test_go_duration_round_trips_ms(n: int) -> None:
    assert parse_go_duration(f"{n}ms") == pytest.approx(n / 1000, rel=1e-12, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["retry-after", "retry-after-ms", "x"]), st.text(max_size=40)))
def test_retry_after_never_raises(headers: dict[str, str]) -> None:
    got = parse_retry_after(headers, NOW)
    assert got is None or (math.isfinite(got) and got >= 0)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                f"{p}-{f}"
                for p in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
                for f in ("requests", "tokens")
            ]
            + [
                f"anthropic-ratelimit-{k}-{f}"
                for k in ("requests", "tokens", "input-tokens")
                for f in ("limit", "remaining", "reset")
            ]
        ),
        st.text(max_size=30),
    )
)
def test_snapshot_parsers_never_raise(headers: dict[str, str]) -> None:
    for snap in (parse_openai_ratelimit(headers), parse_anthropic_ratelimit(headers, NOW)):
        for value in (snap.limit_requests, snap.remaining_requests, snap.limit_tokens, snap.remaining_tokens):
            assert value is None or value >= 0
        for reset in (snap.reset_requests_s, snap.reset_tokens_s):
            assert reset is None or (math.isfinite(reset) and reset >= 0)
