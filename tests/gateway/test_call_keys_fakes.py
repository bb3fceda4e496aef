"""Same request id and call number, same fate: the live fake behind the gateway's client and the twin.

The gateway's real provider client calls a real fake app (in process, over an
ASGI transport, on a fake clock) with ``x-llmdrill-call-key = call_key(rid, n)``;
the twin's ``SimProvider`` makes the call with the key its interpreter gives it.
Under a plan of probabilistic faults both must draw the same outcome, call by call.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_providers.faults.engine import FaultEngine
from fake_providers.faults.plan import FaultPlan
from fake_providers.servers import run_fakes_in_thread
from fake_providers.servers.app import FakeProviderApp
from fake_providers.servers.state import FakeState
from gateway.core.call_key import call_key
from gateway.nlp import build_parse_messages
from gateway.outcomes import ChatRequest, Completion, ProviderFailure
from gateway.providers.registry import make_client
from sim.provider import SimProvider

SEED = 7
PLAN = {
    "baseline": {"dist": "lognormal", "p50": "200ms", "p95": "2s"},
    "faults": [{"at": "0s", "provider": "*", "probability": 0.25, "error": {"status": 500}},
               {"at": "0s", "provider": "*", "probability": 0.2, "error": {"status": 429, "retry_after": "3s"}},
               {"at": "0s", "provider": "*", "probability": 0.15, "bad_json": "truncated"}],
}
REQUEST = ChatRequest(build_parse_messages("Cita mañana a las 10am con el Dr. Pérez", False), max_tokens=200)
KEYS = [call_key(rid, n) for rid in range(0, 40, 3) for n in range(3)]


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds
        await asyncio.sleep(0)


def _summary(result: Completion | ProviderFailure) -> tuple[Any, ...]:
    if isinstance(result, Completion):
        return ("ok", result.text, result.usage.completion_tokens)
    return (result.kind.value, result.status, result.retry_after_s)


@pytest.mark.parametrize("provider", ["qwen", "claude", "openai"])
def test_the_live_fake_draws_the_twins_fate_for_the_same_call_key(provider: str) -> None:
    plan = FaultPlan.parse(PLAN)
    clock = FakeClock()
    state = FakeState(provider, SEED, clock=clock.now, wall=lambda: 1.9e9, sleep=clock.sleep)
    state.apply(plan)
    twin = SimProvider(provider, FaultEngine(plan, seed=SEED), SEED)

    async def live() -> list[tuple[Any, ...]]:
        transport = httpx.ASGITransport(app=FakeProviderApp(state))
        async with httpx.AsyncClient(transport=transport) as http:
            client = make_client(provider, "http://127.0.0.1:9", "k", None, http)
            return [_summary(await client.call(REQUEST, 30.0, key)) for key in KEYS]

    got = asyncio.run(live())
    want = [_summary(twin.call(0.0, REQUEST, 30.0, key).result) for key in KEYS]
    assert got == want
    kinds = {g[0] for g in got}
    assert {"ok", "server_error", "rate_limited", "bad_response"} <= kinds, kinds  # every fate was drawn
    # the fates do depend on the key: without it the fake keys calls by its own sequence number
    async def unkeyed() -> list[tuple[Any, ...]]:
        transport = httpx.ASGITransport(app=FakeProviderApp(state))
        async with httpx.AsyncClient(transport=transport) as http:
            client = make_client(provider, "http://127.0.0.1:9", "k", None, http)
            return [_summary(await client.call(REQUEST, 30.0)) for _ in KEYS]

    assert asyncio.run(unkeyed()) != want


def test_the_twins_providers_meet_the_fates_the_running_fakes_serve(tmp_path: Path) -> None:
    """The whole chain across a real socket: the fakes as ``llmdrill run`` starts them (one seed, offset per
    provider by ``provider_seed``) and the twin's providers built from the same seed by the twin itself."""
    from gateway.config import config_from_mapping
    from scenarios.schema import Prompts
    from sim.records import RunFiles
    from sim.run import SimSetup, _Twin
    from sim.scenario import corpus_prompts
    from workload.schedule import Stage

    fast = {**PLAN, "baseline": {"dist": "constant", "value": "1ms"}}   # real sockets, real waits
    plan = FaultPlan.parse(fast)
    setup = SimSetup(config_from_mapping({"seed": SEED}), plan, (Stage(1.0, 1.0),),
                     corpus_prompts(Prompts(n=10)), SEED)
    files = RunFiles(tmp_path)
    twin = _Twin(setup, files).providers
    files.close()
    with run_fakes_in_thread(seed=SEED) as cluster:
        for name in cluster.urls:
            httpx.put(cluster.url(name) + "/_control/faults", json=fast, timeout=5).raise_for_status()

        async def live(provider: str) -> list[tuple[Any, ...]]:
            async with httpx.AsyncClient() as http:
                client = make_client(provider, cluster.url(provider), "k", None, http)
                return [_summary(await client.call(REQUEST, 30.0, key))[:2] for key in KEYS]

        for provider in ("qwen", "claude", "openai"):
            got = asyncio.run(live(provider))
            want = [_summary(twin[provider].call(0.0, REQUEST, 30.0, key).result)[:2] for key in KEYS]
            assert got == want, provider
            assert len({g[0] for g in got}) >= 3, provider
