"""Reading the gateway's request bodies: every bad input becomes a ``BadInput`` naming its field.

Kept apart from the handlers so that validation is plain functions over parsed
JSON, testable without HTTP.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from ..outcomes import ChatRequest, Message
from .http import Request

__all__ = ["MAX_BODY", "BadInput", "chat_request", "prompt_of", "read_json", "reference_date_of"]

MAX_BODY = 1 << 20          # 1 MiB: a prompt bigger than that is not an appointment request

_ROLES = ("system", "user", "assistant")   # a tuple: a role may be any JSON value, even unhashable
_decode = json.JSONDecoder().decode


class BadInput(Exception):
    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status, self.field, self.message = status, field, message


def read_json(request: Request) -> Any:
    """The request body as JSON; the router has already bounded its size."""
    if request.too_large:
        raise BadInput(413, "(body)", f"request body larger than {MAX_BODY} bytes")
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(400, "(body)", f"body is not UTF-8 (byte {exc.start})") from None
    try:
        return _decode(text)
    except ValueError as exc:
        raise BadInput(400, "(body)", f"body is not valid JSON: {exc}") from None


def prompt_of(body: Any, limit: int) -> str:
    if not isinstance(body, dict):
        raise BadInput(400, "(body)", "expected a JSON object with a prompt")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise BadInput(400, "prompt", "expected a non-empty string")
    if len(prompt) > limit:
        raise BadInput(413, "prompt", f"prompt has {len(prompt)} characters; the limit is {limit}")
    return prompt


def reference_date_of(body: dict[str, Any]) -> date:
    raw = body.get("reference_date")
    if raw is None:
        return date.today()
    if not isinstance(raw, str):
        raise BadInput(400, "reference_date", "expected a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadInput(400, "reference_date", f"expected a date as YYYY-MM-DD, got {raw!r}") from None


def chat_request(body: Any, limit: int) -> ChatRequest:
    """An OpenAI Chat Completions body as a ``ChatRequest``."""
    if not isinstance(body, dict):
        raise BadInput(400, "(body)", "expected a JSON object")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise BadInput(400, "messages", "expected a non-empty array of {role, content}")
    messages = []
    total = 0
    for i, m in enumerate(msgs):
        if type(m) is not dict:
            raise BadInput(400, f"messages[{i}].role", "expected system, user or assistant")
        role = m.get("role")
        if role not in _ROLES:
            raise BadInput(400, f"messages[{i}].role", "expected system, user or assistant")
        content = m.get("content")
        if type(content) is not str:
            if isinstance(content, list):  # OpenAI's content parts: keep the text ones
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
            if not isinstance(content, str):
                raise BadInput(400, f"messages[{i}].content", "expected a string")
        total += len(content)
        messages.append(Message(role, content))
    if total > limit:
        raise BadInput(413, "messages", f"messages have {total} characters; the limit is {limit}")
    max_tokens = body.get("max_tokens", body.get("max_completion_tokens", 500))
    if type(max_tokens) is not int or not 1 <= max_tokens <= 100_000:
        raise BadInput(400, "max_tokens", "expected an integer from 1 to 100000")
    temperature = body.get("temperature", 0.0)
    if type(temperature) not in (int, float) or not 0 <= temperature <= 2:
        raise BadInput(400, "temperature", "expected a number from 0 to 2")
    if body.get("stream"):
        raise BadInput(400, "stream", "streaming is not supported by the gateway's pass-through")
    model = body.get("model")
    return ChatRequest(tuple(messages), max_tokens, float(temperature),
                       model if isinstance(model, str) else None)
