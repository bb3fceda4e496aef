"""Circuit breaker: the state machine against a shadow model, plus the edges."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from gateway.policy.breaker import (
    LEGAL_TRANSITIONS,
    BreakerConfig,
    BreakerState,
    BreakerTransition,
    CircuitBreaker,
)

S = BreakerState


class BreakerMachine(RuleBasedStateMachine):
    """Drives one breaker with arbitrary calls and checks the runbook's promises."""

    def __init__(self) -> None:
        super().__init__()
        self.cfg = BreakerConfig(
            failure_threshold=3,
            recovery_timeout_s=10.0,
            half_open_max_probes=2,
            half_open_successes_to_close=2,
        )
        self.events: list[BreakerTransition] = []
        self.breaker = CircuitBreaker("qwen", self.cfg, self.events.append)
        self.now = 0.0
        self.outstanding = 0          # permits granted and not yet resolved
        self.half_open_granted = 0    # permits granted in the current half-open episode, net of releases
        self.consecutive = 0          # shadow count of consecutive failures while CLOSED
        self.seen_events = 0

    def _sync(self) -> None:
        # A new transition starts a new episode for the shadow counters.
        if len(self.events) != self.seen_events:
            self.seen_events = len(self.events)
            self.half_open_granted = 0
            self.consecutive = 0

    @rule(dt=st.floats(min_value=0.0, max_value=6.0))
    def advance(self, dt: float) -> None:
        self.now += dt

    @rule()
    def acquire(self) -> None:
        before = self.breaker.state(self.now)
        self._sync()
        opened = [e.at for e in self.events if e.to_state is S.OPEN]
        granted = self.breaker.try_acquire(self.now)
        if before is S.OPEN:
            assert opened and self.now < opened[-1] + self.cfg.recovery_timeout_s
            assert not granted, "admitted while OPEN before the recovery time"
        if before is S.FORCED_OPEN:
            assert not granted
        if before in (S.CLOSED, S.DISABLED):
            assert granted
        if granted:
            self.outstanding += 1
            if before is S.HALF_OPEN:
                self.half_open_granted += 1

    @precondition(lambda self: self.outstanding > 0)
    @rule(duration=st.floats(min_value=0.0, max_value=20.0))
    def succeed(self, duration: float) -> None:
        self.outstanding -= 1
        before = self.breaker.state(self.now)
        self._sync()
        self.breaker.on_success(self.now, duration)
        if before is S.CLOSED:
            self.consecutive = 0
            assert self.breaker.state(self.now) is S.CLOSED

    @precondition(lambda self: self.outstanding > 0)
    @rule(duration=st.floats(min_value=0.0, max_value=20.0))
    def fail(self, duration: float) -> None:
        self.outstanding -= 1
        before = self.breaker.state(self.now)
        self._sync()
        n_before = len(self.events)
        self.breaker.on_failure(self.now, duration)
        after = self.breaker.state(self.now)
        if before is S.CLOSED:
            self.consecutive += 1
            if self.consecutive == self.cfg.failure_threshold:
                assert after is S.OPEN, "did not trip at exactly the threshold"
                assert self.events[-1].at == self.now
            else:
                assert after is S.CLOSED, f"tripped early at {self.consecutive} failures"
        elif before is S.HALF_OPEN:
            assert after is S.OPEN, "a half-open failure must re-open"
            assert len(self.events) == n_before + 1
        self._sync()

    @precondition(lambda self: self.outstanding > 0)
    @rule()
    def release(self) -> None:
        self.outstanding -= 1
        before = self.breaker.state(self.now)
        self._sync()
        self.breaker.release(self.now)
        if before is S.HALF_OPEN and self.half_open_granted > 0:
            self.half_open_granted -= 1

    @rule(op=st.sampled_from(["force_open", "disable", "reset"]))
    def operator(self, op: str) -> None:
        getattr(self.breaker, op)(self.now)
        expected = {"force_open": S.FORCED_OPEN, "disable": S.DISABLED, "reset": S.CLOSED}[op]
        assert self.breaker.state(self.now) is expected
        self._sync()
        if op == "reset":
            self.consecutive = 0  # a reset of a CLOSED breaker emits nothing but clears its counts

    @invariant()
    def transitions_are_legal_and_chained(self) -> None:
        state = S.CLOSED
        last_at = float("-inf")
        for e in self.events:
            assert (e.from_state, e.to_state) in LEGAL_TRANSITIONS
            assert e.from_state is state, "a transition was skipped or not emitted"
            assert e.at >= last_at
            state, last_at = e.to_state, e.at
        assert self.breaker.state(self.now) is (self.events[-1].to_state if self.events else S.CLOSED)

    @invariant()
    def half_open_probes_bounded(self) -> None:
        self._sync()
        assert self.half_open_granted <= self.cfg.half_open_max_probes


TestBreakerMachine = BreakerMachine.TestCase
TestBreakerMachine.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def test_half_open_at_recovery_time_stamped_then() -> None:
    events: list[BreakerTransition] = []
    b = CircuitBreaker("claude", BreakerConfig(failure_threshold=1, recovery_timeout_s=60.0), events.append)
    b.on_failure(5.0, 0.1)
    assert b.state(64.999) is S.OPEN
    assert b.retry_at(64.999) == 65.0
    assert not b.try_acquire(64.999)
    assert b.state(100.0) is S.HALF_OPEN
    assert events[-1].at == 65.0 and events[-1].from_state is S.OPEN
    assert b.retry_at(100.0) is None


