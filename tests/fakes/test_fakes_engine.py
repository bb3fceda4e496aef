"""The pure engine: determinism, probabilities, windows, quota and capacity invariants."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_providers.faults import (
    CapacityModel,
    FaultEngine,
    FaultPlan,
    HttpError,
    Normal,
    QuotaBuckets,
    RequestInfo,
)

REQ = RequestInfo("qwen-plus", False, "cita mañana 10am con Dr. Pérez", 120)
PROVIDERS = ("qwen", "claude", "openai")


def _plan() -> FaultPlan:
    return FaultPlan.parse([
        {"provider": "qwen", "probability": 0.3, "error": {"status": 500}},
        {"provider": "*", "probability": 0.2, "latency": {"dist": "lognormal", "p50": "2s", "p95": "5s"}},
        {"provider": "claude", "probability": 0.1, "connection": "reset"},
        {"at": 10, "until": 20, "provider": "openai", "quota": {"rpm": 3}},
        {"probability": 0.25, "bad_json": "prose"},
    ])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), times=st.lists(st.floats(0, 30), min_size=1, max_size=40))
def test_same_seed_same_decisions(seed: int, times: list[float]) -> None:
    times = sorted(times)
    runs = []
    for _ in range(2):
        engine = FaultEngine(_plan(), seed)
        runs.append([engine.decide(t, PROVIDERS[i % 3], REQ) for i, t in enumerate(times)])
    assert runs[0] == runs[1]


def test_different_seeds_differ() -> None:
    a = FaultEngine(_plan(), 1)
    b = FaultEngine(_plan(), 2)
    assert [a.decide(1.0, "qwen", REQ) for _ in range(50)] != [b.decide(1.0, "qwen", REQ) for _ in range(50)]


@settings(max_examples=15, deadline=None)
@given(p=st.floats(0.02, 0.98), seed=st.integers(0, 10**6))
def test_injected_rate_converges_to_probability(p: float, seed: int) -> None:
    n = 2000
    engine = FaultEngine(FaultPlan.parse([{"probability": p, "error": {"status": 503}}]), seed)
    hits = sum(isinstance(engine.decide(0.0, "qwen", REQ).response, HttpError) for _ in range(n))
    sd = math.sqrt(n * p * (1 - p))
    assert abs(hits - n * p) <= 5 * sd   # a 5-sigma binomial bound: fails ~1 in 3.5 million runs


@settings(max_examples=30, deadline=None)
@given(
    at=st.floats(0, 100), span=st.floats(0.01, 100),
    times=st.lists(st.floats(0, 250), min_size=1, max_size=60), seed=st.integers(0, 1000),
)
def test_rules_fire_only_inside_their_window(at: float, span: float, times: list[float], seed: int) -> None:
    until = at + span
    engine = FaultEngine(FaultPlan.parse([{"at": at, "until": until, "error": {"status": 502}}]), seed)
    for t in sorted(times):
        decision = engine.decide(t, "claude", REQ)
        inside = at <= t < until
        assert isinstance(decision.response, HttpError) == inside
        assert (decision.rules == (0,)) == inside


def test_match_and_provider_filter() -> None:
    plan = FaultPlan.parse([{"provider": "qwen", "match": {"stream": True, "prompt_contains": "Pérez"},
                             "error": {"status": 500}}])
    engine = FaultEngine(plan, 0)
    streaming = RequestInfo("m", True, "con Dr. Pérez", 10)
    assert isinstance(engine.decide(0, "qwen", streaming).response, HttpError)
    assert isinstance(engine.decide(0, "claude", streaming).response, Normal)
    assert isinstance(engine.decide(0, "qwen", REQ).response, Normal)


def test_first_rule_of_a_kind_wins_and_latency_combines_with_errors() -> None:
    plan = FaultPlan.parse([
        {"latency": "3s"}, {"latency": "9s"}, {"error": {"status": 500}}, {"error": {"status": 503}},
    ])
    decision = FaultEngine(plan, 0).decide(0, "qwen", REQ)
    assert decision.latency_s == 3.0
    assert decision.response == HttpError(500)
    assert decision.rules == (0, 2)


@settings(max_examples=40, deadline=None)
@given(
    rpm=st.integers(1, 20), tpm=st.integers(50, 2000),
    arrivals=st.lists(st.tuples(st.floats(0, 5), st.integers(1, 120)), min_size=1, max_size=200),
    window=st.sampled_from([60.0, 6.0, 1.0]),
)
def test_quota_never_admits_more_than_its_limits_in_any_window(
    rpm: int, tpm: int, arrivals: list[tuple[float, int]], window: float
) -> None:
    buckets = QuotaBuckets(rpm, tpm, window)
    now, admitted = 0.0, []
    for gap, tokens in arrivals:
        now += gap
        verdict = buckets.admit(now, tokens)
        if verdict.admitted:
            admitted.append((now, tokens))
        else:
            assert verdict.retry_after_s > 0
            # Retry-After is honest: at that time the same request fits.
            probe = QuotaBuckets(rpm, tpm, window)
            for when, used in admitted:
                probe.admit(when, used)
            if tokens <= tpm:
                assert probe.admit(now + verdict.retry_after_s, tokens).admitted
    for start, _ in admitted:   # every window (s - W, s] ending at an admission
        inside = [(t, k) for t, k in admitted if start - window < t <= start]
        assert len(inside) <= rpm
        assert sum(k for _, k in inside) <= tpm


def test_quota_rule_gives_429_with_retry_after_until_a_slot_frees() -> None:
    engine = FaultEngine(FaultPlan.parse([{"provider": "openai", "quota": {"rpm": 2}}]), 0)
    assert isinstance(engine.decide(0.0, "openai", REQ).response, Normal)
    assert isinstance(engine.decide(10.0, "openai", REQ).response, Normal)
    third = engine.decide(15.0, "openai", REQ).response
    assert isinstance(third, HttpError) and (third.status, third.code) == (429, "rate_limit_exceeded")
    assert third.retry_after_s == pytest.approx(45.0)
    assert engine.limits(15.0, "openai").remaining_requests == 0
    assert isinstance(engine.decide(60.0, "openai", REQ).response, Normal)
    assert isinstance(engine.decide(0.0, "qwen", REQ).response, Normal)   # quota is per provider


def test_quota_window_follows_time_scale() -> None:
    engine = FaultEngine(FaultPlan.parse({"faults": [{"quota": {"rpm": 1}}], "time_scale": 0.1}), 0)
    engine.decide(0.0, "qwen", REQ)
    response = engine.decide(1.0, "qwen", REQ).response
    assert isinstance(response, HttpError)
    assert response.retry_after_s == pytest.approx(5.0)


@settings(max_examples=40, deadline=None)
@given(concurrency=st.integers(1, 8), queue=st.integers(0, 8),
       ops=st.lists(st.booleans(), min_size=1, max_size=100))
def test_capacity_bounds_in_flight_and_sheds_only_when_full(concurrency: int, queue: int, ops: list[bool]) -> None:
    model = CapacityModel(concurrency, queue, service_s=1.0)
    now = 0.0
    for enter in ops:
        now += 0.1
        if enter:
            before = model.in_flight
            result = model.enter(now)
            if isinstance(result, HttpError):
                assert result.status == 503 and before == concurrency + queue
            else:
                assert (result > 0) == (before >= concurrency)
        elif model.in_flight:
            model.leave(now, now - 0.5)
        assert 0 <= model.in_flight <= concurrency + queue


def test_capacity_rule_in_engine_queues_then_sheds_and_releases() -> None:
    engine = FaultEngine(FaultPlan.parse([{"capacity": {"concurrency": 1, "queue": 1}}]), 0)
    first = engine.decide(0, "qwen", REQ)
    second = engine.decide(0, "qwen", REQ)
    third = engine.decide(0, "qwen", REQ)
    assert first.capacity is not None and second.capacity is not None
    assert second.latency_s > first.capacity.wait_s
    assert third.response == HttpError(503)
    engine.release(first, 1.0)
    assert isinstance(engine.decide(1.0, "qwen", REQ).response, Normal)


def test_baseline_latency_defaults_and_overrides() -> None:
    engine = FaultEngine(FaultPlan(), 7)
    samples = sorted(engine.decide(0, "qwen", REQ).latency_s for _ in range(4000))
    assert samples[2000] == pytest.approx(0.6, rel=0.1)
    assert samples[3800] == pytest.approx(1.5, rel=0.15)
    plan = FaultPlan.parse({"faults": [], "baseline": {"claude": {"dist": "constant", "value": "20ms"}}})
    engine = FaultEngine(plan, 7)
    assert engine.decide(0, "claude", REQ).latency_s == 0.02
    assert engine.decide(0, "qwen", REQ).latency_s != 0.02


def test_decide_uses_the_given_rng_only() -> None:
    engine = FaultEngine(FaultPlan.parse([{"probability": 0.5, "error": {"status": 500}}]), 0)
    a = [engine.decide(0, "qwen", REQ, random.Random(5)) for _ in range(3)]
    assert a[0] == a[1] == a[2]
