"""Reading a provider's quota and back-off hints from its response headers.

Pure: no I/O, no clock. Wall-clock instants (Anthropic's RFC 3339 resets, an
HTTP-date ``retry-after``) are turned into seconds against the ``now_utc`` the
caller passes in. A malformed header is treated as absent rather than raised:
a provider's odd header must never turn a good answer into a failure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from ..outcomes import RateLimitSnapshot

__all__ = [
    "lower_headers",
    "parse_anthropic_ratelimit",
    "parse_go_duration",
    "parse_openai_ratelimit",
    "parse_ratelimit",
    "parse_retry_after",
]

_UNIT_SECONDS: dict[str, float] = {
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 1e-3,
    "us": 1e-6,
    "µs": 1e-6,  # Go prints the micro sign
    "μs": 1e-6,  # and some servers the Greek mu
    "ns": 1e-9,
}
# "ms" must be tried before "m" and "s"; alternation order does it.
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ms|us|µs|μs|ns|h|m|s)")

# Header families; OpenAI's names are shared by DashScope's compatible mode.
_OPENAI_PREFIX = "x-ratelimit-"
_ANTHROPIC_PREFIX = "anthropic-ratelimit-"


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names are case-insensitive; every lookup here goes through this."""
    return {str(k).lower(): str(v) for k, v in headers.items()}


def parse_go_duration(text: str) -> float:
    """Seconds in an OpenAI reset header: Go durations such as ``12ms``, ``6m0s``, ``0.5s``.

    A bare number is read as seconds, which some compatible servers send.
    Raises ``ValueError`` naming the text when it is not a duration.
    """
    s = text.strip()
    if not s:
        raise ValueError("empty duration")
    try:
        bare = float(s)
    except ValueError:
        pass
    else:
        if math.isfinite(bare) and bare >= 0:
            return bare
        raise ValueError(f"duration {text!r} is not a non-negative finite number")
    total = 0.0
    pos = 0
    for match in _DURATION_PART.finditer(s):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(s) or pos == 0:
        raise ValueError(f"duration {text!r} is not of the form 1h2m3s / 12ms / 0.5s")
    return total


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        n = int(value.strip())
    except ValueError:
        return None
    return n if n >= 0 else None


def _duration(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_go_duration(value)
    except ValueError:
        return None


def _seconds_until(value: str | None, now_utc: datetime | None) -> float | None:
    if value is None or now_utc is None:
        return None
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(0.0, (at - _aware(now_utc)).total_seconds())


def _aware(now_utc: datetime) -> datetime:
    return now_utc if now_utc.tzinfo is not None else now_utc.replace(tzinfo=UTC)


def parse_openai_ratelimit(headers: Mapping[str, str]) -> RateLimitSnapshot:
    """OpenAI / DashScope ``x-ratelimit-{limit,remaining,reset}-{requests,tokens}``."""
    h = lower_headers(headers)
    return RateLimitSnapshot(
        limit_requests=_int(h.get("x-ratelimit-limit-requests")),
        remaining_requests=_int(h.get("x-ratelimit-remaining-requests")),
        reset_requests_s=_duration(h.get("x-ratelimit-reset-requests")),
        limit_tokens=_int(h.get("x-ratelimit-limit-tokens")),
        remaining_tokens=_int(h.get("x-ratelimit-remaining-tokens")),
        reset_tokens_s=_duration(h.get("x-ratelimit-reset-tokens")),
    )


def parse_anthropic_ratelimit(headers: Mapping[str, str], now_utc: datetime | None) -> RateLimitSnapshot:
    """Anthropic ``anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}``.

    ``tokens-*`` is the most restrictive token limit in effect; when a server
    sends only the input/output split, the input-token figures stand in.
    Resets are RFC 3339 instants, turned into seconds from ``now_utc``.
    """
    h = lower_headers(headers)

    def tok(field: str) -> str | None:
        value = h.get(f"anthropic-ratelimit-tokens-{field}")
        return value if value is not None else h.get(f"anthropic-ratelimit-input-tokens-{field}")

    return RateLimitSnapshot(
        limit_requests=_int(h.get("anthropic-ratelimit-requests-limit")),
        remaining_requests=_int(h.get("anthropic-ratelimit-requests-remaining")),
        reset_requests_s=_seconds_until(h.get("anthropic-ratelimit-requests-reset"), now_utc),
        limit_tokens=_int(tok("limit")),
        remaining_tokens=_int(tok("remaining")),
        reset_tokens_s=_seconds_until(tok("reset"), now_utc),
    )


def parse_ratelimit(headers: Mapping[str, str], now_utc: datetime | None) -> RateLimitSnapshot | None:
    """Whichever header family is present, or None when the response carries neither."""
    names = lower_headers(headers).keys()
    if any(n.startswith(_ANTHROPIC_PREFIX) for n in names):
        return parse_anthropic_ratelimit(headers, now_utc)
    if any(n.startswith(_OPENAI_PREFIX) for n in names):
        return parse_openai_ratelimit(headers)
    return None


def parse_retry_after(headers: Mapping[str, str], now_utc: datetime | None) -> float | None:
    """Seconds to wait: ``retry-after-ms`` first (finer), then ``retry-after`` (seconds or HTTP-date).

    An HTTP-date needs ``now_utc``; without it the hint is unknown (None).
    A date in the past means "now" (0 s). Garbage, negatives and NaN are None.
    """
    h = lower_headers(headers)
    ms = h.get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms.strip())
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value / 1000.0
    raw = h.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    if now_utc is None:
        return None
    try:
        at = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(0.0, (at - _aware(now_utc)).total_seconds())
