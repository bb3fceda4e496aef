"""Perform a gateway flow's effects in SimPy virtual time.

The counterpart of ``gateway/service/interpreter.py``: the same flows, the same
effects, another clock.  ``CallProvider`` goes to the twin's ``SimProvider``
(its delay is slept in virtual time, then its result is sent back), ``Sleep``
is a SimPy timeout, the cache is the gateway's own memory backend on the
twin's clock.  Each call gets a key — ``(request key, attempt number)`` — that
seeds its RNG, so a call's fate does not depend on the other requests in flight.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

import simpy

from gateway.core.effects import CacheGet, CacheSet, CallProvider, Flow, Sleep
from gateway.service.cache_backends import MemoryBackend

from .provider import SimProvider

__all__ = ["CALLS_PER_FLOW", "perform"]

#: call keys are ``flow_key * CALLS_PER_FLOW + n``; the attempt cap is far below it
CALLS_PER_FLOW = 64


def perform(
    env: simpy.Environment,
    flow: Flow,
    providers: Mapping[str, SimProvider],
    cache: MemoryBackend,
    flow_key: int,
) -> Generator[simpy.Event, Any, Any]:
    """A SimPy process body: runs ``flow`` to its end and returns its value."""
    result: Any = None
    calls = 0
    timeout = env.timeout
    send = flow.send
    while True:
        try:
            effect = send(result)
        except StopIteration as stop:
            return stop.value
        kind = type(effect)
        if kind is CacheGet:
            result = cache.get_now(effect.key)  # type: ignore[union-attr]
        elif kind is CallProvider:
            assert isinstance(effect, CallProvider)
            provider = providers[effect.provider]
            plan = provider.call(env.now, effect.request, effect.timeout_s, flow_key * CALLS_PER_FLOW + calls)
            calls += 1
            if plan.delay_s > 0:
                yield timeout(plan.delay_s)
            provider.finish(plan)
            result = plan.result
        elif kind is CacheSet:
            assert isinstance(effect, CacheSet)
            cache.set_now(effect.key, effect.value, effect.ttl_s)
            result = None
        elif kind is Sleep:
            assert isinstance(effect, Sleep)
            if effect.seconds > 0:
                yield timeout(effect.seconds)
            result = None
        else:  # pragma: no cover - a new effect type without an interpreter branch
            raise TypeError(f"unknown effect {effect!r}")