def test_half_open_closes_after_enough_successes_and_limits_probes() -> None:
    b = CircuitBreaker("qwen", BreakerConfig(failure_threshold=1, recovery_timeout_s=1.0))
    b.on_failure(0.0, 0.0)
    grants = [b.try_acquire(2.0) for _ in range(5)]
    assert grants == [True, True, True, False, False]
    b.on_success(2.1, 0.1)
    b.on_success(2.2, 0.1)
    assert b.state(2.2) is S.HALF_OPEN
    b.on_success(2.3, 0.1)
    assert b.state(2.3) is S.CLOSED


def test_release_returns_a_half_open_permit() -> None:
    cfg = BreakerConfig(
        failure_threshold=1, recovery_timeout_s=1.0, half_open_max_probes=1, half_open_successes_to_close=1
    )
    b = CircuitBreaker("qwen", cfg)
    b.on_failure(0.0, 0.0)
    assert b.try_acquire(1.0)
    assert not b.try_acquire(1.0)
    b.release(1.0)
    assert b.try_acquire(1.0)


def test_late_success_without_probe_does_not_close() -> None:
    b = CircuitBreaker("qwen", BreakerConfig(failure_threshold=1, recovery_timeout_s=1.0,
                                             half_open_successes_to_close=1))
    b.on_failure(0.0, 0.0)
    b.on_success(5.0, 3.0)  # a call admitted long before the trip
    assert b.state(5.0) is S.HALF_OPEN


def test_rate_mode_needs_minimum_calls_then_trips_on_rate() -> None:
    cfg = BreakerConfig(mode="rate", window_size=10, minimum_calls=5, failure_rate_threshold=0.5)
    b = CircuitBreaker("openai", cfg)
    for i in range(4):
        b.on_failure(float(i), 0.1)
        assert b.state(float(i)) is S.CLOSED, "tripped before minimum_calls"
    b.on_failure(4.0, 0.1)
    assert b.state(4.0) is S.OPEN


def test_rate_mode_window_slides() -> None:
    cfg = BreakerConfig(mode="rate", window_size=4, minimum_calls=4, failure_rate_threshold=0.5)
    b = CircuitBreaker("openai", cfg)
    # F S S S -> 25 %, then S pushes the F out: never 50 %.
    for t, ok in enumerate([False, True, True, True, True, False, True, True]):
        (b.on_success if ok else b.on_failure)(float(t), 0.1)
        assert b.state(float(t)) is S.CLOSED
    assert b.window() == (4, 1, 0)
    b.on_failure(9.0, 0.1)
    assert b.state(9.0) is S.OPEN  # F S S F -> 50 %


def test_rate_mode_slow_calls_trip() -> None:
    cfg = BreakerConfig(mode="rate", window_size=10, minimum_calls=4, slow_call_duration_s=2.0,
                        slow_call_rate_threshold=0.75)
    b = CircuitBreaker("claude", cfg)
    for t, d in enumerate([3.0, 1.0, 3.0]):
        b.on_success(float(t), d)
    assert b.state(3.0) is S.CLOSED
    b.on_success(3.0, 2.5)
    assert b.state(3.0) is S.OPEN


@given(st.lists(st.booleans(), min_size=1, max_size=80), st.integers(1, 20), st.integers(1, 20))
@settings(max_examples=80, deadline=None)
def test_rate_mode_matches_a_reference_window(outcomes: list[bool], window: int, minimum: int) -> None:
    minimum = min(minimum, window)
    cfg = BreakerConfig(mode="rate", window_size=window, minimum_calls=minimum, failure_rate_threshold=0.5)
    b = CircuitBreaker("qwen", cfg)
    recent: list[bool] = []
    for t, failed in enumerate(outcomes):
        (b.on_failure if failed else b.on_success)(float(t), 0.0)
        recent = ([*recent, failed])[-window:]
        should_trip = len(recent) >= minimum and sum(recent) / len(recent) >= 0.5
        assert (b.state(float(t)) is S.OPEN) == should_trip
        if should_trip:
            return


def test_listener_that_raises_is_isolated() -> None:
    def boom(_: BreakerTransition) -> None:
        raise RuntimeError("metrics backend down")

    b = CircuitBreaker("qwen", BreakerConfig(failure_threshold=1), boom)
    b.on_failure(0.0, 0.0)
    assert b.state(0.0) is S.OPEN
    assert b.listener_errors == 1


def test_disabled_admits_everything_and_records_nothing() -> None:
    b = CircuitBreaker("qwen", BreakerConfig(failure_threshold=1))
    b.disable(0.0)
    for t in range(10):
        assert b.try_acquire(float(t))
        b.on_failure(float(t), 0.0)
    assert b.state(10.0) is S.DISABLED
    b.reset(10.0)
    assert b.state(10.0) is S.CLOSED and b.consecutive_failures == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"failure_threshold": 0}, "failure_threshold"),
        ({"half_open_successes_to_close": 4}, "half_open_successes_to_close"),
        ({"minimum_calls": 200}, "minimum_calls"),
        ({"failure_rate_threshold": 1.5}, "failure_rate_threshold"),
        ({"recovery_timeout_s": float("nan")}, "recovery_timeout_s"),
        ({"mode": "sliding"}, "mode"),
        ({"failure_threshold": True}, "failure_threshold"),
    ],
)
def test_bad_config_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        BreakerConfig(**kwargs)  # type: ignore[arg-type]


def test_negative_duration_is_a_clear_error() -> None:
    b = CircuitBreaker("qwen", BreakerConfig())
    with pytest.raises(ValueError, match="duration_s"):
        b.on_success(0.0, -1.0)
