"""One provider as the twin sees it: network, fault engine, service model, reply, wire.

``SimProvider.call`` works out, at the call's start, everything about one
``CallProvider`` effect: how long it takes and what the gateway's client makes
of it.  The pieces are the live ones, composed in the live order:

link (toxics) → the fake's engine decides at the instant the request arrives →
the service model queues it (slots, bounded queue, the provider's own 503/429) →
the reply model composes the answer → back over the link → the gateway client
parses the bytes; a call that outlasts its timeout is the client's timeout.

Pure (no SimPy): ``now`` is passed in; the interpreter sleeps ``delay_s`` and
then calls ``finish`` so the capacity rules of the engine see the request leave
when it does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fake_providers.faults.call import ChatCall
from fake_providers.faults.decisions import Decision, Hang, HttpError, Refuse, Reset
from fake_providers.faults.engine import FaultEngine
from fake_providers.faults.reply import Reply, call_rng, reply, serve
from fake_providers.faults.service import ServiceQueue, ServiceSpec
from gateway.outcomes import ChatRequest, Completion, ProviderFailure

from .network import Link
from .wire import Wire

__all__ = ["CallPlan", "SimProvider"]

#: what an answer's envelope adds to its text on the wire, for the bandwidth toxic
_ENVELOPE_BYTES = 300


@dataclass(slots=True)
class CallPlan:
    delay_s: float
    result: Completion | ProviderFailure
    decision: Decision | None = None
    ends_at: float = 0.0
    #: seconds the request waited for a provider slot (the service model's queue)
    queued_s: float = 0.0


class SimProvider:
    __slots__ = ("call_cost_s", "engine", "link", "name", "seed", "service", "timer_lag_s", "wire")

    def __init__(
        self, name: str, engine: FaultEngine, seed: int, service: ServiceSpec | None = None,
        model: str | None = None,
    ) -> None:
        self.name = name
        self.engine = engine
        self.seed = seed
        self.link = Link()
        self.wire = Wire(name, model)
        self.service = ServiceQueue(service) if service is not None else None
        #: how late the gateway notices a timeout: a real event loop's timer fires after its deadline,
        #: never on it, so a timed-out call measures a little more than its timeout (``SimSetup.timer_lag_s``)
        self.timer_lag_s = 0.0
        #: the stack's own time on an answered call (client, proxy, loopback), added to the provider's
        #: (``SimSetup.call_cost_s``); 0: the call takes exactly what the provider does
        self.call_cost_s = 0.0

    def call(self, now: float, request: ChatRequest, timeout_s: float, key: int) -> CallPlan:
        wire = self.wire
        if not timeout_s > 0:
            return CallPlan(0.0, wire.timeout(timeout_s))
        rng = call_rng(self.seed, key)
        crossing = self.link.cross(rng)
        if crossing.refused:
            return CallPlan(0.0, wire.result(_NO_CALL, Reply(0.0, Refuse()), timeout_s))
        read = wire.read(request)
        if isinstance(read, ProviderFailure):
            return CallPlan(crossing.up_s, read)
        call, info = read
        if crossing.cut is not None and crossing.cut_stream == "upstream":
            return self._cut(crossing.cut, crossing.up_s + crossing.cut_after_s, timeout_s)
        arrived = now + crossing.up_s
        decision = self.engine.decide(arrived, self.name, info, rng)
        answer = reply(decision, call, rng)
        busy = self._serve(arrived, decision, answer, call)
        if isinstance(busy, HttpError):
            self.engine.release(decision, arrived)
            return self._within(crossing.up_s, wire.result(call, Reply(0.0, busy), timeout_s), timeout_s, None)
        if isinstance(answer.response, Hang):
            return CallPlan(timeout_s + self.timer_lag_s, wire.timeout(timeout_s), decision, arrived + timeout_s)
        at_provider, queued = busy
        if crossing.cut is not None:   # downstream: the provider did the work, the answer never arrives whole
            return self._cut(crossing.cut, crossing.up_s + at_provider + crossing.cut_after_s, timeout_s,
                             decision, arrived + at_provider)
        back = crossing.down_s
        if crossing.down_bytes_per_s is not None:   # only a bandwidth toxic needs the answer's size
            size = len(answer.text.encode("utf-8")) + _ENVELOPE_BYTES if answer.text is not None else _ENVELOPE_BYTES
            back += Link.transmit_s(size, crossing.down_bytes_per_s)
        total = crossing.up_s + at_provider + back
        plan = self._within(total, wire.result(call, answer, timeout_s), timeout_s, decision, arrived + at_provider)
        plan.queued_s = queued
        return plan

    def finish(self, plan: CallPlan) -> None:
        if plan.decision is not None:
            self.engine.release(plan.decision, plan.ends_at)

    def _serve(self, arrived: float, decision: Decision, answer: Reply,
               call: ChatCall) -> tuple[float, float] | HttpError:
        """Seconds the provider spends on the request and of those how many in its queue; or its overflow."""
        # the run's service model, else the plan's ``service:`` rule: the queue the live fake honours too
        queue = self.service if self.service is not None else self.engine.service(arrived, self.name)
        served, queued = serve(answer, decision, call, queue, arrived)
        if served.response is not answer.response and isinstance(served.response, HttpError):
            return served.response
        return served.delay_s, queued

    def _within(
        self, delay_s: float, result: Completion | ProviderFailure, timeout_s: float,
        decision: Decision | None, ends_at: float = 0.0,
    ) -> CallPlan:
        delay_s += self.call_cost_s
        if delay_s > timeout_s:
            return CallPlan(timeout_s + self.timer_lag_s, self.wire.timeout(timeout_s), decision, ends_at)
        return CallPlan(delay_s, result, decision, ends_at)

    def _cut(
        self, cut: str, at_s: float, timeout_s: float, decision: Decision | None = None, ends_at: float = 0.0,
    ) -> CallPlan:
        if cut == "hang" or at_s > timeout_s or math.isinf(at_s):
            return CallPlan(timeout_s + self.timer_lag_s, self.wire.timeout(timeout_s), decision, ends_at)
        # a close without an answer and an RST both reach the client as a transport error mid-call
        return CallPlan(at_s, self.wire.result(_NO_CALL, Reply(0.0, Reset(0)), timeout_s), decision, ends_at)


_NO_CALL = ChatCall("", "", "", 0, 1, False)


