"""Ignored calls (``on_ignored``): the breaker's side of ``breaker.count_rate_limits: false``.

resilience4j lets users choose which failures count; an ignored one is neither a failure nor a
success.  Against a shadow model of consecutive mode: a run of counted failures trips the breaker
whatever ignored calls are interleaved, and in HALF_OPEN an ignored call gives its permit back.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy.breaker import BreakerConfig, BreakerState, CircuitBreaker


@given(st.integers(1, 6), st.lists(st.sampled_from(["ok", "fail", "ignored"]), max_size=60))
@settings(max_examples=300, deadline=None)
def test_ignored_calls_neither_count_nor_reset_the_consecutive_failures(threshold: int, calls: list[str]) -> None:
    breaker = CircuitBreaker("qwen", BreakerConfig(failure_threshold=threshold, recovery_timeout_s=1e6))
    run = 0
    for i, call in enumerate(calls):
        now = float(i)
        assert breaker.try_acquire(now)
        {"ok": breaker.on_success, "fail": breaker.on_failure, "ignored": breaker.on_ignored}[call](now, 0.1)
        run = 0 if call == "ok" else run + (call == "fail")
        if run >= threshold:
            assert breaker.state(now) is BreakerState.OPEN
            return
        assert breaker.state(now) is BreakerState.CLOSED
        assert breaker.consecutive_failures == run


def test_an_ignored_half_open_call_gives_its_permit_back() -> None:
    cfg = BreakerConfig(failure_threshold=1, recovery_timeout_s=5.0, half_open_max_probes=1,
                        half_open_successes_to_close=1)
    breaker = CircuitBreaker("qwen", cfg)
    assert breaker.try_acquire(0.0)
    breaker.on_failure(0.0, 0.1)
    assert breaker.state(5.0) is BreakerState.HALF_OPEN
    assert breaker.try_acquire(5.0) and not breaker.would_admit(5.0)
    breaker.on_ignored(5.5, 0.5)
    # neither re-opened nor closed, and the one trial permit is free for a call that proves something
    assert breaker.state(5.5) is BreakerState.HALF_OPEN and breaker.would_admit(5.5)
    assert breaker.try_acquire(5.6)
    breaker.on_success(5.7, 0.1)
    assert breaker.state(5.7) is BreakerState.CLOSED


def test_an_ignored_call_needs_a_real_duration() -> None:
    breaker = CircuitBreaker("qwen", BreakerConfig())
    with pytest.raises(ValueError, match="on_ignored: duration_s must be >= 0"):
        breaker.on_ignored(0.0, float("nan"))
