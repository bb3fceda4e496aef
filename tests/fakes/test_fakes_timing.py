"""When a fake's answer goes out: counted from the request's arrival, never before it is due.

A reply of ``delay_s`` leaves ``delay_s`` after the request arrived, however long reading the body took
and however early the event loop's millisecond timers wake; and the cheap reset-time formatting the
answers carry is the slow one's, to the second.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from fake_providers.faults.engine import FaultEngine
from fake_providers.faults.plan import FaultPlan
from fake_providers.faults.reply import call_rng, reply
from fake_providers.servers.anthropic_wire import rfc3339
from fake_providers.servers.app import FakeProviderApp, _dialect
from fake_providers.servers.asgi import Message
from fake_providers.servers.chat import CALL_KEY_HEADER
from fake_providers.servers.state import FakeState

PLAN = {"baseline": {"dist": "uniform", "min": "1s", "max": "3s"},
        "faults": [{"probability": 0.5, "error": {"status": 503}}]}


class EarlyClock:
    """A clock whose sleeps wake up to ``early`` seconds before they are due, as uvloop's timers may."""

    def __init__(self, early: float) -> None:
        self.t = 1000.0
        self.early = early

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(seconds - self.early, seconds / 2)
        await asyncio.sleep(0)


@given(st.floats(0.0, 5.0), st.floats(0.0, 0.001))
@settings(max_examples=100, deadline=None)
def test_sleep_until_never_returns_before_the_deadline(wait: float, early: float) -> None:
    clock = EarlyClock(early)
    state = FakeState("openai", clock=clock.now, sleep=clock.sleep)
    due = clock.t + wait
    asyncio.run(state.sleep_until(due))
    assert clock.t >= due - 1e-6
    assert clock.t <= due + 1e-6 or clock.t - due <= early   # and not long after it


@given(st.integers(0, 10_000), st.floats(0.0, 2.0), st.booleans())
@settings(max_examples=40, deadline=None)
def test_the_answer_leaves_its_delay_after_arrival_however_long_the_body_took(
    key: int, read_s: float, stream: bool
) -> None:
    clock = EarlyClock(0.0)
    state = FakeState("openai", 5, clock=clock.now, sleep=clock.sleep)
    state.apply(FaultPlan.parse(PLAN))
    app = FakeProviderApp(state)
    body = {"model": "m", "max_tokens": 32, "stream": stream, "messages": [{"role": "user", "content": "hola"}]}
    call = _dialect("openai").parse_request(body)
    rng = call_rng(5, key)
    want = reply(FaultEngine(FaultPlan.parse(PLAN), 5).decide(0.0, "openai", call.request_info(), rng), call, rng)
    arrived = clock.t
    first_byte: list[float] = []

    async def receive() -> Message:
        clock.t += read_s   # a slow client: its body arrives read_s after its headers
        return {"type": "http.request", "body": json.dumps(body).encode(), "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            first_byte.append(clock.t)

    scope = {"type": "http", "method": "POST", "path": "/v1/chat/completions",
             "headers": [(CALL_KEY_HEADER, str(key).encode())]}
    asyncio.run(app(scope, receive, send))
    # the delay runs from the arrival; a body slower than the delay goes out at once
    assert first_byte[0] == max(arrived + want.first_s, arrived + read_s)


@given(st.one_of(st.floats(0.0, 4e9), st.integers(0, 4 * 10**9).map(float).flatmap(
    lambda s: st.sampled_from([s, s - 1e-7, s - 5e-7, s - 6e-7, s - 1e-6, s - 2e-6, s + 1e-6]))))
@settings(max_examples=500, deadline=None)
def test_reset_times_are_the_strftime_ones_to_the_second(wall: float) -> None:
    if wall >= 0:
        assert rfc3339(wall) == datetime.fromtimestamp(wall, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
