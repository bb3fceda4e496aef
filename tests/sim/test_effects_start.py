"""A request body run by ``Effects.start`` performs its flow's effects as ``perform`` does in a process.

The twin runs each request's body without a SimPy process and without ``perform``'s generator between
the body and its flow (``sim/interpreter.py``); the health and gold probes still run ``perform`` in a
process.  Both must give the same run: the same results sent to each flow at the same instants, the same
call keys, each provider's ``finish`` before its flow resumes, and the same event order among bodies.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Any

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.clock import Clock
from gateway.core.effects import CacheGet, CacheSet, CallProvider, Flow, Sleep
from gateway.outcomes import ChatRequest
from gateway.service.cache_backends import MemoryBackend
from sim.clock import SimClock
from sim.interpreter import Effects
from sim.provider import CallPlan, SimProvider

_REQUEST = ChatRequest(())


class _Provider(SimProvider):
    """A provider whose call takes a delay drawn from the call's key, logging each call and finish."""

    __slots__ = ("env", "log")

    def __init__(self, env: simpy.Environment, log: list[tuple[float, str]]) -> None:
        self.env, self.log = env, log

    def call(self, now: float, request: ChatRequest, timeout_s: float, key: int) -> CallPlan:
        delay = random.Random(key).choice([0.0, 0.0, 0.25, 1.5])
        self.log.append((now, f"call {key} {delay}"))
        return CallPlan(delay, f"answer {key}")  # type: ignore[arg-type]

    def finish(self, plan: CallPlan) -> None:
        self.log.append((self.env.now, f"finish {plan.result}"))


effects_st = st.lists(st.one_of(
    st.builds(CacheGet, st.sampled_from(["a", "b"])),
    st.builds(CacheSet, st.sampled_from(["a", "b"]), st.text(max_size=3), st.sampled_from([0.5, 10.0])),
    st.builds(Sleep, st.sampled_from([0.0, 0.3, 1.0])),
    st.builds(CallProvider, st.just("p"), st.just(_REQUEST), st.sampled_from([0.0, 5.0])),
), max_size=6)


def _run(started: bool, bodies: list[tuple[float, float, list[Any]]]) -> list[tuple[float, str]]:
    env = simpy.Environment()
    log: list[tuple[float, str]] = []
    clock: Clock = SimClock(env)
    effects = Effects(env, {"p": _Provider(env, log)}, MemoryBackend(clock, 8))

    def flow(i: int, steps: list[Any]) -> Flow:
        for step in steps:
            got = yield step
            log.append((env.now, f"{i} got {got!r}"))
        return i

    def body(i: int, wait: float, steps: list[Any]) -> Generator[Any, Any, None]:
        if wait:
            yield env.timeout(wait)
        got = yield from (flow(i, steps) if started else effects.perform(flow(i, steps), 100 + i))
        log.append((env.now, f"{i} done {got}"))

    def source() -> Generator[simpy.Event, Any, None]:
        for i, (gap, wait, steps) in enumerate(bodies):
            yield env.timeout(gap)
            if started:
                effects.start(body(i, wait, steps), 100 + i)
            else:
                env.process(body(i, wait, steps))

    env.process(source())
    env.run()
    return log


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 0.1, 0.7]), st.sampled_from([0.0, 0.2]), effects_st),
                max_size=8))
def test_a_started_body_performs_its_flow_as_perform_does_in_a_process(
        bodies: list[tuple[float, float, list[Any]]]) -> None:
    assert _run(True, bodies) == _run(False, bodies)


def test_a_call_that_takes_time_finishes_before_its_flow_resumes() -> None:
    # call keys 6400 and 6401 take no time, 6402 takes 1.5 s (the stub's draw for each key)
    log = _run(True, [(0.0, 0.0, [CallProvider("p", _REQUEST, 5.0)] * 3)])
    assert log == [(0.0, "call 6400 0.0"), (0.0, "finish answer 6400"), (0.0, "0 got 'answer 6400'"),
                   (0.0, "call 6401 0.0"), (0.0, "finish answer 6401"), (0.0, "0 got 'answer 6401'"),
                   (0.0, "call 6402 1.5"), (1.5, "finish answer 6402"), (1.5, "0 got 'answer 6402'"),
                   (1.5, "0 done 0")]
