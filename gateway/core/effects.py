"""The effects the request path asks its interpreter to perform.

The request path is a generator (sans-I/O, like h11): it yields one of these and
is resumed with the effect's result.  The asyncio shell performs them with httpx,
Redis and ``asyncio.sleep``; the SimPy twin performs them in virtual time.

=============  =============================================================
effect         result sent back
=============  =============================================================
CallProvider   ``Completion`` or ``ProviderFailure`` (never an exception)
Sleep          ``None`` once the time has passed
CacheGet       the cached string or ``None``
CacheSet       ``None``
=============  =============================================================
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, TypeAlias

from units.frozen_init import frozen_init

from ..outcomes import ChatRequest, Completion, ProviderFailure


# One or more of these a request: each built with ``frozen_init``'s cheaper __init__.
@frozen_init
@dataclass(frozen=True, slots=True)
class CallProvider:
    provider: str
    request: ChatRequest
    timeout_s: float
    probe: bool = False
    #: the user request's id, when it came with one: the interpreter keys the call's fate by it
    request_id: int | None = None


@frozen_init
@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


@frozen_init
@dataclass(frozen=True, slots=True)
class CacheGet:
    key: str


@frozen_init
@dataclass(frozen=True, slots=True)
class CacheSet:
    key: str
    value: str
    ttl_s: float


Effect: TypeAlias = CallProvider | Sleep | CacheGet | CacheSet
CallResult: TypeAlias = Completion | ProviderFailure

#: A request-path process: yields effects, receives their results, returns T.
Flow: TypeAlias = Generator[Effect, Any, Any]
