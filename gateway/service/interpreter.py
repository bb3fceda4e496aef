"""Perform a flow's effects with real I/O: httpx, Redis, ``asyncio.sleep``.

The only place in the live gateway that awaits.  Provider clients answer with a
value (``Completion | ProviderFailure``); one that raises all the same has a bug,
and its call becomes a ``BAD_RESPONSE`` failure: whatever an upstream or a client
does, the request path gets a value, never an exception.

With ``call_keys`` on (``harness.call_keys``), the n-th provider call of a flow
for a request with an id goes out with ``call_key(request_id, n)``: the key the
twin's interpreter (``sim/interpreter.py``) gives the same call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from ..core.call_key import call_key
from ..core.effects import CacheGet, CacheSet, CallProvider, Flow, Sleep
from ..outcomes import Completion, FailureKind, ProviderFailure
from ..providers.base import ProviderClient
from .cache_backends import CacheBackend

__all__ = ["perform"]

log = logging.getLogger("llmdrill.gateway")


async def perform(
    flow: Flow, clients: Mapping[str, ProviderClient], cache: CacheBackend, call_keys: bool = False
) -> Any:
    result: Any = None
    calls = 0   # the flow's CallProvider effects so far: the n of call_key
    while True:
        try:
            effect = flow.send(result)
        except StopIteration as stop:
            return stop.value
        if isinstance(effect, CacheGet):
            result = cache.get_now(effect.key) if cache.synchronous else await cache.get(effect.key)
        elif isinstance(effect, CallProvider):
            key = call_key(effect.request_id, calls) if call_keys and effect.request_id is not None else None
            calls += 1
            result = await _call(clients, effect, key)
        elif isinstance(effect, CacheSet):
            if cache.synchronous:
                cache.set_now(effect.key, effect.value, effect.ttl_s)
            else:
                await cache.set(effect.key, effect.value, effect.ttl_s)
            result = None
        elif isinstance(effect, Sleep):
            await asyncio.sleep(effect.seconds)
            result = None
        else:  # pragma: no cover - a new effect type without an interpreter branch
            raise TypeError(f"unknown effect {effect!r}")


async def _call(
    clients: Mapping[str, ProviderClient], effect: CallProvider, key: int | None
) -> Completion | ProviderFailure:
    client = clients[effect.provider]
    try:
        if key is None:   # the plain two-argument call: a harness feature must not reach other clients
            return await client.call(effect.request, effect.timeout_s)
        return await client.call(effect.request, effect.timeout_s, key)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a client bug must not become a 500 with a traceback
        log.warning("provider %s: unexpected %s", effect.provider, type(exc).__name__)
        return ProviderFailure(effect.provider, FailureKind.BAD_RESPONSE, f"unexpected {type(exc).__name__}")
