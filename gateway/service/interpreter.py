"""Perform a flow's effects with real I/O: httpx, Redis, ``asyncio.sleep``.

The only place in the live gateway that awaits.  A provider client that raises
something outside the typed hierarchy is turned into a ``BAD_RESPONSE`` failure:
whatever an upstream does, the request path gets a value, never an exception.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from ..core.effects import CacheGet, CacheSet, CallProvider, Flow, Sleep
from ..errors import ProviderError
from ..outcomes import Completion, FailureKind, ProviderFailure
from ..providers.base import ProviderClient
from .cache_backends import CacheBackend

__all__ = ["perform"]

log = logging.getLogger("llmdrill.gateway")


async def perform(flow: Flow, clients: Mapping[str, ProviderClient], cache: CacheBackend) -> Any:
    result: Any = None
    while True:
        try:
            effect = flow.send(result)
        except StopIteration as stop:
            return stop.value
        if isinstance(effect, CacheGet):
            result = cache.get_now(effect.key) if cache.synchronous else await cache.get(effect.key)
        elif isinstance(effect, CallProvider):
            result = await _call(clients, effect)
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


async def _call(clients: Mapping[str, ProviderClient], effect: CallProvider) -> Completion | ProviderFailure:
    client = clients[effect.provider]
    try:
        return await client.complete(effect.request, effect.timeout_s)
    except ProviderError as exc:
        return exc.failure
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a client bug must not become a 500 with a traceback
        log.warning("provider %s: unexpected %s", effect.provider, type(exc).__name__)
        return ProviderFailure(effect.provider, FailureKind.BAD_RESPONSE, f"unexpected {type(exc).__name__}")
