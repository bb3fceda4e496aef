"""Honest back-pressure: why no provider answered a request, and when a client may come back.

Pure: no I/O, no clock (``now`` is passed in).  The request path notes, per provider,
what kept it from answering (``Blocker``); ``refusal`` turns those notes into the
outcome the client sees:

- **429** when rate limits are why nobody answered: some provider was rate-limited
  (its own 429, a breaker such 429s opened, or the gateway's queue for it) and every
  other one was refused by its breaker or never reached.  Peer gateways pass a
  provider's 429 on the same way;
- **503** when providers are down: open breakers, refused connections, 5xx, timeouts;
- ``retry_after_s``: the earliest instant at which a limit, a breaker or a provider's
  Retry-After admits a call again, from ``now`` (None when no instant is known: every
  breaker forced open by an operator, or a failure that waiting cannot cure).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from units.frozen_init import frozen_init
from units.retry_after import retry_after_seconds

from ..policy.breaker import BreakerState, CircuitBreaker

__all__ = ["NEVER", "Blocker", "Cause", "Refusal", "admits_at", "refusal", "retry_after_header"]

#: the admission time of a provider that no wait brings back (forced open, spent quota)
NEVER = math.inf


class Cause(StrEnum):
    RATE_LIMIT = "rate_limit"      # a provider's retryable 429 (or a breaker such 429s opened)
    QUEUE = "queue"                # the gateway's own rate-limit queue for it shed or deferred the call
    BREAKER = "breaker"            # its breaker refused the call
    FAILED = "failed"              # it was called and failed otherwise (5xx, timeout, connection, ...)
    CLIENT_ERROR = "client_error"  # a 4xx of the gateway's own making: no wait cures it


_LIMITS = frozenset({Cause.RATE_LIMIT, Cause.QUEUE})


@frozen_init   # one per provider that did not answer a call (``frozen_init``)
@dataclass(frozen=True, slots=True)
class Blocker:
    """What kept one provider from answering this request, and when it admits a call again."""

    cause: Cause
    admits_at: float


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int                    # 429 or 503
    retry_after_s: float | None    # seconds from the refusal; None when no time is known
    reason: str
    #: only the gateway's own queues held the call back (no provider said 429): load shedding
    shed: bool = False


def admits_at(breaker: CircuitBreaker, now: float) -> float:
    """When ``breaker`` lets a call through again, read without changing its state."""
    state = breaker.state(now)
    if state is BreakerState.OPEN:
        at = breaker.retry_at(now)
        return NEVER if at is None else at
    if state is BreakerState.FORCED_OPEN:
        return NEVER   # only an operator ends it
    # CLOSED, DISABLED, or HALF_OPEN (whose busy permits come back when the trials end)
    return now


def refusal(
    now: float,
    blockers: Mapping[str, Blocker],
    breakers: Mapping[str, CircuitBreaker],
    providers: Iterable[str],
    rate_limited: Collection[str] = (),
) -> Refusal:
    """The outcome for a request no provider answered, as seen at ``now``.

    ``rate_limited``: providers whose latest call (in any request) was a retryable 429; a breaker of
    theirs that refused this request was opened by rate limits, so it counts as one.
    """
    admit: dict[str, float] = {}
    causes: dict[str, Cause] = {}
    for p in providers:
        breaker_at = admits_at(breakers[p], now)
        b = blockers.get(p)
        if b is None:
            # never reached (attempt cap, deadline): only its breaker holds it back
            admit[p] = breaker_at
            if breaker_at > now:
                causes[p] = Cause.RATE_LIMIT if p in rate_limited else Cause.BREAKER
            continue
        # A failure may have tripped the breaker since: the later of the two admits.
        admit[p] = max(b.admits_at, breaker_at)
        causes[p] = Cause.RATE_LIMIT if b.cause is Cause.BREAKER and p in rate_limited else b.cause
    kinds = set(causes.values())
    earliest = min(admit.values(), default=NEVER)
    retry_after = None if earliest == NEVER else max(0.0, earliest - now)
    if Cause.CLIENT_ERROR in kinds:
        return Refusal(503, None, "a provider rejected the request the gateway built")
    if kinds & _LIMITS and Cause.FAILED not in kinds:
        limited = sorted(p for p, c in causes.items() if c in _LIMITS)
        return Refusal(429, retry_after, f"rate-limited: {', '.join(limited)}",
                       shed=Cause.RATE_LIMIT not in kinds)
    down = sorted(p for p, c in causes.items() if c not in _LIMITS)
    return Refusal(503, retry_after, f"unavailable: {', '.join(down) or 'no provider'}")


def retry_after_header(seconds: float) -> str:
    """A Retry-After value: whole seconds, rounded up, at least 1 (RFC 9110 delta-seconds)."""
    return str(retry_after_seconds(seconds))
