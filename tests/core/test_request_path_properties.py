"""The sans-I/O request path, driven in memory on a manual clock, against any sequence of provider outcomes.

No sockets and no event loop: the test is the interpreter. Hypothesis picks the stack's settings and what
every provider answers; the invariants are the runbook's promises made safe (DESIGN.md "The stack under
test"): a hard cap on attempts, no call through an open breaker, no retry of a permanent failure, no wait
past the request's deadline, every request ends, and every user request gets an answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.clock import ManualClock
from gateway.config import load_config
from gateway.core.effects import CacheGet, CacheSet, CallProvider, Sleep
from gateway.core.llm_flow import LlmResult, call_llm
from gateway.core.pipeline import ParseOutcome, parse_appointment
from gateway.core.stack import Stack
from gateway.outcomes import ChatRequest, Completion, FailureKind, Message, ProviderFailure, Usage
from gateway.policy.breaker import BreakerState

KINDS = list(FailureKind)
GOOD = '{"contacto": "Dr. Pérez", "fecha": "mañana", "hora": "10am", "lugar": null, "confidence": 0.9}'


@st.composite
def outcomes(draw: st.DrawFn) -> tuple[str, float, float | None]:
    """What one call does: ("ok" | a FailureKind value, latency in seconds, Retry-After)."""
    kind = draw(st.sampled_from(["ok", "ok", *[k.value for k in KINDS]]))
    latency = draw(st.floats(0.0, 15.0))
    retry_after = draw(st.one_of(st.none(), st.floats(0.0, 90.0))) if kind == "rate_limited" else None
    return kind, latency, retry_after


@dataclass
class Trace:
    calls: list[tuple[float, str, float]] = field(default_factory=list)   # (time, provider, timeout)
    sleeps: list[tuple[float, float]] = field(default_factory=list)       # (start, seconds)


def drive(stack: Stack, clock: ManualClock, flow: object, script: list[tuple[str, float, float | None]],
          trace: Trace, max_steps: int = 500) -> object:
    """Interpret ``flow`` in virtual time; provider outcomes come from ``script`` (then "ok")."""
    gen = flow
    result: object = None
    for _ in range(max_steps):
        try:
            effect = gen.send(result)  # type: ignore[attr-defined]
        except StopIteration as stop:
            return stop.value
        if isinstance(effect, CallProvider):
            now = clock.now()
            b = stack.breakers[effect.provider].state(now)
            assert b not in (BreakerState.OPEN, BreakerState.FORCED_OPEN), f"called {effect.provider} while {b}"
            assert effect.timeout_s >= 0
            trace.calls.append((now, effect.provider, effect.timeout_s))
            kind, latency, retry_after = script.pop(0) if script else ("ok", 0.1, None)
            if latency >= effect.timeout_s and kind != "ok":
                kind, latency = FailureKind.TIMEOUT.value, effect.timeout_s
            clock.advance(min(latency, effect.timeout_s))
            if kind == "ok" and latency < effect.timeout_s:
                result = Completion(effect.provider, "m", GOOD, Usage(10, 10))
            else:
                k = FailureKind(kind) if kind != "ok" else FailureKind.TIMEOUT
                result = ProviderFailure(effect.provider, k, "scripted", None, retry_after)
        elif isinstance(effect, Sleep):
            assert effect.seconds >= 0
            trace.sleeps.append((clock.now(), effect.seconds))
            clock.advance(effect.seconds)
            result = None
        elif isinstance(effect, CacheGet | CacheSet):
            result = None
        else:
            raise AssertionError(f"unknown effect {effect!r}")
    raise AssertionError(f"the flow did not end within {max_steps} effects")


stack_settings = st.fixed_dictionaries({
    "router": st.fixed_dictionaries({"max_attempts": st.integers(1, 6)}),
    "retries": st.fixed_dictionaries({"max": st.integers(0, 5), "budget": st.floats(0.0, 1.0)}),
    "breaker": st.fixed_dictionaries({"failure_threshold": st.integers(1, 6)}),
    "providers": st.fixed_dictionaries({
        "qwen": st.fixed_dictionaries({"rpm": st.one_of(st.none(), st.integers(1, 50))}),
        "claude": st.fixed_dictionaries({"enabled": st.booleans()}),
    }),
    "cache": st.just({"enabled": False}),
})


@given(stack_settings, st.lists(outcomes(), max_size=40), st.integers(1, 6))
@settings(max_examples=150, deadline=None)
def test_every_llm_call_is_bounded_safe_and_ends(overrides: dict, script: list, requests: int) -> None:
    clock = ManualClock(1000.0)
    config = load_config(overrides=overrides, environ={})
    stack = Stack(config, clock)
    request = ChatRequest((Message("user", "hola"),), max_tokens=50)
    for _ in range(requests):
        trace = Trace()
        start = clock.now()
        deadline = start + stack.deadline_s
        result = drive(stack, clock, call_llm(stack, request, deadline_at=deadline, conservation=False),
                       script, trace)
        assert isinstance(result, LlmResult)
        # a hard cap on attempts per user request, whatever the providers do
        assert len(trace.calls) == result.attempts <= config.router.max_attempts
        # no call starts at or after the deadline, and none may run past it
        for at, _, timeout in trace.calls:
            assert at < deadline and at + timeout <= deadline + 1e-9
        # no wait (backoff or queue) ends past the deadline
        for at, seconds in trace.sleeps:
            assert at + seconds < deadline + 1e-9
        failed = list(result.failures)
        # a permanent failure is never retried on that provider within the request
        for i, f in enumerate(failed):
            if f.permanent:
                later = [p for _, p, _ in trace.calls[i + 1:]]
                assert f.provider not in later
        # a 4xx of our own making ends the request
        if any(f.kind is FailureKind.CLIENT_ERROR for f in failed):
            assert result.completion is None and failed[-1].kind is FailureKind.CLIENT_ERROR
        # an answer is exactly "the last call succeeded"
        assert (result.completion is not None) == (len(trace.calls) > len(failed))
        clock.advance(0.05)


@given(st.lists(outcomes(), max_size=30), st.booleans(), st.booleans())
@settings(max_examples=80, deadline=None)
def test_every_user_request_gets_an_answer(script: list, degraded: bool, conservation: bool) -> None:
    clock = ManualClock(0.0)
    config = load_config(overrides={"degraded": {"enabled": degraded}, "conservation": {"enabled": conservation},
                                    "cache": {"enabled": False}}, environ={})
    stack = Stack(config, clock)
    for i in range(3):
        received = clock.now()
        outcome = drive(stack, clock, parse_appointment(stack, f"cita {i} mañana 10am con Dr. Pérez",
                                                        date(2026, 1, 22), received), script, Trace())
        assert isinstance(outcome, ParseOutcome)
        # with the regex fallback on, a user only ever sees an answer or, when every queue is full, a 429
        assert outcome.status in (200, 429)
        if outcome.status == 429:
            assert outcome.retry_after_s is not None and outcome.retry_after_s >= 0
            continue
        assert outcome.answer is not None
        assert outcome.answer["entities"]["contacto"] == "Dr. Pérez"
        assert outcome.answer["entities"]["hora"]["resolved"] == "10:00"
        agents = set(outcome.agents)
        assert ("negotiation" in agents) is (not degraded)
        assert outcome.degraded is degraded and outcome.conservation is conservation
        assert clock.now() - received <= stack.deadline_s + 1e-6
