"""Perform a gateway flow's effects in SimPy virtual time.

The counterpart of ``gateway/service/interpreter.py``: the same flows, the same
effects, another clock.  ``CallProvider`` goes to the twin's ``SimProvider``
(its delay is slept in virtual time, then its result is sent back), ``Sleep``
is a SimPy timeout, the cache is the gateway's own memory backend on the
twin's clock.  Each call gets a key — ``(request key, attempt number)`` — that
seeds its RNG, so a call's fate does not depend on the other requests in flight.
``start`` runs such a body as SimPy would run it as a process, without one.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from functools import partial
from typing import Any

import simpy

from gateway.core.call_key import CALLS_PER_REQUEST, call_key
from gateway.core.effects import CacheGet, CacheSet, CallProvider, Flow, Sleep
from gateway.service.cache_backends import MemoryBackend

from .provider import SimProvider

__all__ = ["CALLS_PER_FLOW", "perform", "start"]

#: call keys are ``call_key(flow_key, n)`` = ``flow_key * CALLS_PER_FLOW + n``: the live gateway's
#: ``x-llmdrill-call-key`` for the same request id and call (``gateway/core/call_key.py``)
CALLS_PER_FLOW = CALLS_PER_REQUEST


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
            plan = provider.call(env.now, effect.request, effect.timeout_s, call_key(flow_key, calls))
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


def start(env: simpy.Environment, body: Generator[simpy.Event, Any, Any]) -> None:
    """``env.process(body)`` without the process: its first step now, then each step as its event fires.

    What a SimPy ``Process`` does for a body that nobody waits for, with less: it resumes the body from
    the callback of the event the body yielded, sending the event's value (throwing its exception if it
    failed), exactly where ``Process._resume`` would.  Left out are the process object, its start event
    (urgent, at once: nothing runs between, so running the first step now is the same run, event for
    event) and its end event (nobody waits for it).  A request answered from the cache never waits: for
    it those were a tenth of its cost.  The body's return value is dropped, as an unwatched process's is.
    """
    _step(body, None, True)


def _step(body: Generator[simpy.Event, Any, Any], value: Any, ok: bool) -> None:
    while True:
        try:
            event = body.send(value) if ok else body.throw(value)
        except StopIteration:
            return
        callbacks = event.callbacks
        if callbacks is not None:   # pending: resume when it is processed, as Process._resume does
            callbacks.append(partial(_resumed, body))
            return
        value, ok = event._value, event._ok   # already processed: go on at once, as Process._resume does


def _resumed(body: Generator[simpy.Event, Any, Any], event: simpy.Event) -> None:
    if not event._ok:
        event._defused = True   # the body handles it (or fails the run), as a process's would
    _step(body, event._value, event._ok)
