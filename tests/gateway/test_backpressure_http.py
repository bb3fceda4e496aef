"""Honest back-pressure through the real ASGI app: the status and Retry-After reach the client.

Before issue 7 item 5, a provider answering 429 with ``retry-after: 2`` reached the client as a 503
with no Retry-After.
"""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.outcomes import ChatRequest, FailureKind, ProviderFailure

from .conftest import parse_body, serve

ONLY_QWEN = {"qwen": {"rpm": None, "tpm": None}, "claude": {"enabled": False}, "openai": {"enabled": False}}
CHAT = {"messages": [{"role": "user", "content": "hola"}]}


def rate_limited(retry_after: float) -> Any:
    def behaviour(name: str, request: ChatRequest) -> ProviderFailure:
        return ProviderFailure(name, FailureKind.RATE_LIMITED, "Rate limit reached", 429, retry_after)
    return behaviour


def test_a_provider_429_reaches_the_client_as_429_with_its_retry_after() -> None:
    overrides = {"providers": ONLY_QWEN, "cache": {"enabled": False}, "retries": {"max": 0},
                 "fallback": {"enabled": False}, "degraded": {"enabled": True}}

    async def go() -> None:
        async with serve(overrides, behaviours={"qwen": rate_limited(2.0)}) as (client, _, clients):
            r = await client.post("/v1/chat/completions", json=CHAT)
            assert r.status_code == 429, r.text
            assert r.headers["retry-after"] == "2"
            assert r.json()["error"]["code"] == "rate_limit_exceeded"
            r = await client.post("/v1/appointments/parse", json=parse_body())
            assert r.status_code == 429, r.text
            assert r.headers["retry-after"] == "2"
            assert len(clients["qwen"].calls) == 2
    asyncio.run(go())


def test_every_provider_down_is_503_with_the_breakers_remaining_open_time() -> None:
    overrides = {"cache": {"enabled": False}, "retries": {"max": 0}, "fallback": {"enabled": False},
                 "breaker": {"failure_threshold": 1, "recovery_timeout": "30s"}, "degraded": {"enabled": True}}
    down = {n: (lambda name, req: FailureKind.SERVER_ERROR) for n in ("qwen", "claude", "openai")}

    async def go() -> None:
        async with serve(overrides, behaviours=down) as (client, gw, _):
            r = await client.post("/v1/chat/completions", json=CHAT)
            assert r.status_code == 503
            assert all(str(b.state(gw.clock.now())) == "open" for b in gw.stack.breakers.values())
            r = await client.post("/v1/chat/completions", json=CHAT)
            assert r.status_code == 503 and r.json()["error"]["type"] == "upstream_unavailable"
            assert 29 <= int(r.headers["retry-after"]) <= 30
            r = await client.post("/v1/appointments/parse", json=parse_body())
            assert r.status_code == 503 and 29 <= int(r.headers["retry-after"]) <= 30
    asyncio.run(go())
