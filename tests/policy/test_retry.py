"""Retry policy and retry budget."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.outcomes import PERMANENT_KINDS, FailureKind, ProviderFailure
from gateway.policy.retry import RetryBudget, RetryConfig, RetryPolicy


def _policy(**kwargs: object) -> RetryPolicy:
    cfg = RetryConfig(**kwargs)  # type: ignore[arg-type]
    return RetryPolicy(cfg, RetryBudget(cfg))


def _failure(kind: FailureKind, retry_after: float | None = None) -> ProviderFailure:
    return ProviderFailure("qwen", kind, "boom", status=429, retry_after_s=retry_after)


@given(st.sampled_from(sorted(PERMANENT_KINDS)), st.integers(0, 5), st.integers(0, 2**32))
@settings(max_examples=50, deadline=None)
def test_permanent_failures_are_never_retried(kind: FailureKind, done: int, seed: int) -> None:
    d = _policy().decide(_failure(kind), done, 0.0, random.Random(seed))
    assert not d.retry
    assert "permanent" in d.reason


retryable = st.sampled_from([k for k in FailureKind if k not in PERMANENT_KINDS])


@given(
    retryable,
    st.integers(0, 2),
    st.one_of(st.none(), st.floats(min_value=0.0, max_value=120.0)),
    st.integers(0, 2**32),
)
@settings(max_examples=200, deadline=None)
def test_delay_honours_retry_after_and_cap(
    kind: FailureKind, done: int, retry_after: float | None, seed: int
) -> None:
    policy = _policy()
    cfg = policy.config
    d = policy.decide(_failure(kind, retry_after), done, 0.0, random.Random(seed))
    if retry_after is not None and retry_after > cfg.max_retry_after_s:
        assert not d.retry and "Retry-After" in d.reason
        return
    assert d.retry
    assert d.delay_s >= 0.0
    if retry_after is not None:
        assert d.delay_s >= retry_after
        assert d.delay_s <= max(cfg.max_delay_s, retry_after)
    else:
        assert d.delay_s <= min(cfg.max_delay_s, cfg.base_delay_s * cfg.multiplier**done)


def test_retry_after_ignored_when_not_respected() -> None:
    d = _policy(respect_retry_after=False).decide(
        _failure(FailureKind.RATE_LIMITED, 30.0), 0, 0.0, random.Random(1)
    )
    assert d.retry and d.delay_s <= 0.5


def test_max_retries_and_override() -> None:
    policy = _policy(max_retries=3)
    f = _failure(FailureKind.SERVER_ERROR)
    rng = random.Random(0)
    assert [policy.decide(f, n, 0.0, rng).retry for n in range(5)] == [True, True, True, False, False]
    assert policy.decide(f, 4, 0.0, rng, max_retries=5).retry


def test_full_jitter_spreads_over_the_whole_range() -> None:
    policy = _policy(base_delay_s=1.0, max_delay_s=100.0, jitter=1.0)
    rng = random.Random(7)
    delays = [policy.backoff(2, rng) for _ in range(4000)]
    assert min(delays) < 0.2 and max(delays) > 3.8 and max(delays) <= 4.0
    assert sum(delays) / len(delays) == pytest.approx(2.0, rel=0.05)


def test_no_jitter_is_plain_exponential_and_capped() -> None:
    policy = _policy(base_delay_s=0.5, max_delay_s=8.0, jitter=0.0)
    rng = random.Random(0)
    assert [policy.backoff(n, rng) for n in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert policy.backoff(10_000, rng) == 8.0  # no overflow


@given(
    st.lists(
        st.tuples(st.floats(min_value=0.0, max_value=5.0), st.booleans()),
        min_size=1,
        max_size=300,
    ),
    st.sampled_from([0.0, 0.1, 0.2, 0.5]),
    st.integers(0, 3),
)
@settings(max_examples=100, deadline=None)
def test_budget_holds_over_any_sequence(steps: list[tuple[float, bool]], ratio: float, minimum: int) -> None:
    cfg = RetryConfig(budget_ratio=ratio, budget_min_retries=minimum, budget_window_s=20.0, max_retries=100)
    budget = RetryBudget(cfg)
    policy = RetryPolicy(cfg, budget)
    firsts: list[float] = []
    retries: list[float] = []
    now = 0.0
    rng = random.Random(0)
    for dt, wants_retry in steps:
        now += dt
        if not wants_retry:
            budget.record_attempt(now, is_retry=False)
            firsts.append(now)
            continue
        decision = policy.decide(_failure(FailureKind.RATE_LIMITED), 0, now, rng)
        if decision.retry:
            budget.record_attempt(now, is_retry=True)
            retries.append(now)
            in_window_r = sum(1 for t in retries if t > now - cfg.budget_window_s)
            in_window_f = sum(1 for t in firsts if t > now - cfg.budget_window_s)
            assert in_window_r <= minimum + ratio * in_window_f
        else:
            assert "budget" in decision.reason


def test_budget_allows_minimum_on_a_quiet_service() -> None:
    budget = RetryBudget(RetryConfig(budget_min_retries=3, budget_ratio=0.2))
    granted = 0
    while budget.can_retry(0.0) and granted < 100:
        budget.record_attempt(0.0, is_retry=True)
        granted += 1
    assert granted == 3
    assert budget.can_retry(61.0)  # the window slid past them


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"max_retries": -1}, "max_retries"), ({"jitter": 2.0}, "jitter"), ({"max_delay_s": 0.1}, "max_delay_s"),
     ({"multiplier": 0.5}, "multiplier"), ({"budget_window_s": 0}, "budget_window_s")],
)
def test_bad_config_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        RetryConfig(**kwargs)  # type: ignore[arg-type]


def test_bad_retries_done_is_clear() -> None:
    with pytest.raises(ValueError, match="retries_done"):
        _policy().decide(_failure(FailureKind.TIMEOUT), -1, 0.0, random.Random(0))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 30.0), st.booleans()), max_size=300), st.floats(1.0, 120.0))
def test_the_budget_keeps_only_its_window_even_when_never_asked(steps: list[tuple[float, bool]],
                                                                window: float) -> None:
    """Regression: with no retry to decide, nothing pruned the log, which kept every attempt's time."""
    budget = RetryBudget(RetryConfig(budget_window_s=window))
    now, seen = 0.0, []
    for gap, is_retry in steps:
        now += gap
        budget.record_attempt(now, is_retry)
        seen.append((now, is_retry))
        kept = [(t, r) for t, r in seen if t > now - window]
        # what it holds, unasked, is the window's attempts: the same counts as asking gives
        assert len(budget._firsts) + len(budget._retries) == len(kept)
        assert budget.counts(now) == (sum(not r for _, r in kept), sum(r for _, r in kept))
