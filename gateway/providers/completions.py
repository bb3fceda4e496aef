"""From a successful HTTP answer to a ``Completion``, or a ``BadResponse``.

Pure: no I/O, no clock. A 200 is not yet an answer: the body must be JSON of
the provider's schema, or the call failed as surely as a 500 did. Every
problem is named by its JSON path (``choices[0].message.content``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..errors import BadResponse
from ..outcomes import Completion, FailureKind, ProviderFailure, Usage
from .ratelimits import lower_headers, parse_ratelimit
from .redact import redact

__all__ = ["parse_anthropic_message", "parse_openai_completion"]

# Anthropic's stop reasons in the vocabulary the rest of the gateway uses (OpenAI's).
_ANTHROPIC_FINISH: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
}


class _Invalid(Exception):
    """Internal: a schema problem, turned into ``BadResponse`` at the boundary."""


def _bad(provider: str, status: int, message: str, secrets: Iterable[str | None]) -> BadResponse:
    failure = ProviderFailure(
        provider=provider, kind=FailureKind.BAD_RESPONSE, message=redact(message, secrets), status=status
    )
    return BadResponse(failure)


def _load_json(body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    ctype = lower_headers(headers).get("content-type", "")
    media = ctype.split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        snippet = " ".join(body[:200].decode("utf-8", errors="replace").split())[:80]
        raise _Invalid(f"content-type is {ctype or 'missing'!r}, not application/json (body: {snippet!r})")
    try:
        doc = json.loads(body)
    except UnicodeDecodeError as exc:
        raise _Invalid(f"body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise _Invalid(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (ValueError, RecursionError):
        raise _Invalid("invalid JSON") from None
    if not isinstance(doc, dict):
        raise _Invalid(f"body is a JSON {type(doc).__name__}, not an object")
    return doc


def _get(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], path: str) -> Any:
    if key not in obj:
        raise _Invalid(f"missing field {path}")
    value = obj[key]
    if isinstance(value, bool) and kind in (int, (int, float)):
        raise _Invalid(f"{path} is a boolean, expected {_kind_name(kind)}")
    if not isinstance(value, kind):
        got = "null" if value is None else type(value).__name__
        raise _Invalid(f"{path} is {got}, expected {_kind_name(kind)}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {dict: "object", list: "array", str: "string", int: "integer", float: "number"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _opt_str(obj: dict[str, Any], key: str, path: str) -> str | None:
    if obj.get(key) is None:
        return None
    return str(_get(obj, key, str, path))


def _tokens(usage: dict[str, Any], key: str, path: str) -> int:
    if usage.get(key) is None:
        return 0
    value = int(_get(usage, key, int, f"{path}.{key}"))
    if value < 0:
        raise _Invalid(f"{path}.{key} is negative ({value})")
    return value


def _usage(doc: dict[str, Any], prompt_key: str, completion_key: str) -> Usage:
    if doc.get("usage") is None:
        return Usage()
    usage = _get(doc, "usage", dict, "usage")
    return Usage(_tokens(usage, prompt_key, "usage"), _tokens(usage, completion_key, "usage"))


def _openai(provider: str, doc: dict[str, Any], default_model: str) -> Completion:
    choices = _get(doc, "choices", list, "choices")
    if not choices:
        raise _Invalid("choices is empty")
    first = choices[0]
    if not isinstance(first, dict):
        raise _Invalid(f"choices[0] is {type(first).__name__}, expected object")
    message = _get(first, "message", dict, "choices[0].message")
    text = _get(message, "content", str, "choices[0].message.content")
    return Completion(
        provider=provider,
        model=_opt_str(doc, "model", "model") or default_model,
        text=text,
        usage=_usage(doc, "prompt_tokens", "completion_tokens"),
        finish_reason=_opt_str(first, "finish_reason", "choices[0].finish_reason") or "stop",
    )


def _anthropic(provider: str, doc: dict[str, Any], default_model: str) -> Completion:
    if doc.get("type") not in (None, "message"):
        raise _Invalid(f"type is {doc.get('type')!r}, expected 'message'")
    blocks = _get(doc, "content", list, "content")
    texts: list[str] = []
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            raise _Invalid(f"content[{i}] is {type(block).__name__}, expected object")
        if block.get("type") == "text":
            texts.append(_get(block, "text", str, f"content[{i}].text"))
    if not texts:
        raise _Invalid("content has no text block")
    stop = _opt_str(doc, "stop_reason", "stop_reason")
    return Completion(
        provider=provider,
        model=_opt_str(doc, "model", "model") or default_model,
        text="".join(texts),
        usage=_usage(doc, "input_tokens", "output_tokens"),
        finish_reason=_ANTHROPIC_FINISH.get(stop, stop) if stop else "stop",
    )


def parse_openai_completion(
    provider: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    default_model: str = "",
    status: int = 200,
    secrets: Iterable[str | None] = (),
) -> Completion:
    """An OpenAI-shaped chat completion (OpenAI, DashScope compatible mode).

    Raises ``BadResponse`` on a wrong content-type, invalid JSON, missing or
    mistyped fields and empty ``choices``.
    """
    try:
        completion = _openai(provider, _load_json(body, headers), default_model)
    except _Invalid as exc:
        raise _bad(provider, status, f"HTTP {status}: {exc}", secrets) from None
    return _with_limits(completion, headers, None)


def parse_anthropic_message(
    provider: str,
    body: bytes,
    headers: Mapping[str, str],
    now_utc: datetime | None = None,
    *,
    default_model: str = "",
    status: int = 200,
    secrets: Iterable[str | None] = (),
) -> Completion:
    """An Anthropic Messages API answer: the text is every ``text`` block, concatenated.

    ``now_utc`` turns the RFC 3339 rate-limit resets into seconds.
    """
    try:
        completion = _anthropic(provider, _load_json(body, headers), default_model)
    except _Invalid as exc:
        raise _bad(provider, status, f"HTTP {status}: {exc}", secrets) from None
    return _with_limits(completion, headers, now_utc)


def _with_limits(completion: Completion, headers: Mapping[str, str], now_utc: datetime | None) -> Completion:
    limits = parse_ratelimit(headers, now_utc)
    if limits is None:
        return completion
    return replace(completion, rate_limits=limits)
