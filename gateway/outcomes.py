"""What a provider call can come back with, as plain values.

These are the results the sans-I/O request path receives for its
``CallProvider`` effect, whichever interpreter (asyncio or SimPy) performed it.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

PROVIDERS: tuple[str, ...] = ("qwen", "claude", "openai")


class FailureKind(StrEnum):
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"          # 429, retryable (rpm/tpm)
    QUOTA_EXHAUSTED = "quota_exhausted"    # 429 insufficient_quota / spend cap: permanent
    SERVER_ERROR = "server_error"          # 500, 502, 503
    OVERLOADED = "overloaded"              # 529
    CONNECTION_REFUSED = "connection_refused"
    CONNECTION_RESET = "connection_reset"
    BAD_RESPONSE = "bad_response"          # invalid JSON, wrong schema, wrong content-type
    CLIENT_ERROR = "client_error"          # other 4xx: permanent


#: Failures that a retry cannot fix.
PERMANENT_KINDS: frozenset[FailureKind] = frozenset(
    {FailureKind.QUOTA_EXHAUSTED, FailureKind.CLIENT_ERROR}
)

#: Failures that say the provider could not be reached at all.
CONNECTION_KINDS: frozenset[FailureKind] = frozenset(
    {FailureKind.CONNECTION_REFUSED, FailureKind.CONNECTION_RESET}
)


@dataclass(frozen=True, slots=True)
class RateLimitSnapshot:
    """A provider's own view of its quota, read from its response headers."""

    limit_requests: int | None = None
    remaining_requests: int | None = None
    reset_requests_s: float | None = None
    limit_tokens: int | None = None
    remaining_tokens: int | None = None
    reset_tokens_s: float | None = None


@dataclass(frozen=True, slots=True)
class ProviderFailure:
    provider: str
    kind: FailureKind
    message: str
    status: int | None = None
    retry_after_s: float | None = None
    rate_limits: RateLimitSnapshot | None = None

    @property
    def permanent(self) -> bool:
        return self.kind in PERMANENT_KINDS


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class Completion:
    provider: str
    model: str
    text: str
    usage: Usage = field(default_factory=Usage)
    finish_reason: str = "stop"
    rate_limits: RateLimitSnapshot | None = None


@dataclass(frozen=True, slots=True)
class Message:
    role: str      # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A provider-neutral chat completion request."""

    messages: tuple[Message, ...]
    max_tokens: int = 500
    temperature: float = 0.0
    model: str | None = None   # None: the provider client's configured model

    def estimated_tokens(self) -> int:
        """Tokens this request may consume, for token buckets (prompt ~ 4 chars/token)."""
        chars = 0
        for m in self.messages:   # a loop, not sum() of a generator: asked once per provider call
            chars += len(m.content)
        return chars // 4 + 4 * len(self.messages) + self.max_tokens
