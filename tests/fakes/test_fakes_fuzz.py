"""Hypothesis fuzz of the fakes' chat and control bodies (issue 8): any JSON is 2xx or 4xx, never 5xx.

In-process through the fake's real ASGI app, with a zero-latency baseline, so it is
fast enough for the suite.  A 5xx here would be a fake crashing, not a fault it was
told to inject: the plans the fuzz PUTs are refused or accepted, and then reset.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_providers.faults.latency import LatencyDist
from fake_providers.servers.app import FakeProviderApp
from fake_providers.servers.state import FakeState

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=20), st.sampled_from(["1e300", "3s", "500ms", "user", "assistant", "text"]))
any_json = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=10)
message = st.fixed_dictionaries({"role": st.one_of(st.sampled_from(["user", "system", "assistant"]), any_json),
                                 "content": st.one_of(st.text(max_size=30), any_json)})
chat = st.fixed_dictionaries({"messages": st.one_of(st.lists(message, max_size=3), any_json)}, optional={
    k: any_json for k in ("model", "max_tokens", "temperature", "stream", "system")})
rule_effects = st.sampled_from(["latency", "error", "connection", "bad_json", "quality", "stream", "quota",
                                "capacity"])
plan = st.fixed_dictionaries({"faults": st.lists(st.dictionaries(
    st.one_of(rule_effects, st.sampled_from(["at", "until", "provider", "probability", "match"])),
    any_json, max_size=3), max_size=3)}, optional={"time_scale": any_json, "epoch": any_json,
                                                   "baseline": any_json})


class _Fake:
    def __init__(self, provider: str) -> None:
        self.loop = asyncio.new_event_loop()
        zero = LatencyDist.parse({"dist": "constant", "value": 0}, "baseline")
        self.state = self.loop.run_until_complete(self._state(provider, zero))
        self.app = FakeProviderApp(self.state)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://127.0.0.1")

    @staticmethod
    async def _state(provider: str, zero: LatencyDist) -> FakeState:
        return FakeState(provider, seed=3, baseline=zero)

    def send(self, method: str, path: str, body: Any) -> httpx.Response:
        raw = json.dumps(body).encode()
        return self.loop.run_until_complete(self.client.request(
            method, path, content=raw, headers={"content-type": "application/json"}))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


@pytest.fixture(scope="module", params=["openai", "claude"])
def fake(request: pytest.FixtureRequest) -> Iterator[_Fake]:
    f = _Fake(request.param)
    try:
        yield f
    finally:
        f.close()


_FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@given(st.one_of(chat, any_json))
@_FUZZ
def test_chat_bodies_never_5xx(fake: _Fake, body: Any) -> None:
    path = "/v1/messages" if fake.state.provider == "claude" else "/v1/chat/completions"
    r = fake.send("POST", path, body)
    assert r.status_code < 500, (body, r.status_code, r.text[:300])


@given(st.one_of(plan, any_json))
@_FUZZ
def test_control_bodies_never_5xx(fake: _Fake, body: Any) -> None:
    r = fake.send("PUT", "/_control/faults", body)
    assert r.status_code in (200, 400, 413), (body, r.status_code, r.text[:300])
    if r.status_code == 400:
        assert "field" in r.json()["error"]
    fake.send("PUT", "/_control/faults", {"faults": []})
