"""An M/M/c queue played through the twin's own provider: the configuration the proofs measure.

Poisson arrivals from ``workload.schedule``, one provider whose fault engine
draws exponential latencies (its no-fault baseline) and whose service model
has ``c`` slots and an unbounded queue, no faults, no network.  Each call goes
through ``SimProvider.call`` — engine decision, reply model, service queue, the
wire's parse — in SimPy virtual time; what is measured is each call's wait for
a slot and its response time, in arrival order.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from fake_providers.faults.engine import FaultEngine
from fake_providers.faults.plan import FaultPlan
from fake_providers.faults.service import ServiceSpec
from gateway.config import config_from_mapping
from gateway.outcomes import ChatRequest, Completion, Message
from workload.prompts import Prompt
from workload.schedule import Stage, arrivals

from .provider import SimProvider
from .run import SimSetup

__all__ = ["MmcSample", "mmc_stack_setup", "run_mmc"]

_REQUEST = ChatRequest((Message("user", "cita mañana a las 10am con la Dra. López"),), max_tokens=60)
_NO_TIMEOUT = 1e12


@dataclass(frozen=True, slots=True)
class MmcSample:
    waits: list[float]       # in arrival order
    responses: list[float]
    failures: int


def run_mmc(lam: float, mu: float, c: int, n: int, seed: int = 1, provider: str = "qwen") -> MmcSample:
    """About ``n`` Poisson(λ) arrivals served by ``c`` exponential(μ) slots; every call's wait and response."""
    plan = FaultPlan.parse({"faults": [], "baseline": {provider: {"dist": "exponential", "mean": 1.0 / mu}}})
    sim = SimProvider(provider, FaultEngine(plan, seed=seed), seed, ServiceSpec(concurrency=c))
    env = simpy.Environment()
    count = int(n)
    waits = [0.0] * count
    responses = [0.0] * count
    failures = [0]

    def one(i: int) -> Generator[simpy.Event, Any, None]:
        call = sim.call(env.now, _REQUEST, _NO_TIMEOUT, i)
        waits[i] = call.queued_s
        responses[i] = call.delay_s
        if not isinstance(call.result, Completion):
            failures[0] += 1
        yield env.timeout(call.delay_s)
        sim.finish(call)

    def source() -> Generator[simpy.Event, Any, None]:
        stages = (Stage(count / lam * 2.0, lam),)   # long enough; stop at n arrivals
        for arrival in arrivals(stages, seed):
            if arrival.id >= count:
                return
            yield env.timeout(arrival.t_s - env.now)
            env.process(one(arrival.id))

    env.process(source())
    env.run()
    return MmcSample(waits, responses, failures[0])


def mmc_stack_setup(lam: float, mu: float, c: int, duration_s: float, seed: int = 1,
                    provider: str = "qwen") -> SimSetup:
    """The whole twin (gateway core included) configured as an M/M/c queue.

    One provider with ``c`` exponential(μ) slots; the gateway adds nothing a
    queue model lacks: no cache, no quota queue, timeouts and deadlines far
    beyond any wait, degraded mode so each request makes exactly one LLM call
    (no negotiation), no probes.  A request's recorded latency is then the
    queue's response time.
    """
    others = {name: {"enabled": False} for name in ("qwen", "claude", "openai") if name != provider}
    config = config_from_mapping({
        "seed": seed,
        "providers": {provider: {"weight": 1.0, "rpm": None, "tpm": None}, **others},
        "timeout": "1000h", "deadline": "1000h",
        "cache": {"enabled": False},
        "degraded": {"enabled": True},
        "router": {"unhealthy_latency": "1000h"},
        "breaker": {"slow_call_duration": "1000h"},
        "limits": {"max_in_flight": 1_000_000},
    }, "mmc")
    plan = FaultPlan.parse({"faults": [], "baseline": {provider: {"dist": "exponential", "mean": 1.0 / mu}}})
    prompts = (Prompt("mmc", _REQUEST.messages[0].content, "2026-01-22"),)
    return SimSetup(config, plan, (Stage(duration_s, lam),), prompts, seed, client_timeout_s=1e9,
                    services={provider: ServiceSpec(concurrency=c)}, probes=False)
