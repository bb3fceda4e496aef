"""Perform a gateway flow's effects in SimPy virtual time.

The counterpart of ``gateway/service/interpreter.py``: the same flows, the same
effects, another clock.  ``CallProvider`` goes to the twin's ``SimProvider``
(its delay is slept in virtual time, then its result is sent back), ``Sleep``
is a SimPy timeout, the cache is the gateway's own memory backend on the
twin's clock.  Each call gets a key — ``(request key, attempt number)`` — that
seeds its RNG, so a call's fate does not depend on the other requests in flight.
``start`` runs a body as SimPy would run it as a process, without one; given an
``Effects``, the body may ``yield from`` a flow and its effects are performed there.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from functools import partial
from typing import Any

import simpy
from simpy.events import Timeout

from gateway.core.call_key import CALLS_PER_REQUEST, call_key
from gateway.core.effects import CacheGet, CacheSet, CallProvider, Flow, Sleep
from gateway.service.cache_backends import MemoryBackend

from .provider import CallPlan, SimProvider

__all__ = ["CALLS_PER_FLOW", "Effects", "perform", "start"]

#: call keys are ``call_key(flow_key, n)`` = ``flow_key * CALLS_PER_FLOW + n``: the live gateway's
#: ``x-llmdrill-call-key`` for the same request id and call (``gateway/core/call_key.py``)
CALLS_PER_FLOW = CALLS_PER_REQUEST


class Effects:
    """One twin's providers and cache, performing its flows' effects."""

    __slots__ = ("cache", "env", "providers")

    def __init__(self, env: simpy.Environment, providers: Mapping[str, SimProvider], cache: MemoryBackend) -> None:
        self.env = env
        self.providers = providers
        self.cache = cache

    def effect(self, effect: object, flow_key: int, calls: int) -> Any:
        """The result of ``effect``, the ``calls``-th call of its flow's so far; or, when it takes time, the
        ``Timeout`` that fires with that result (no result of an effect is a ``Timeout``)."""
        kind = type(effect)
        if kind is CacheGet:
            return self.cache.get_now(effect.key)  # type: ignore[attr-defined]
        if kind is CallProvider:
            assert isinstance(effect, CallProvider)
            env = self.env
            provider = self.providers[effect.provider]
            plan = provider.call(env.now, effect.request, effect.timeout_s, call_key(flow_key, calls))
            if plan.delay_s > 0:
                done = env.timeout(plan.delay_s, plan.result)
                # the provider hears of the end first, then the flow gets the result: the order of a body
                # that slept the delay and then called ``finish`` itself
                done.callbacks.append(partial(_finished, provider.finish, plan))
                return done
            provider.finish(plan)
            return plan.result
        if kind is CacheSet:
            assert isinstance(effect, CacheSet)
            self.cache.set_now(effect.key, effect.value, effect.ttl_s)
            return None
        if kind is Sleep:
            assert isinstance(effect, Sleep)
            return self.env.timeout(effect.seconds) if effect.seconds > 0 else None
        raise TypeError(f"unknown effect {effect!r}")   # a new effect type without an interpreter branch

    def perform(self, flow: Flow, flow_key: int) -> Generator[simpy.Event, Any, Any]:
        """A SimPy process body: runs ``flow`` to its end and returns its value."""
        result: Any = None
        calls = 0
        send = flow.send
        while True:
            try:
                effect = send(result)
            except StopIteration as stop:
                return stop.value
            result = self.effect(effect, flow_key, calls)
            if type(effect) is CallProvider:
                calls += 1
            if type(result) is Timeout:
                result = yield result

    def start(self, body: Generator[Any, Any, Any], flow_key: int) -> None:
        """``start``, for a body that yields SimPy events and (``yield from`` a flow) the effects of a flow
        keyed ``flow_key``: each effect performed as ``perform`` performs it, without ``perform``'s generator
        between (a request answered from the cache goes from its body to its flow's effects and back)."""
        _step(self, body, flow_key, 0, None, True)


def perform(
    env: simpy.Environment,
    flow: Flow,
    providers: Mapping[str, SimProvider],
    cache: MemoryBackend,
    flow_key: int,
) -> Generator[simpy.Event, Any, Any]:
    """A SimPy process body: runs ``flow`` to its end and returns its value."""
    return Effects(env, providers, cache).perform(flow, flow_key)


def start(env: simpy.Environment, body: Generator[simpy.Event, Any, Any]) -> None:
    """``env.process(body)`` without the process: its first step now, then each step as its event fires.

    What a SimPy ``Process`` does for a body that nobody waits for, with less: it resumes the body from
    the callback of the event the body yielded, sending the event's value (throwing its exception if it
    failed), exactly where ``Process._resume`` would.  Left out are the process object, its start event
    (urgent, at once: nothing runs between, so running the first step now is the same run, event for
    event) and its end event (nobody waits for it).  A request answered from the cache never waits: for
    it those were a tenth of its cost.  The body's return value is dropped, as an unwatched process's is.
    """
    _step(None, body, 0, 0, None, True)


def _step(effects: Effects | None, body: Generator[Any, Any, Any], flow_key: int, calls: int, value: Any,
          ok: bool) -> None:
    while True:
        try:
            item = body.send(value) if ok else body.throw(value)
        except StopIteration:
            return
        if effects is not None and type(item) in _EFFECTS:
            if type(item) is CacheGet:   # most effects of a cached run: spare them ``effect``'s frame
                value, ok = effects.cache.get_now(item.key), True
                continue
            value, ok = effects.effect(item, flow_key, calls), True
            if type(item) is CallProvider:
                calls += 1
            if type(value) is not Timeout:
                continue   # done at once (a cache hit never waits)
            item = value
        callbacks = item.callbacks
        if callbacks is not None:   # pending: resume when it is processed, as Process._resume does
            callbacks.append(partial(_resumed, effects, body, flow_key, calls))
            return
        value, ok = item._value, item._ok   # already processed: go on at once, as Process._resume does


_EFFECTS = frozenset((CacheGet, CacheSet, CallProvider, Sleep))


def _resumed(effects: Effects | None, body: Generator[Any, Any, Any], flow_key: int, calls: int,
             event: simpy.Event) -> None:
    if not event._ok:
        event._defused = True   # the body handles it (or fails the run), as a process's would
    _step(effects, body, flow_key, calls, event._value, event._ok)


def _finished(finish: Callable[[CallPlan], None], plan: CallPlan, _event: simpy.Event) -> None:
    finish(plan)
