"""Router: weights, health, breakers, probes, override, attempt cap."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy.breaker import BreakerConfig, BreakerState, CircuitBreaker
from gateway.policy.router import AttemptBudget, Router, RouterConfig

PROVIDERS = ("qwen", "claude", "openai")


def _router(**kwargs: object) -> tuple[Router, dict[str, CircuitBreaker]]:
    cfg = BreakerConfig(failure_threshold=2, recovery_timeout_s=30.0)
    breakers = {p: CircuitBreaker(p, cfg) for p in PROVIDERS}
    return Router(RouterConfig(**kwargs), breakers), breakers  # type: ignore[arg-type]


def test_frequencies_match_weights_within_3_sigma() -> None:
    router, _ = _router()
    rng = random.Random(12345)
    n = 20_000
    counts = dict.fromkeys(PROVIDERS, 0)
    for _ in range(n):
        choice = router.choose(0.0, rng)
        assert choice is not None
        counts[choice] += 1
    for p, w in router.config.weights.items():
        sigma = math.sqrt(n * w * (1 - w))
        assert abs(counts[p] - n * w) <= 3 * sigma, (p, counts)
    assert router.last_choice_reason == "weighted"


provider_state = st.fixed_dictionaries(
    {p: st.tuples(st.sampled_from(["closed", "open", "forced", "half", "disabled"]),
                  st.lists(st.tuples(st.booleans(), st.floats(0.0, 20.0)), max_size=8)) for p in PROVIDERS}
)


@given(provider_state, st.sets(st.sampled_from(PROVIDERS)), st.integers(0, 2**32))
@settings(max_examples=150, deadline=None)
def test_never_an_open_provider_while_another_admits(
    states: dict[str, tuple[str, list[tuple[bool, float]]]], exclude: set[str], seed: int
) -> None:
    router, breakers = _router()
    for p, (state, samples) in states.items():
        b = breakers[p]
        if state in ("open", "half"):
            b.on_failure(0.0, 0.0)
            b.on_failure(0.0, 0.0)
        elif state == "forced":
            b.force_open(0.0)
        elif state == "disabled":
            b.disable(0.0)
        for ok, latency in samples:
            router.record(p, 0.0, ok, latency)
    now = 40.0 if any(s == "half" for s, _ in states.values()) else 10.0
    for p, (state, _) in states.items():
        if state == "open" and now >= 30.0:
            breakers[p].force_open(now)  # keep "open" meaning refusing at the chosen `now`
    choice = router.choose(now, random.Random(seed), exclude=exclude)
    admitting = [p for p in PROVIDERS if p not in exclude and breakers[p].would_admit(now)]
    if not admitting:
        assert choice is None
        return
    assert choice in admitting
    assert breakers[choice].state(now) not in (BreakerState.OPEN, BreakerState.FORCED_OPEN)
    health = router.health(now)
    healthy = [p for p in admitting if health[p].healthy]
    # a half-open breaker takes its share of trial calls, whatever its stale passive health says
    trial = [p for p in admitting if breakers[p].state(now) is BreakerState.HALF_OPEN]
    if healthy:
        assert choice in healthy + trial, "picked an unhealthy provider while a healthy one admits"


def test_least_bad_when_nobody_is_healthy() -> None:
    router, _ = _router()
    for _ in range(10):
        router.record("qwen", 0.0, False, 1.0)
        router.record("claude", 0.0, False, 1.0)
        router.record("openai", 0.0, True, 30.0)
    assert not any(h.healthy for h in router.health(0.0).values())
    assert router.choose(0.0, random.Random(0)) == "openai"
    assert router.last_choice_reason == "least-bad"


def test_attempt_budget_caps_attempts_when_everything_fails() -> None:
    router, breakers = _router(max_attempts=4)
    rng = random.Random(3)
    for request in range(50):
        now = float(request)
        budget = router.attempt_budget()
        attempts = 0
        tried: set[str] = set()
        while budget.take():
            provider = router.choose(now, rng, exclude=tried if len(tried) < 3 else ())
            if provider is None or not breakers[provider].try_acquire(now):
                break
            attempts += 1
            breakers[provider].on_failure(now, 0.1)
            router.record(provider, now, False, 0.1)
            tried.add(provider)
        assert attempts <= 4
        assert budget.used <= 4


def test_attempt_budget_counts() -> None:
    b = AttemptBudget(3)
    assert [b.take() for _ in range(5)] == [True, True, True, False, False]
    assert b.remaining == 0
    with pytest.raises(ValueError, match="max_attempts"):
        AttemptBudget(0)


@given(
    st.lists(
        st.tuples(st.floats(0.0, 20.0), st.sampled_from(PROVIDERS), st.booleans(), st.floats(0.0, 15.0)),
        max_size=120,
    )
)
@settings(max_examples=100, deadline=None)
def test_probes_at_most_once_per_interval(steps: list[tuple[float, str, bool, float]]) -> None:
    router, _ = _router(probe_interval_s=30.0)
    last: dict[str, float] = {}
    now = 0.0
    for dt, provider, ok, latency in steps:
        now += dt
        router.record(provider, now, ok, latency)
        due = router.due_probes(now)
        assert len(due) == len(set(due))
        health = router.health(now)
        for p in due:
            assert not health[p].healthy or health[p].state is BreakerState.HALF_OPEN
            if p in last:
                assert now - last[p] >= 30.0, f"{p} probed twice within the interval"
            last[p] = now
            router.record_probe(p, now, ok, latency)


def test_healthy_providers_are_not_probed() -> None:
    router, _ = _router()
    for p in PROVIDERS:
        router.record(p, 0.0, True, 0.5)
    assert router.due_probes(0.0) == []
    for _ in range(5):
        router.record("claude", 1.0, False, 0.5)
    assert router.due_probes(1.0) == ["claude"]
    assert router.due_probes(2.0) == []
    assert router.due_probes(31.0) == ["claude"]


def test_override_then_bypass_when_its_breaker_refuses() -> None:
    router, breakers = _router(override="claude")
    rng = random.Random(0)
    assert all(router.choose(0.0, rng) == "claude" for _ in range(50))
    assert router.last_choice_reason == "override"
    breakers["claude"].force_open(1.0)
    choice = router.choose(1.0, rng)
    assert choice in ("qwen", "openai")
    assert router.last_choice_reason.startswith("override-bypassed(claude forced_open)")
    router.set_override(None)
    router.choose(1.0, rng)
    assert router.last_choice_reason == "weighted"
    with pytest.raises(ValueError, match="mistral"):
        router.set_override("mistral")


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="override"):
        RouterConfig(override="mistral")
    with pytest.raises(ValueError, match="weights"):
        RouterConfig(weights={"qwen": -1.0})
    with pytest.raises(ValueError, match="openai"):
        Router(RouterConfig(), {"qwen": CircuitBreaker("qwen", BreakerConfig())})
    weights = {"qwen": 1.0}
    cfg = RouterConfig(weights=weights)
    weights["qwen"] = 0.0
    assert cfg.weights["qwen"] == 1.0  # frozen config does not alias the caller's dict
