"""``breaker.count_rate_limits``: both values, on the stack that both interpreters run.

true (the default): a run of retryable 429s trips the provider's breaker like any other failure, so
the router stops spending an attempt on it (LiteLLM cools a deployment down on a 429).  false: they
are ignored by the breaker (resilience4j's ignored exceptions), and only real failures trip it.
A spent quota (``insufficient_quota``) counts either way: waiting does not bring it back.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.clock import ManualClock
from gateway.config import ConfigError, load_config
from gateway.core.stack import Stack
from gateway.outcomes import FailureKind, ProviderFailure
from gateway.policy.breaker import BreakerState

KINDS = [FailureKind.RATE_LIMITED, FailureKind.QUOTA_EXHAUSTED, FailureKind.SERVER_ERROR]


def stack_with(count: bool | None, threshold: int) -> Stack:
    breaker: dict[str, object] = {"failure_threshold": threshold}
    if count is not None:
        breaker["count_rate_limits"] = count
    return Stack(load_config(overrides={"breaker": breaker}, environ={}), ManualClock(0.0))


def test_the_default_counts_rate_limits() -> None:
    assert load_config(environ={}).breaker.count_rate_limits is True
    stack = stack_with(None, 5)
    for i in range(5):
        stack.record_call("qwen", float(i), float(i) + 0.1,
                          ProviderFailure("qwen", FailureKind.RATE_LIMITED, "429", 429, 2.0))
    assert stack.breakers["qwen"].state(5.0) is BreakerState.OPEN


@given(st.booleans(), st.integers(1, 5), st.lists(st.sampled_from(KINDS), min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_429s_trip_the_breaker_exactly_when_the_setting_says(count: bool, threshold: int,
                                                             kinds: list[FailureKind]) -> None:
    stack = stack_with(count, threshold)
    breaker = stack.breakers["qwen"]
    counted = 0
    for i, kind in enumerate(kinds):
        status = 500 if kind is FailureKind.SERVER_ERROR else 429
        stack.record_call("qwen", float(i), float(i) + 0.1, ProviderFailure("qwen", kind, "scripted", status))
        counted += count or kind is not FailureKind.RATE_LIMITED
        expected = BreakerState.OPEN if counted >= threshold else BreakerState.CLOSED
        assert breaker.state(float(i) + 0.1) is expected, (i, kind, counted)
        if expected is BreakerState.OPEN:
            break


def test_a_bad_value_names_the_field() -> None:
    with pytest.raises(ConfigError, match=r"breaker\.count_rate_limits"):
        load_config(overrides={"breaker": {"count_rate_limits": "sometimes"}}, environ={})
