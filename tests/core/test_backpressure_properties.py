"""Honest back-pressure (issue 7 item 5), on the in-memory request path and a manual clock.

What the client is told when nothing answers must be true: 429 when rate limits are why, 503 when the
providers are down, and a Retry-After that is the earliest instant a breaker or a provider's Retry-After
lets a call through again — not sooner (the client would come back to the same refusal) and not later
(it would wait for nothing).  And the request path itself must not wait for nothing: no backoff sleep
ends while every provider it could call is still refused by its breaker, and none runs past the deadline.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.clock import ManualClock
from gateway.config import load_config
from gateway.core.chat import ChatOutcome, chat_completion
from gateway.core.effects import CacheGet, CacheSet, CallProvider, Sleep
from gateway.core.refusal import retry_after_header
from gateway.core.stack import Stack
from gateway.outcomes import ChatRequest, Completion, FailureKind, Message, ProviderFailure, Usage
from gateway.policy.breaker import BreakerState, CircuitBreaker

REQUEST = ChatRequest((Message("user", "hola"),), max_tokens=50)
PROVIDERS = ("qwen", "claude", "openai")

#: (kind, latency, retry_after): what one upstream call does
Answer = tuple[str, float, float | None]


@dataclass
class Trace:
    calls: list[tuple[float, str, float, ProviderFailure | Completion]] = field(default_factory=list)
    sleeps: list[tuple[float, float]] = field(default_factory=list)        # (start, seconds)
    #: for every sleep, whether some provider's breaker admitted a call the moment it ended
    woke_to_an_admitting_breaker: list[bool] = field(default_factory=list)
    effects: list[str] = field(default_factory=list)                     # effect names, in order


def drive(stack: Stack, clock: ManualClock, flow: Any, answer: Callable[[str], Answer], trace: Trace) -> Any:
    """Interpret ``flow`` in virtual time; ``answer(provider)`` scripts every upstream call."""
    result: object = None
    for _ in range(500):
        try:
            effect = flow.send(result)
        except StopIteration as stop:
            return stop.value
        trace.effects.append(type(effect).__name__)
        if isinstance(effect, CallProvider):
            now = clock.now()
            state = stack.breakers[effect.provider].state(now)
            assert state not in (BreakerState.OPEN, BreakerState.FORCED_OPEN), f"called {effect.provider} while {state}"
            kind, latency, retry_after = answer(effect.provider)
            if kind != "ok" and latency >= effect.timeout_s:
                kind, latency = FailureKind.TIMEOUT.value, effect.timeout_s
            clock.advance(min(latency, effect.timeout_s))
            if kind == "ok" and latency < effect.timeout_s:
                result = Completion(effect.provider, "m", "ok", Usage(10, 10))
            else:
                k = FailureKind(kind) if kind != "ok" else FailureKind.TIMEOUT
                status = 429 if k in (FailureKind.RATE_LIMITED, FailureKind.QUOTA_EXHAUSTED) else None
                result = ProviderFailure(effect.provider, k, "scripted", status, retry_after)
            trace.calls.append((now, effect.provider, clock.now(), result))   # type: ignore[arg-type]
        elif isinstance(effect, Sleep):
            assert effect.seconds >= 0
            trace.sleeps.append((clock.now(), effect.seconds))
            clock.advance(effect.seconds)
            woke = clock.now()
            trace.woke_to_an_admitting_breaker.append(
                any(b.would_admit(woke) for b in stack.breakers.values()))
            result = None
        elif isinstance(effect, CacheGet | CacheSet):
            result = None
        else:
            raise AssertionError(f"unknown effect {effect!r}")
    raise AssertionError("the flow did not end within 500 effects")


def breaker_admits_at(breaker: CircuitBreaker, now: float) -> float:
    """When a breaker lets a call through, from its public reading API only."""
    state = breaker.state(now)
    if state is BreakerState.FORCED_OPEN:
        return math.inf
    if state is BreakerState.OPEN:
        at = breaker.retry_at(now)
        assert at is not None and at > now
        return at
    return now


common = {
    "router": st.fixed_dictionaries({"max_attempts": st.integers(1, 6)}),
    "retries": st.fixed_dictionaries({"max": st.integers(0, 5), "budget": st.floats(0.0, 1.0),
                                      "max_retry_after": st.sampled_from(["60s", "5s"])}),
    "cache": st.just({"enabled": False}),
}


def enabled_providers() -> st.SearchStrategy[dict[str, Any]]:
    # qwen without its gateway-side rpm limit: here every refusal must come from the providers themselves
    return st.fixed_dictionaries({
        "qwen": st.just({"rpm": None, "tpm": None}),
        "claude": st.fixed_dictionaries({"enabled": st.booleans()}),
        "openai": st.fixed_dictionaries({"enabled": st.booleans()}),
    })


@given(
    st.fixed_dictionaries({
        **common,
        "providers": enabled_providers(),
        "breaker": st.fixed_dictionaries({"failure_threshold": st.integers(1, 6),
                                          "count_rate_limits": st.booleans()}),
    }),
    st.fixed_dictionaries({p: st.one_of(st.none(), st.floats(0.0, 30.0)) for p in PROVIDERS}),
    st.floats(0.0, 2.0),
    st.integers(1, 5),
)
@settings(max_examples=200, deadline=None)
def test_every_provider_rate_limited_gives_429_with_the_earliest_admission(
    overrides: dict[str, Any], retry_after: dict[str, float | None], latency: float, requests: int
) -> None:
    clock = ManualClock(1000.0)
    stack = Stack(load_config(overrides=overrides, environ={}), clock)
    timed_out = False
    for _ in range(requests):
        trace = Trace()
        received = clock.now()
        outcome = drive(stack, clock, chat_completion(stack, REQUEST, received),
                        lambda p: ("rate_limited", latency, retry_after[p]), trace)
        assert isinstance(outcome, ChatOutcome)
        end = clock.now()
        if timed_out or any(isinstance(f, ProviderFailure) and f.kind is FailureKind.TIMEOUT
                            for *_, f in trace.calls):
            # a 429 that came too late for the deadline is a timeout: a provider down, not a rate limit;
            # and a breaker that timeout opened keeps later requests out as "down" too
            timed_out = True
            assert outcome.status in (429, 503), outcome
            assert outcome.status == 503 or outcome.retry_after_s is not None
            clock.advance(0.5)
            continue
        assert outcome.status == 429, outcome
        assert outcome.error_type == "rate_limit_exceeded"
        assert outcome.retry_after_s is not None
        # When each provider admits a call again: its breaker, and its own Retry-After from this request.
        admits = {}
        for p in stack.providers:
            at = breaker_admits_at(stack.breakers[p], end)
            said = [finished + (f.retry_after_s or 0.0) for _, q, finished, f in trace.calls if q == p]
            if said:
                at = max(at, said[-1])
            admits[p] = at
        earliest = min(admits.values())
        # not sooner than any limit admits a call, and not later than the first one that does
        assert end + outcome.retry_after_s >= earliest - 1e-9
        assert math.isclose(end + outcome.retry_after_s, earliest, abs_tol=1e-9)
        for start, seconds in trace.sleeps:
            assert start + seconds < received + stack.deadline_s + 1e-9
        clock.advance(0.5)


@given(
    st.fixed_dictionaries({
        **common,
        # at most one retry, so that the ten requests below end before the first breaker half-opens
        "retries": st.fixed_dictionaries({"max": st.integers(0, 1)}),
        "providers": enabled_providers(),
        "breaker": st.fixed_dictionaries({"failure_threshold": st.integers(1, 3),
                                          "recovery_timeout": st.sampled_from(["5m", "10m"])}),
    }),
    st.sampled_from(["connection_refused", "connection_reset", "server_error", "overloaded"]),
    st.floats(0.0, 1.0),
)
@settings(max_examples=150, deadline=None)
def test_every_provider_down_gives_503_with_the_breakers_remaining_open_time(
    overrides: dict[str, Any], kind: str, latency: float
) -> None:
    clock = ManualClock(50.0)
    stack = Stack(load_config(overrides=overrides, environ={}), clock)
    # Enough requests for every breaker to trip (threshold <= 3, at least one call per request).
    for _ in range(3 * len(stack.providers) + 1):
        received = clock.now()
        outcome = drive(stack, clock, chat_completion(stack, REQUEST, received),
                        lambda p: (kind, latency, None), Trace())
        assert isinstance(outcome, ChatOutcome) and outcome.status == 503
        assert outcome.retry_after_s is not None and outcome.retry_after_s >= 0
        clock.advance(0.1)
    end = clock.now()
    assert all(b.state(end) is BreakerState.OPEN for b in stack.breakers.values())
    outcome = drive(stack, clock, chat_completion(stack, REQUEST, end), lambda p: (kind, latency, None), Trace())
    opens = [b.retry_at(end) for b in stack.breakers.values()]
    assert isinstance(outcome, ChatOutcome) and outcome.status == 503 and outcome.attempts == 0
    assert outcome.retry_after_s is not None
    assert math.isclose(outcome.retry_after_s, min(o for o in opens if o is not None) - end, abs_tol=1e-9)


@st.composite
def answers(draw: st.DrawFn) -> Answer:
    kind = draw(st.sampled_from(["ok", *[k.value for k in FailureKind if k is not FailureKind.CLIENT_ERROR]]))
    retry_after = draw(st.one_of(st.none(), st.floats(0.0, 40.0))) if kind == "rate_limited" else None
    return kind, draw(st.floats(0.0, 12.0)), retry_after


@given(
    st.fixed_dictionaries({
        **common,
        "providers": st.fixed_dictionaries({
            "qwen": st.fixed_dictionaries({"rpm": st.one_of(st.none(), st.integers(1, 20))}),
            "claude": st.fixed_dictionaries({"enabled": st.booleans()}),
            "openai": st.fixed_dictionaries({"enabled": st.booleans()}),
        }),
        "breaker": st.fixed_dictionaries({"failure_threshold": st.integers(1, 4),
                                          "recovery_timeout": st.sampled_from(["1s", "5s", "60s"]),
                                          "count_rate_limits": st.booleans()}),
    }),
    st.lists(answers(), max_size=60),
    st.integers(1, 6),
)
@settings(max_examples=200, deadline=None)
def test_no_sleep_against_an_open_breaker_or_past_the_deadline(
    overrides: dict[str, Any], script: list[Answer], requests: int
) -> None:
    clock = ManualClock(0.0)
    stack = Stack(load_config(overrides=overrides, environ={}), clock)

    def answer(provider: str) -> Answer:
        return script.pop(0) if script else ("server_error", 0.05, None)

    for _ in range(requests):
        trace = Trace()
        received = clock.now()
        outcome = drive(stack, clock, chat_completion(stack, REQUEST, received), answer, trace)
        assert isinstance(outcome, ChatOutcome)
        deadline = received + stack.deadline_s
        for start, seconds in trace.sleeps:
            assert start + seconds < deadline + 1e-9, "a wait ran past the request's deadline"
        # a wait ends when some provider can be called: never against breakers that all stay open
        assert all(trace.woke_to_an_admitting_breaker), (trace.sleeps, trace.calls)
        # and, one request at a time, every wait is for a call that is then made (none for nothing:
        # not for a spent attempt cap, a closed retry budget or a queue that will not admit)
        for i, name in enumerate(trace.effects):
            if name == "Sleep":
                assert trace.effects[i + 1:i + 2] == ["CallProvider"], trace.effects
        if outcome.status != 200:
            assert outcome.status in (429, 503)
        clock.advance(0.3)


@given(st.floats(0.0, 1e6))
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(seconds: float) -> None:
    value = int(retry_after_header(seconds))
    assert value >= 1 and value >= seconds - 1e-9      # never tells a client to come back too soon
    assert value - 1 < max(seconds, 1.0)                # nor a whole second later than needed
