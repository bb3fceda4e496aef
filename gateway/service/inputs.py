"""Reading the gateway's request bodies: every bad input becomes a ``BadInput`` naming its field.

Kept apart from the handlers so that validation is plain functions over parsed
JSON, testable without HTTP.  Each function checks the whole body before the
caller acts on any of it, so a refused request changes nothing.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from ..core.call_key import REQUEST_ID_HEADER, parse_request_id
from ..outcomes import ChatRequest, Message
from .http import Request

__all__ = [
    "MAX_BODY",
    "MAX_DEPTH",
    "MAX_REFERENCE_DATE",
    "MIN_REFERENCE_DATE",
    "BadInput",
    "chat_request",
    "prompt_of",
    "read_json",
    "reference_date_of",
    "request_id_of",
    "text_of",
]

MAX_BODY = 1 << 20          # 1 MiB: a prompt bigger than that is not an appointment request
#: deeper JSON is refused before decoding: the decoder recurses once per level
MAX_DEPTH = 64
#: a reference date leaves room for every expression the resolver knows ("next Monday": +7 days, a
#: day-month expression: up to 8 years ahead) inside the calendar ``datetime.date`` can represent
MIN_REFERENCE_DATE = date(1, 1, 1)
MAX_REFERENCE_DATE = date(9990, 12, 31)

_ROLES = ("system", "user", "assistant")   # a tuple: a role may be any JSON value, even unhashable
_PARSE_FIELDS = ("prompt", "reference_date", "prompt_id")
_decode = json.JSONDecoder().decode
# Strings first, so that brackets inside them are skipped; then the brackets that nest.
_NESTING = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]', re.DOTALL)


class BadInput(Exception):
    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status, self.field, self.message = status, field, message


_REQUEST_ID = REQUEST_ID_HEADER.encode("ascii")


def request_id_of(request: Request) -> int | None:
    """The harness's request id (``x-llmdrill-request-id``), None when the client sent none.

    A malformed one is a 400 naming the header, not ignored: only llmdrill's load generator sends it,
    and a run whose ids were silently dropped could no longer be compared call for call with the twin.
    """
    text = request.header(_REQUEST_ID)
    if text is None:
        return None
    try:
        return parse_request_id(text)
    except ValueError as exc:
        raise BadInput(400, REQUEST_ID_HEADER, str(exc)) from None


def read_json(request: Request) -> Any:
    """The request body as JSON; the router has already bounded its size."""
    if request.too_large:
        raise BadInput(413, "(body)", f"request body larger than {MAX_BODY} bytes")
    body = request.body
    _check_depth(body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(400, "(body)", f"body is not UTF-8 (byte {exc.start})") from None
    try:
        return _decode(text)
    except RecursionError:   # unreachable after _check_depth; kept so no body can become a 500
        raise BadInput(400, "(body)", f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise BadInput(400, "(body)", f"body is not valid JSON: {exc}") from None


def _check_depth(body: bytes) -> None:
    # Counting brackets is one C pass; only a body with many of them is scanned for real.
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return
    depth = 0
    for m in _NESTING.finditer(body):
        tok = m.group()
        if tok in (b"[", b"{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise BadInput(400, "(body)", f"JSON nested deeper than {MAX_DEPTH} levels "
                                              f"(byte {m.start()})")
        elif tok in (b"]", b"}"):
            depth -= 1


def text_of(value: object, field: str) -> str:
    """``value`` as a string that can be sent on: a JSON ``\\ud800`` escape decodes to a lone
    surrogate, which no UTF-8 encoder (the cache key's hash, the provider call) accepts."""
    if not isinstance(value, str):
        raise BadInput(400, field, f"expected a string, got {_json_type(value)}")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise BadInput(400, field, f"contains a lone surrogate (\\u{ord(value[exc.start]):04x}) at "
                                       f"character {exc.start}; send valid Unicode") from None
    return value


def prompt_of(body: Any, limit: int) -> str:
    if not isinstance(body, dict):
        raise BadInput(400, "(body)", f"expected a JSON object with a prompt, got {_json_type(body)}")
    for key in body:
        if key not in _PARSE_FIELDS:
            raise BadInput(400, key, f"unknown field; expected one of {list(_PARSE_FIELDS)}")
    if "prompt" not in body:
        raise BadInput(400, "prompt", "missing; expected a non-empty string")
    prompt = text_of(body["prompt"], "prompt")
    if not prompt.strip():
        raise BadInput(400, "prompt", "expected a non-empty string")
    if len(prompt) > limit:
        raise BadInput(413, "prompt", f"prompt has {len(prompt)} characters; the limit is {limit}")
    if body.get("prompt_id") is not None:
        text_of(body["prompt_id"], "prompt_id")
    return prompt


def reference_date_of(body: dict[str, Any]) -> date:
    raw = body.get("reference_date")
    if raw is None:
        return date.today()
    if not isinstance(raw, str):
        raise BadInput(400, "reference_date", f"expected a date as YYYY-MM-DD, got {_json_type(raw)}")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadInput(400, "reference_date", f"expected a date as YYYY-MM-DD, got {raw!r}") from None
    if not MIN_REFERENCE_DATE <= day <= MAX_REFERENCE_DATE:
        raise BadInput(400, "reference_date", f"{raw} is out of range; expected a date from "
                                              f"{MIN_REFERENCE_DATE} to {MAX_REFERENCE_DATE}")
    return day


def _content_of(content: object, where: str) -> str:
    if type(content) is str:
        return text_of(content, where)
    if not isinstance(content, list):
        raise BadInput(400, where, f"expected a string or an array of text parts, got {_json_type(content)}")
    texts = []
    for j, part in enumerate(content):   # OpenAI's content parts
        at = f"{where}[{j}]"
        if not isinstance(part, dict):
            raise BadInput(400, at, f"expected a content part {{type, text}}, got {_json_type(part)}")
        if part.get("type", "text") != "text":
            raise BadInput(400, f"{at}.type", "only text parts are supported by the gateway's pass-through")
        texts.append(text_of(part.get("text"), f"{at}.text"))
    return "".join(texts)


def chat_request(body: Any, limit: int) -> ChatRequest:
    """An OpenAI Chat Completions body as a ``ChatRequest``."""
    if not isinstance(body, dict):
        raise BadInput(400, "(body)", f"expected a JSON object, got {_json_type(body)}")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise BadInput(400, "messages", "expected a non-empty array of {role, content}")
    messages = []
    total = 0
    for i, m in enumerate(msgs):
        if type(m) is not dict:
            raise BadInput(400, f"messages[{i}]", f"expected an object {{role, content}}, got {_json_type(m)}")
        role = m.get("role")
        if role not in _ROLES:
            raise BadInput(400, f"messages[{i}].role", "expected system, user or assistant")
        content = _content_of(m.get("content"), f"messages[{i}].content")
        total += len(content)
        messages.append(Message(role, content))
    if total > limit:
        raise BadInput(413, "messages", f"messages have {total} characters; the limit is {limit}")
    tokens_field = "max_tokens" if "max_tokens" in body else "max_completion_tokens"
    max_tokens = body.get(tokens_field, 500)
    if type(max_tokens) is not int or not 1 <= max_tokens <= 100_000:
        raise BadInput(400, tokens_field, "expected an integer from 1 to 100000")
    temperature = body.get("temperature", 0.0)
    if type(temperature) not in (int, float) or not 0 <= temperature <= 2:
        raise BadInput(400, "temperature", "expected a number from 0 to 2")
    stream = body.get("stream", False)
    if type(stream) is not bool and stream is not None:
        raise BadInput(400, "stream", f"expected true or false, got {_json_type(stream)}")
    if stream:
        raise BadInput(400, "stream", "streaming is not supported by the gateway's pass-through")
    model = body.get("model")
    if model is not None:
        text_of(model, "model")
    return ChatRequest(tuple(messages), max_tokens, float(temperature), model)


def _json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
