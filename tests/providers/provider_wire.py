"""Shared wire shapes for the provider-client tests: one spec per provider (imported by name)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from gateway.outcomes import ChatRequest, Completion, Message
from gateway.providers import CLIENT_TYPES

BASE = "http://fake-provider.test:8000"
# A sentinel key: no message, repr or output may ever contain it.
KEY = "sk-SENTINEL-9f3c2b7e-do-not-leak"
NOW = datetime(2026, 1, 22, 10, 0, 0, tzinfo=UTC)

REQUEST = ChatRequest(
    messages=(
        Message("system", "llmdrill:parse-appointment/v1 reply JSON"),
        Message("user", "cita mañana 10am con Dr. Pérez"),
    ),
    max_tokens=120,
    temperature=0.0,
)


def openai_error(message: str, type_: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def anthropic_error(message: str, type_: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": type_, "message": message}, "request_id": "req_011"}


@dataclass(frozen=True)
class Spec:
    name: str
    path: str
    default_model: str
    ok_body: Callable[[str, int, int], dict[str, Any]]
    ratelimit_headers: dict[str, str]
    error_body: Callable[[str, str, str | None], dict[str, Any]]
    empty_body: dict[str, Any]

    @property
    def url(self) -> str:
        return BASE + self.path


def _openai_ok(text: str, prompt: int, completion: int) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "served-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def _anthropic_ok(text: str, prompt: int, completion: int) -> dict[str, Any]:
    half = len(text) // 2
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "served-model",
        # Two text blocks around a non-text block: the answer is the text blocks joined.
        "content": [
            {"type": "text", "text": text[:half]},
            {"type": "thinking", "thinking": "ignored"},
            {"type": "text", "text": text[half:]},
        ],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": prompt, "output_tokens": completion},
    }


OPENAI_LIMITS = {
    "x-ratelimit-limit-requests": "100",
    "x-ratelimit-remaining-requests": "99",
    "x-ratelimit-reset-requests": "600ms",
    "x-ratelimit-limit-tokens": "60000",
    "x-ratelimit-remaining-tokens": "59880",
    "x-ratelimit-reset-tokens": "6m0s",
}
ANTHROPIC_LIMITS = {
    "anthropic-ratelimit-requests-limit": "50",
    "anthropic-ratelimit-requests-remaining": "49",
    "anthropic-ratelimit-requests-reset": "2026-01-22T10:00:01Z",
    "anthropic-ratelimit-tokens-limit": "80000",
    "anthropic-ratelimit-tokens-remaining": "79000",
    "anthropic-ratelimit-tokens-reset": "2026-01-22T10:00:30.5Z",
}

OPENAI_LIKE_ERROR: Callable[[str, str, str | None], dict[str, Any]] = openai_error


def _anthropic_err(message: str, type_: str, code: str | None) -> dict[str, Any]:
    return anthropic_error(message, type_)


SPECS: dict[str, Spec] = {
    "openai": Spec(
        "openai",
        "/v1/chat/completions",
        "gpt-4o-mini",
        _openai_ok,
        OPENAI_LIMITS,
        openai_error,
        {"id": "x", "model": "m", "choices": []},
    ),
    "qwen": Spec(
        "qwen",
        "/compatible-mode/v1/chat/completions",
        "qwen-plus",
        _openai_ok,
        OPENAI_LIMITS,
        openai_error,
        {"id": "x", "model": "m", "choices": []},
    ),
    "claude": Spec(
        "claude",
        "/v1/messages",
        "claude-sonnet-4-5",
        _anthropic_ok,
        ANTHROPIC_LIMITS,
        _anthropic_err,
        {"type": "message", "role": "assistant", "content": [], "model": "m"},
    ),
}


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json", **(headers or {})},
    )


def call(
    name: str,
    request: ChatRequest = REQUEST,
    timeout_s: float = 5.0,
    *,
    model: str | None = None,
    now: datetime = NOW,
) -> Completion:
    """One ``complete`` through a fresh AsyncClient (respx must be active around it)."""

    async def go() -> Completion:
        async with httpx.AsyncClient() as http:
            cls = CLIENT_TYPES[name]
            client = (
                cls(BASE, KEY, http=http, utcnow=lambda: now)
                if model is None
                else cls(BASE, KEY, model, http=http, utcnow=lambda: now)
            )
            return await client.complete(request, timeout_s)

    return asyncio.run(go())


def assert_no_key(*texts: object) -> None:
    for text in texts:
        assert KEY not in str(text), f"API key leaked into {text!r}"
