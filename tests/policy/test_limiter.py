"""Rate-limit queue: window bounds, FIFO, waits, queue depth, and an exact reference."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy.limiter import Admit, LimiterConfig, RateLimitQueue, Shed

CFG = LimiterConfig(rpm=5, tpm=100, window_s=10.0, max_queue=4, max_wait_s=15.0)

arrivals = st.lists(
    st.tuples(st.floats(min_value=0.0, max_value=4.0), st.integers(min_value=0, max_value=60)),
    min_size=1,
    max_size=120,
)


def _in_window(s: float, x: float, window: float) -> bool:
    return s <= x and s + window > x


def _feasible(booked: list[tuple[float, int]], x: float, tokens: int, cfg: LimiterConfig) -> bool:
    inside = [(s, t) for s, t in booked if _in_window(s, x, cfg.window_s)]
    rpm_ok = cfg.rpm is None or len(inside) + 1 <= cfg.rpm
    tpm_ok = cfg.tpm is None or sum(t for _, t in inside) + tokens <= cfg.tpm
    return rpm_ok and tpm_ok


def _reference_start(booked: list[tuple[float, int]], now: float, tokens: int, cfg: LimiterConfig) -> float:
    """Earliest feasible FIFO start, by brute force over the only instants where feasibility changes."""
    floor = max([now] + [s for s, _ in booked])
    candidates = sorted({floor} | {s + cfg.window_s for s, _ in booked if s + cfg.window_s >= floor})
    return next(x for x in candidates if _feasible(booked, x, tokens, cfg))


@given(arrivals)
@settings(max_examples=150, deadline=None)
def test_any_arrivals_respect_every_window_fifo_waits_and_queue(seq: list[tuple[float, int]]) -> None:
    q = RateLimitQueue(CFG)
    booked: list[tuple[float, int]] = []
    now = 0.0
    for dt, tokens in seq:
        now += dt
        waiting_before = q.queued(now)
        expected = _reference_start(booked, now, tokens, CFG)
        decision = q.reserve(now, tokens)
        if isinstance(decision, Admit):
            assert decision.start_at == expected, "not the earliest start that keeps every window"
            assert decision.start_at - now <= CFG.max_wait_s
            if booked:
                assert decision.start_at >= booked[-1][0], "jumped ahead of an earlier reservation"
            booked.append((decision.start_at, tokens))
        else:
            assert isinstance(decision, Shed)
            assert decision.retry_after_s > 0
            assert expected - now > CFG.max_wait_s or waiting_before >= CFG.max_queue
        assert q.queued(now) <= CFG.max_queue
        # O(window) work: the log never holds more than the windows a booking can still touch.
        bound = CFG.rpm * (math.ceil((CFG.window_s + CFG.max_wait_s) / CFG.window_s) + 1)  # type: ignore[operator]
        assert q.last_work <= q.backlog() + 1
        assert q.backlog() <= bound
    for i, (s, _) in enumerate(booked):
        inside = [t for s2, t in booked[i:] if s2 < s + CFG.window_s]  # FIFO: booked[i:] start >= s
        assert len(inside) <= CFG.rpm, f"window from {s} holds {len(inside)} starts"
        assert sum(inside) <= CFG.tpm, f"window from {s} holds {sum(inside)} tokens"  # type: ignore[operator]


def test_burst_is_spread_over_windows() -> None:
    q = RateLimitQueue(LimiterConfig(rpm=2, tpm=None, window_s=60.0, max_queue=10, max_wait_s=200.0))
    starts = [q.reserve(0.0, 1) for _ in range(5)]
    assert [d.start_at for d in starts if isinstance(d, Admit)] == [0.0, 0.0, 60.0, 60.0, 120.0]
    assert q.queued(0.0) == 3
    assert q.queued(60.0) == 1


def test_token_bucket_delays_by_tokens() -> None:
    q = RateLimitQueue(LimiterConfig(rpm=None, tpm=1000, window_s=60.0, max_queue=10, max_wait_s=100.0))
    assert q.reserve(0.0, 800) == Admit(0.0)
    assert q.reserve(1.0, 300) == Admit(60.0)


def test_oversized_request_is_shed_permanently_and_not_booked() -> None:
    q = RateLimitQueue(LimiterConfig(tpm=1000))
    d = q.reserve(0.0, 1001)
    assert isinstance(d, Shed) and d.permanent and "1001" in d.reason
    assert q.backlog() == 0


def test_shed_when_wait_too_long_with_retry_after() -> None:
    q = RateLimitQueue(LimiterConfig(rpm=1, tpm=None, window_s=60.0, max_queue=10, max_wait_s=30.0))
    assert q.reserve(0.0, 1) == Admit(0.0)
    d = q.reserve(10.0, 1)
    assert isinstance(d, Shed) and not d.permanent
    assert d.retry_after_s == pytest.approx(50.0)
    assert "max_wait_s" in d.reason


def test_shed_when_queue_full() -> None:
    q = RateLimitQueue(LimiterConfig(rpm=1, tpm=None, window_s=1.0, max_queue=2, max_wait_s=100.0))
    assert [q.reserve(0.0, 1) for _ in range(3)] == [Admit(0.0), Admit(1.0), Admit(2.0)]
    d = q.reserve(0.0, 1)
    assert isinstance(d, Shed) and "queue full" in d.reason
    assert d.retry_after_s == pytest.approx(1.0)


def test_cancel_gives_the_slot_back() -> None:
    q = RateLimitQueue(LimiterConfig(rpm=1, tpm=None, window_s=60.0, max_queue=10, max_wait_s=100.0))
    q.reserve(0.0, 1)
    second = q.reserve(0.0, 1)
    assert second == Admit(60.0)
    assert q.cancel(60.0, 1)
    assert not q.cancel(60.0, 1)
    assert q.reserve(1.0, 1) == Admit(60.0)


def test_huge_backlog_is_computed_not_waited() -> None:
    q = RateLimitQueue(LimiterConfig(rpm=100, tpm=None, window_s=60.0, max_queue=10_000, max_wait_s=1e6))
    for _ in range(5000):
        d = q.reserve(0.0, 1)
    assert isinstance(d, Admit) and d.start_at == 49 * 60.0
    assert q.last_work <= 1


@pytest.mark.parametrize("tokens", [-1, 1.5, True, "10"])
def test_bad_tokens_are_clear_errors(tokens: object) -> None:
    with pytest.raises(ValueError, match="tokens"):
        RateLimitQueue().reserve(0.0, tokens)  # type: ignore[arg-type]


def test_bad_now_and_config_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="now"):
        RateLimitQueue().reserve(float("nan"), 1)
    with pytest.raises(ValueError, match="rpm"):
        LimiterConfig(rpm=0)
    with pytest.raises(ValueError, match="max_wait_s"):
        LimiterConfig(max_wait_s=-1)
