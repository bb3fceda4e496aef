"""Helpers for gateway service tests: scripted provider clients on the ProviderClient seam.

A ``ScriptedClient`` is a plain function turned into a provider, the way httpx's
MockTransport turns a function into a server: the tests decide, per call, what
the provider answers.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from gateway.config import load_config
from gateway.outcomes import ChatRequest, Completion, FailureKind, ProviderFailure, Usage
from gateway.service.app import Gateway, create_app

GOOD = {"contacto": "Dr. Pérez", "fecha": "mañana", "hora": "10am", "lugar": None, "confidence": 0.92}

Behaviour = Callable[[str, ChatRequest], Completion | FailureKind | ProviderFailure]


def answer(provider: str, request: ChatRequest) -> Completion:
    system = request.messages[0].content if request.messages else ""
    text = json.dumps(GOOD, ensure_ascii=False) if "parse-appointment" in system else "Cita confirmada."
    return Completion(provider, f"{provider}-model", text, Usage(30, 20))


class ScriptedClient:
    def __init__(self, name: str, behaviour: Behaviour | None = None) -> None:
        self.name = name
        self.model = f"{name}-model"
        self.behaviour = behaviour or answer
        self.calls: list[ChatRequest] = []
        #: the call key each call came with (None: the gateway sent none)
        self.keys: list[int | None] = []

    async def call(
        self, request: ChatRequest, timeout_s: float, call_key: int | None = None
    ) -> Completion | ProviderFailure:
        self.calls.append(request)
        self.keys.append(call_key)
        out = self.behaviour(self.name, request)
        if isinstance(out, FailureKind):
            status = {FailureKind.SERVER_ERROR: 500, FailureKind.RATE_LIMITED: 429,
                      FailureKind.OVERLOADED: 529}.get(out)
            out = ProviderFailure(self.name, out, "scripted failure", status)
        return out


def failing(kind: FailureKind) -> Behaviour:
    return lambda name, req: kind


@asynccontextmanager
async def serve(overrides: dict[str, Any] | None = None,
                behaviours: dict[str, Behaviour] | None = None,
                **gateway_kwargs: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Gateway, dict[str, ScriptedClient]]]:
    config = load_config(overrides=overrides or {}, environ={})
    clients = {n: ScriptedClient(n, (behaviours or {}).get(n)) for n in ("qwen", "claude", "openai")}
    gw = Gateway(config, clients=clients, **gateway_kwargs)
    app = create_app(gw)
    async with gw.lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield client, gw, clients


def parse_body(prompt: str = "cita mañana 10am con Dr. Pérez") -> dict[str, str]:
    return {"prompt": prompt, "reference_date": "2026-01-22"}


