"""From an unsuccessful HTTP answer to the ``ProviderFailure`` the policy core sees.

Pure: no I/O, no clock (``now_utc`` is passed in), so the SimPy twin maps the
fault engine's statuses exactly as the live clients do. It never raises on what
a server sends: any status, any headers, any bytes give a failure value.

The header parsers and the success-body parsers live beside this module
(``ratelimits``, ``completions``) and are re-exported here, so this is the one
import for everything that turns provider bytes into values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..outcomes import FailureKind, ProviderFailure
from .completions import parse_anthropic_message, parse_openai_completion
from .ratelimits import (
    lower_headers,
    parse_anthropic_ratelimit,
    parse_go_duration,
    parse_openai_ratelimit,
    parse_ratelimit,
    parse_retry_after,
)
from .redact import redact

__all__ = [
    "ANTHROPIC_PROVIDER_NAMES",
    "ErrorBody",
    "failure_from_response",
    "kind_for_status",
    "parse_anthropic_message",
    "parse_anthropic_ratelimit",
    "parse_error_body",
    "parse_go_duration",
    "parse_openai_completion",
    "parse_openai_ratelimit",
    "parse_ratelimit",
    "parse_retry_after",
]

#: Provider names whose error bodies follow Anthropic's envelope even if a
#: proxy stripped the top-level ``"type": "error"``.
ANTHROPIC_PROVIDER_NAMES: frozenset[str] = frozenset({"claude", "anthropic"})

# Anthropic's spend-cap 429: "You have reached your specified API usage limits",
# "workspace spend limit", "monthly spending cap", "credit balance ...".
_SPEND_LIMIT = re.compile(
    r"\b(spend(ing)?|usage|billing|credit)\b[\w\s-]{0,24}?\b(limits?|caps?|balance)\b", re.IGNORECASE
)
_QUOTA_CODES = frozenset({"insufficient_quota"})
_MAX_MESSAGE = 300
_SERVER_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class ErrorBody:
    """What a provider's error envelope says, whichever of the two shapes it used."""

    message: str | None = None
    type: str | None = None
    code: str | None = None
    anthropic: bool = False   # top-level {"type": "error", ...}


def kind_for_status(status: int) -> FailureKind:
    """The failure a status means before its body is read (429's quota split needs the body)."""
    if status == 429:
        return FailureKind.RATE_LIMITED
    if status == 408:
        return FailureKind.TIMEOUT
    if status == 529:
        return FailureKind.OVERLOADED
    if status in _SERVER_STATUSES or 500 <= status <= 599:
        # 501/505/52x from edge proxies are still the far side failing, not us.
        return FailureKind.SERVER_ERROR
    if 400 <= status <= 499:
        return FailureKind.CLIENT_ERROR
    # 1xx/3xx/out-of-range: not an answer a client can use.
    return FailureKind.BAD_RESPONSE


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def parse_error_body(body: bytes) -> ErrorBody:
    """The error envelope, whichever provider wrote it.

    OpenAI ``{"error": {message, type, code}}``, Anthropic
    ``{"type": "error", "error": {type, message}}``, DashScope's native
    ``{"code", "message"}``. Anything else is an empty ``ErrorBody``.
    """
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return ErrorBody()
    if not isinstance(doc, dict):
        return ErrorBody()
    anthropic = doc.get("type") == "error"
    err = doc.get("error")
    if isinstance(err, dict):
        return ErrorBody(
            message=_text(err.get("message")),
            type=_text(err.get("type")),
            code=_text(err.get("code")),
            anthropic=anthropic,
        )
    if isinstance(err, str):  # Toxiproxy-style / ad hoc {"error": "..."}
        return ErrorBody(message=err, anthropic=anthropic)
    return ErrorBody(message=_text(doc.get("message")), code=_text(doc.get("code")), anthropic=anthropic)


def _snippet(body: bytes, secrets: tuple[str | None, ...]) -> str:
    # Redact the whole text before cutting it, so no prefix of a key survives the cut.
    text = " ".join(redact(body.decode("utf-8", errors="replace"), secrets).split())
    return text[:120] or "empty body"


def _describe(status: int, err: ErrorBody, body: bytes, secrets: tuple[str | None, ...]) -> str:
    if err.message:
        detail = err.message
        tags = ", ".join(t for t in (err.type, err.code) if t)
        if tags:
            detail = f"{detail} [{tags}]"
    elif body:
        detail = f"non-JSON or unrecognised error body: {_snippet(body, secrets)}"
    else:
        detail = "empty body"
    return f"HTTP {status}: {detail}"


def _is_quota(provider: str, err: ErrorBody, has_retry_after: bool) -> bool:
    if err.code in _QUOTA_CODES or err.type in _QUOTA_CODES:
        return True
    anthropic = err.anthropic or provider.lower() in ANTHROPIC_PROVIDER_NAMES
    # FACTS: a spend-limit 429 carries no retry-after; one with a hint will pass.
    return anthropic and not has_retry_after and bool(err.message and _SPEND_LIMIT.search(err.message))


def failure_from_response(
    provider: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    now_utc: datetime | None,
    *,
    secrets: Iterable[str | None] = (),
) -> ProviderFailure:
    """Map a non-2xx answer to a failure; ``secrets`` (API keys) are scrubbed from the message."""
    err = parse_error_body(body)
    h = lower_headers(headers)
    retry_after = parse_retry_after(h, now_utc)
    has_hint = "retry-after" in h or "retry-after-ms" in h
    kind = kind_for_status(status)
    if kind is FailureKind.RATE_LIMITED and _is_quota(provider, err, has_hint):
        kind = FailureKind.QUOTA_EXHAUSTED
    secret_list = tuple(secrets)
    message = redact(_describe(status, err, body, secret_list), secret_list)
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 1] + "…"
    return ProviderFailure(
        provider=provider,
        kind=kind,
        message=message,
        status=status,
        # Waiting does not cure a permanent failure: no hint to mislead a retry loop.
        retry_after_s=None if kind is FailureKind.QUOTA_EXHAUSTED else retry_after,
        rate_limits=parse_ratelimit(h, now_utc),
    )
