"""Every time read and wait of a fake goes through its injected clocks (``FakeState.clock/wall/sleep``).

The app is driven in memory, on a fake clock whose ``sleep`` advances it: a
reply of seconds is played out at once in real time, its latency is exactly
the reply model's, and reset headers and ``checked_at`` read the fake wall.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from fake_providers.faults.call import ChatCall
from fake_providers.faults.engine import FaultEngine
from fake_providers.faults.plan import FaultPlan
from fake_providers.faults.reply import call_rng, reply
from fake_providers.servers.app import FakeProviderApp, _dialect
from fake_providers.servers.asgi import Message
from fake_providers.servers.chat import CALL_KEY_HEADER
from fake_providers.servers.state import FakeState

WALL = 1_893_456_000.0   # 2030-01-01T00:00:00Z
PLAN = {
    "baseline": {"dist": "uniform", "min": "1s", "max": "3s"},
    "faults": [{"quota": {"rpm": 50}},
               {"match": {"stream": True}, "stream": {"ttft": "700ms", "tokens_per_s": 4}}],
}


class FakeClock:
    def __init__(self, start: float) -> None:
        self.t = start
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds
        await asyncio.sleep(0)


async def _call(app: FakeProviderApp, method: str, path: str, body: bytes = b"",
                headers: tuple[tuple[bytes, bytes], ...] = ()) -> tuple[int, dict[bytes, bytes], bytes]:
    scope = {"type": "http", "method": method, "path": path, "headers": list(headers),
             "client": ("127.0.0.1", 40000)}
    inbox: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[Message] = []

    async def receive() -> Message:
        return inbox.pop(0) if inbox else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def _fake(provider: str, clock: FakeClock) -> FakeProviderApp:
    state = FakeState(provider, 5, clock=clock.now, wall=lambda: WALL, sleep=clock.sleep)
    state.apply(FaultPlan.parse(PLAN))
    return FakeProviderApp(state)


@pytest.mark.parametrize(("provider", "path", "stream"),
                         [("claude", "/v1/messages", True), ("openai", "/v1/chat/completions", False)])
def test_a_fake_clock_drives_latency_pacing_and_reset_times(provider: str, path: str, stream: bool) -> None:
    clock = FakeClock(5_000.0)
    app = _fake(provider, clock)
    body = {"model": "m", "max_tokens": 64, "stream": stream, "system": "llmdrill:parse-appointment/v1",
            "messages": [{"role": "user", "content": "cita mañana a las 10am con el Dr. Pérez"}]}
    call: ChatCall = _dialect(provider).parse_request(body)
    rng = call_rng(5, 77)
    want = reply(FaultEngine(FaultPlan.parse(PLAN), 5).decide(0.0, provider, call.request_info(), rng), call, rng)
    started = time.monotonic()
    status, headers, _ = asyncio.run(_call(app, "POST", path, json.dumps(body).encode(),
                                           ((CALL_KEY_HEADER, b"77"),)))
    assert time.monotonic() - started < 1.0 < want.delay_s      # the seconds passed on the fake clock only
    assert status == 200
    assert clock.t - 5_000.0 == pytest.approx(want.delay_s)
    assert sum(clock.slept) == pytest.approx(want.delay_s)
    if stream:    # a token every 1/4 s: the pacing waits too went through the clock
        assert len(clock.slept) == want.completion_tokens
    stats = app.state.stats
    assert list(stats.latencies) == [pytest.approx(want.delay_s)]
    assert stats.calls[0][0] == 0.0                             # plan time on the fake clock
    reset = (headers.get(b"anthropic-ratelimit-requests-reset") if provider == "claude"
             else headers.get(b"x-ratelimit-reset-requests"))
    assert reset is not None
    if provider == "claude":                                    # an absolute time: read on the fake wall
        assert reset.decode().startswith("2030-01-01T00:0")


def test_limits_say_when_they_were_checked_on_the_wall_clock() -> None:
    app = _fake("openai", FakeClock(10.0))
    status, _, raw = asyncio.run(_call(app, "GET", "/v1/limits"))
    assert status == 200
    body = json.loads(raw)
    assert body["checked_at"] == WALL and body["rate_limit"]["requests_per_minute"] == 50
