"""A user request's router picks and retry jitter come from its own generator, not from the order of requests.

The live gateway serves requests in the order they reach it and the twin in virtual-time order; with one
shared generator the same request took another provider in each (about half the time).  Keyed by the
config's seed, the request id and the LLM step, a request's draws are the same whoever was served before.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.clock import ManualClock
from gateway.config import load_config
from gateway.core.llm_flow import CacheSpec, LlmResult, call_llm
from gateway.core.pipeline import NEGOTIATE_TASK, PARSE_TASK
from gateway.core.stack import Stack
from gateway.outcomes import ChatRequest, Message

from .test_request_path_properties import Trace, drive

REQUEST = ChatRequest((Message("user", "hola"),), max_tokens=50)
ids = st.integers(min_value=0, max_value=10**9)
#: what a request's providers answer: mostly answers, some retryable failures (so that failover and the
#: backoff's jitter are drawn too); the latency is fixed so that the router's health stays the same
scripts = st.lists(st.sampled_from([("ok", 0.2, None), ("server_error", 0.2, None), ("timeout", 0.2, None)]),
                   max_size=4)


def _stack(seed: int, clock: ManualClock) -> Stack:
    # three healthy providers at the runbook's 70/20/10 weights, no cache, breakers that a few failures
    # do not open: the router's state is the same before every request, so only the draws can differ
    return Stack(load_config(overrides={"seed": seed, "cache": {"enabled": False},
                                        "breaker": {"failure_threshold": 1000}}, environ={}), clock)


def _serve(stack: Stack, clock: ManualClock, request_id: int | None, script: list[tuple[str, float, None]],
           task: str = PARSE_TASK) -> Trace:
    trace = Trace()
    spec = CacheSpec(task, "hola", {})
    start = clock.now()
    result = drive(stack, clock, call_llm(stack, REQUEST, deadline_at=start + stack.deadline_s,
                                          conservation=False, cache=spec, request_id=request_id),
                   list(script), trace)
    assert isinstance(result, LlmResult)
    clock.advance(1.0)
    return trace


def _relative(trace: Trace) -> tuple[list[tuple[float, str]], list[float]]:
    """A trace's providers and waits, timed from its first call: comparable across stacks."""
    t0 = trace.calls[0][0]
    return [(round(at - t0, 9), p) for at, p, _ in trace.calls], [round(s, 9) for _, s in trace.sleeps]


@given(st.integers(0, 2**32), ids, scripts, st.lists(ids, max_size=12), st.lists(ids, max_size=12))
@settings(max_examples=120, deadline=None)
def test_a_requests_picks_do_not_depend_on_the_requests_served_before_it(
    seed: int, request_id: int, script: list, before_a: list[int], before_b: list[int]
) -> None:
    traces = []
    for before in (before_a, before_b):
        clock = ManualClock(100.0)
        stack = _stack(seed, clock)
        for other in before:
            _serve(stack, clock, other, [])
        traces.append(_relative(_serve(stack, clock, request_id, script)))
    # the same first provider, the same failovers and the same jittered waits
    assert traces[0] == traces[1]


@given(st.integers(0, 2**32), ids)
@settings(max_examples=200, deadline=None)
def test_each_step_of_a_request_has_its_own_generator_and_the_shared_one_is_untouched(
    seed: int, request_id: int
) -> None:
    clock = ManualClock(0.0)
    stack, again = _stack(seed, clock), _stack(seed, clock)
    shared = stack.rng.getstate()
    parse = stack.step_rng(request_id, PARSE_TASK).random()
    assert parse == again.step_rng(request_id, PARSE_TASK).random()   # pure in (seed, id, step)
    assert parse != stack.step_rng(request_id, NEGOTIATE_TASK).random()   # the two steps draw apart
    assert parse != stack.step_rng(request_id + 1, PARSE_TASK).random()
    _serve(stack, clock, request_id, [])
    assert stack.rng.getstate() == shared   # a request with an id takes nothing from the shared generator


def test_a_request_without_an_id_still_draws_from_the_shared_generator() -> None:
    clock = ManualClock(0.0)
    stack = _stack(3, clock)
    stack.rng = random.Random(11)
    expected = random.Random(11)
    # the router's weighted pick over qwen/claude/openai at 0.7/0.2/0.1, as Router._weighted draws it
    point = expected.random()
    want = "qwen" if point < 0.7 else "claude" if point < 0.9 else "openai"
    trace = _serve(stack, clock, None, [])
    assert trace.calls[0][1] == want
    assert stack.rng.getstate() == expected.getstate()


def test_first_providers_follow_the_weights_across_request_ids() -> None:
    # keyed draws over consecutive ids must still split as 70/20/10: 3,000 requests, 4 sigma
    clock = ManualClock(0.0)
    stack = _stack(5, clock)
    n = 3000
    counts = {"qwen": 0, "claude": 0, "openai": 0}
    for rid in range(n):
        counts[_serve(stack, clock, rid, []).calls[0][1]] += 1
    for name, weight in (("qwen", 0.7), ("claude", 0.2), ("openai", 0.1)):
        sigma = (n * weight * (1 - weight)) ** 0.5
        assert abs(counts[name] - n * weight) < 4 * sigma, counts
