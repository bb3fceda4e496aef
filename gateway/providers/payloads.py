"""Provider-neutral ``ChatRequest`` → each provider's JSON request body.

Pure. A request the provider would reject for its shape is refused here with a
``ValueError`` naming the field, before any network I/O: that is a bug in the
caller, not a provider failure to retry or fail over.
"""

from __future__ import annotations

import math
from typing import Any

from ..outcomes import ChatRequest

__all__ = ["ROLES", "anthropic_messages_body", "check_request", "openai_chat_body"]

ROLES: frozenset[str] = frozenset({"system", "user", "assistant"})


def check_request(request: ChatRequest) -> None:
    """Raise ``ValueError`` naming the first field of ``request`` no provider would accept."""
    if not request.messages:
        raise ValueError("ChatRequest.messages is empty: a chat needs at least one message")
    for i, message in enumerate(request.messages):
        if message.role not in ROLES:
            raise ValueError(
                f"ChatRequest.messages[{i}].role is {message.role!r}; expected one of {sorted(ROLES)}"
            )
        if not isinstance(message.content, str):
            raise ValueError(f"ChatRequest.messages[{i}].content must be a string")
    tokens = request.max_tokens
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 1:
        raise ValueError(f"ChatRequest.max_tokens must be a positive integer, got {request.max_tokens!r}")
    if not math.isfinite(request.temperature) or not 0.0 <= request.temperature <= 2.0:
        raise ValueError(f"ChatRequest.temperature must be within [0, 2], got {request.temperature!r}")
    if all(m.role == "system" for m in request.messages):
        raise ValueError("ChatRequest.messages has only system messages: add a user message")


def openai_chat_body(request: ChatRequest, model: str) -> dict[str, Any]:
    """Chat Completions body (also DashScope's OpenAI-compatible mode)."""
    check_request(request)
    return {
        "model": request.model or model,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
    }


def anthropic_messages_body(request: ChatRequest, model: str) -> dict[str, Any]:
    """Messages API body: system messages move to the top-level ``system`` field."""
    check_request(request)
    system = "\n\n".join(m.content for m in request.messages if m.role == "system")
    body: dict[str, Any] = {
        "model": request.model or model,
        "max_tokens": request.max_tokens,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages if m.role != "system"],
        "temperature": request.temperature,
    }
    if system:
        body["system"] = system
    return body
