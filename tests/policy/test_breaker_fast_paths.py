"""``release`` and ``on_success`` skip ``state``'s call (and the duration check's) when they can: against
the plain forms, a breaker answers, counts and transitions exactly as before."""

from __future__ import annotations

from typing import Literal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway.policy.breaker import BreakerConfig, BreakerTransition, CircuitBreaker


class _Plain(CircuitBreaker):
    """The two methods with ``state``'s lazy transition always taken first, as they took it before their fast
    paths: what the fast paths skip must change nothing."""

    __slots__ = ()

    def release(self, now: float) -> None:
        self.state(now)
        super().release(now)

    def on_success(self, now: float, duration_s: float) -> None:
        self.state(now)
        super().on_success(now, duration_s)


actions = st.lists(st.tuples(st.sampled_from([0.0, 0.5, 3.0]),
                             st.sampled_from(["acquire", "acquire", "release", "ok", "ok", "fail", "fail", "ignored",
                                              "force", "disable", "reset"]),
                             st.sampled_from([0.1, 2.0])), max_size=60)


# the script that hands a half-open permit back, and one that closes a half-open breaker, always run
@example("consecutive", [(0.0, "fail", 0.1), (0.0, "fail", 0.1), (3.0, "acquire", 0.1), (0.0, "release", 0.1)])
@example("rate", [(0.0, "fail", 0.1), (0.0, "fail", 0.1), (3.0, "acquire", 0.1), (0.0, "acquire", 0.1),
                  (0.0, "ok", 2.0), (0.0, "ok", 0.1), (0.0, "release", 0.1)])
@given(st.sampled_from(["consecutive", "rate"]), actions)
@settings(max_examples=300, deadline=None)
def test_fast_paths_are_the_plain_paths(mode: Literal["consecutive", "rate"],
                                        script: list[tuple[float, str, float]]) -> None:
    cfg = BreakerConfig(mode=mode, failure_threshold=2, recovery_timeout_s=2.0, half_open_max_probes=2,
                        half_open_successes_to_close=2, window_size=4, minimum_calls=2,
                        slow_call_duration_s=1.0)
    ours_seen: list[BreakerTransition] = []
    plain_seen: list[BreakerTransition] = []
    ours, plain = CircuitBreaker("qwen", cfg, ours_seen.append), _Plain("qwen", cfg, plain_seen.append)
    now = 0.0
    for dt, action, duration in script:
        now += dt
        answers = []
        for b in (ours, plain):
            if action == "acquire":
                answers.append(b.try_acquire(now))
            elif action in ("ok", "fail", "ignored"):
                {"ok": b.on_success, "fail": b.on_failure, "ignored": b.on_ignored}[action](now, duration)
            else:
                {"release": b.release, "force": b.force_open, "disable": b.disable, "reset": b.reset}[action](now)
        assert answers[:1] == answers[1:]
        assert ours_seen == plain_seen
        assert ours._state is plain._state
        assert (ours._half_open_issued, ours._half_open_inflight, ours._half_open_successes, ours.window(),
                ours.consecutive_failures) == (plain._half_open_issued, plain._half_open_inflight,
                                               plain._half_open_successes, plain.window(), plain.consecutive_failures)


@pytest.mark.parametrize("duration", [-1.0, float("nan")])
def test_a_bad_duration_still_raises(duration: float) -> None:
    with pytest.raises(ValueError, match="duration_s must be >= 0"):
        CircuitBreaker("qwen", BreakerConfig()).on_success(0.0, duration)
