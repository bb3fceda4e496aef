"""One twin run: open-model arrivals through the gateway core in virtual time, records on disk.

The same pipe as a live run with the supervisor, Locust and the sockets taken out: ``workload`` gives the
arrivals and prompts, ``gateway.core`` handles each request on the twin's clock, ``SimProvider`` plays the
fakes (fault engine, service model, reply model) and the proxy (toxics), the timeline applies the scenario's
steps at their virtual times, and ``workload.outcome`` turns each request's fate into its ``RequestRecord``
— the very function the Locust user calls.  The report is then built from the run directory exactly as for
a live run.

The same ``SimSetup`` gives the same records, byte for byte: SimPy's event
order is deterministic, and every random draw comes from a generator seeded
from the setup's seed.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import simpy

from fake_providers.corpus import REFERENCE_DATE
from fake_providers.faults.engine import FaultEngine
from fake_providers.faults.plan import FaultPlan
from fake_providers.faults.service import ServiceSpec
from fake_providers.servers.runner import provider_seed
from gateway.config import GatewayConfig
from gateway.core.gold_flow import gold_probe_flow
from gateway.core.observer import Observers
from gateway.core.pipeline import ParseOutcome, parse_appointment
from gateway.core.probes import PROBE_REQUEST, probe_due_providers, probe_period_s
from gateway.core.stack import Stack
from gateway.service.admission import Admission
from gateway.service.cache_backends import MemoryBackend
from reports.records import CLIENT_TIMEOUT, SHED_STATUS, EventRecord
from reports.runinfo import RunInfo
from workload import outcome
from workload.prompts import Prompt, prompt_chooser
from workload.schedule import Stage, arrival_pairs, schedule_end

from .arrivals import every_arrival
from .clock import SimClock
from .interpreter import Effects
from .kept_records import kept_answer_values, kept_tail
from .provider import SimProvider
from .records import RecordObserver, RunFiles
from .steps import Step
from .timeline import Timeline

__all__ = ["DRAIN_SLACK_S", "SimResult", "SimSetup", "run_sim"]

#: as the live load generator: in-flight requests get the client timeout plus this to report
DRAIN_SLACK_S = 2.0
#: the flow-key spaces of health probes and gold probes, apart from request ids and from each other
_PROBE_KEYS = 1 << 40
_GOLD_KEYS = 2 << 40


@dataclass(frozen=True, slots=True)
class SimSetup:
    config: GatewayConfig
    plan: FaultPlan
    stages: tuple[Stage, ...]
    prompts: tuple[Prompt, ...]
    seed: int
    arrival: str = "poisson"
    client_timeout_s: float = 30.0
    steps: tuple[Step, ...] = ()
    services: Mapping[str, ServiceSpec] = field(default_factory=dict)
    #: the gateway's own CPU time per request, as a fixed delay before its flow (no contention modelled)
    gateway_cpu_s: float = 0.0
    #: instead of ``gateway_cpu_s``: the fixed cost per request drawn from these (a live run's own
    #: measurement, scenario seconds), one draw per request from a generator seeded by ``seed``
    overhead_samples_s: tuple[float, ...] = ()
    #: how late a timed-out call is noticed (``SimProvider.timer_lag_s``); 0: exactly at its timeout
    timer_lag_s: float = 0.0
    #: per provider, the stack's own time on each answered call (``SimProvider.call_cost_s``)
    call_cost_s: Mapping[str, float] = field(default_factory=dict)
    run_info: RunInfo | None = None
    probes: bool = True

    def __post_init__(self) -> None:
        if not self.prompts:
            raise ValueError("prompts: at least one prompt is needed")
        if not (self.client_timeout_s > 0):
            raise ValueError(f"client_timeout_s: must be > 0, got {self.client_timeout_s!r}")
        if not (self.gateway_cpu_s >= 0):
            raise ValueError(f"gateway_cpu_s: must be >= 0, got {self.gateway_cpu_s!r}")
        if not all(x >= 0 for x in self.overhead_samples_s):
            raise ValueError("overhead_samples_s: every sample must be >= 0")
        if not (self.timer_lag_s >= 0):
            raise ValueError(f"timer_lag_s: must be >= 0, got {self.timer_lag_s!r}")
        bad = sorted(p for p, cost in self.call_cost_s.items() if p not in self.config.providers or not cost >= 0)
        if bad:
            raise ValueError(f"call_cost_s: unknown provider or negative cost for {', '.join(bad)}")
        unknown = sorted(set(self.services) - set(self.config.providers))
        if unknown:
            raise ValueError(f"services: unknown provider(s) {', '.join(unknown)}; "
                             f"expected some of {', '.join(sorted(self.config.providers))}")

    def model_notes(self) -> dict[str, Any]:
        """What the twin assumed, for run.json: the parts of the stack it models rather than runs."""
        return {
            "gateway_cpu_s": self.gateway_cpu_s,
            "overhead_samples": _sample_notes(self.overhead_samples_s),
            "timer_lag_s": self.timer_lag_s,
            "call_cost_s": dict(self.call_cost_s),
            "services": {name: {"concurrency": s.concurrency, "queue": s.queue, "tokens_per_s": s.tokens_per_s,
                                "ttft_s": s.ttft_s, "overflow_status": s.overflow_status}
                         for name, s in self.services.items()},
            "client_timeout_s": self.client_timeout_s,
            # the twin keeps the cache in its own memory whatever cache.backend says (Redis is I/O)
            "cache_backend": "memory",
            "not_modelled": ["gateway CPU contention (a fixed delay per request instead)",
                             "toxics slicer, slow_close, limit_data", "rate-limit headers on provider answers"],
        }


def _sample_notes(samples: tuple[float, ...]) -> dict[str, float] | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return {"n": len(ordered), "p50_s": ordered[len(ordered) // 2],
            "p95_s": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], "max_s": ordered[-1]}


@dataclass(frozen=True, slots=True)
class SimResult:
    run_dir: Path
    requests: int
    calls: int
    events: int
    lost: int
    simulated_s: float
    wall_s: float
    interrupted: bool = False


class _Twin:
    """The state of one run: environment, stack, providers, cache, records."""

    def __init__(self, setup: SimSetup, files: RunFiles) -> None:
        self.setup = setup
        self.files = files
        self.env = simpy.Environment()
        clock = SimClock(self.env)
        observers = Observers(RecordObserver(files))
        self.stack = Stack(setup.config, clock, observers, random.Random(setup.seed))
        self.cache = MemoryBackend(clock, setup.config.cache.max_entries)
        engine = FaultEngine(setup.plan, seed=setup.seed)
        providers = setup.config.providers
        self.providers = {
            # each seeded as its live fake is, so a call key meets the same fate here and there
            name: SimProvider(name, engine, provider_seed(setup.seed, name), setup.services.get(name),
                              providers[name].model)
            for name in self.stack.providers
        }
        for provider in self.providers.values():
            provider.timer_lag_s = setup.timer_lag_s
            provider.call_cost_s = setup.call_cost_s.get(provider.name, 0.0)
        self.effects = Effects(self.env, self.providers, self.cache)
        self.engine = engine
        self.overhead = random.Random(f"overhead:{setup.seed}") if setup.overhead_samples_s else None
        self.admission = Admission(setup.config.limits.max_in_flight)
        self.pending: dict[int, tuple[float, str]] = {}
        self.references: dict[str | None, date] = {}

    def reference(self, prompt: Prompt) -> date:
        found = self.references.get(prompt.reference_date)
        if found is None:
            found = date.fromisoformat(prompt.reference_date) if prompt.reference_date else REFERENCE_DATE
            self.references[prompt.reference_date] = found
        return found

    def arrive(self) -> None:
        """Start the arrivals: at each one's time its prompt is chosen and its request started."""
        env, setup = self.env, self.setup
        seed, pending, request, effects = setup.seed, self.pending, self.request, self.effects
        choose = prompt_chooser(setup.prompts, seed)   # choose_prompt's prompts, its seed's part mixed once

        def begin(rid: int, t_s: float) -> None:
            prompt = choose(rid)
            pending[rid] = (t_s, prompt.id)
            effects.start(request(rid, t_s, prompt), rid)   # run as a process would be, without one

        every_arrival(env, arrival_pairs(setup.stages, seed, setup.arrival), begin)

    def request(self, rid: int, intended_s: float, prompt: Prompt) -> Generator[Any, Any, None]:
        """A request's body for ``Effects.start``: SimPy events, then its flow's effects (keyed by ``rid``)."""
        env, setup = self.env, self.setup
        if self.overhead is not None:
            yield env.timeout(self.overhead.choice(setup.overhead_samples_s))
        elif setup.gateway_cpu_s > 0:
            yield env.timeout(setup.gateway_cpu_s)
        result: ParseOutcome | None = None   # None: shed, as the live ASGI router past limits.max_in_flight
        if self.admission.try_enter():
            # positional (a keyword argument of a generator costs ~0.2 us): not a probe, this request's id
            flow = parse_appointment(self.stack, prompt.prompt, self.reference(prompt), env.now, False, rid)
            try:
                result = yield from flow
            finally:
                self.admission.leave()
        if self.pending.pop(rid, None) is None:
            return   # already written as lost when the run ended
        latency = env.now - intended_s
        if latency > setup.client_timeout_s:
            # the user gave up at the timeout; the gateway carried on, as it does live
            self.files.request(outcome.failed(rid, intended_s, intended_s, setup.client_timeout_s, CLIENT_TIMEOUT,
                                              prompt.id))
        else:
            # a kept outcome's line tail, else the very fields answered_data's RequestRecord has, of the body a
            # live client would get (a shed request's: none, as an empty one, not JSON), without building it
            tail = kept_tail(result, prompt.gold, latency, prompt.id) if result is not None else None
            if tail is None or not self.files.kept(rid, intended_s, tail):
                answer = kept_answer_values(result, prompt.gold) if result is not None \
                    else outcome.answer_values(SHED_STATUS, None, prompt.gold)
                self.files.answer(rid, intended_s, latency, answer, prompt.id)

    def every_probe_period(self, flow: Callable[[], Generator[Any, Any, Any]], keys: int
                           ) -> Generator[simpy.Event, Any, None]:
        """A gateway background loop (``gateway/service/background.py``: health probes, gold probes) as a
        process of its own on the gateway's probe period, its calls keyed in a space of its own."""
        env = self.env
        period = probe_period_s(self.setup.config)
        cycle = 0
        while True:
            yield env.timeout(period)
            cycle += 1
            yield from self.effects.perform(flow(), keys + cycle)

    def close(self, end_s: float) -> int:
        """Account for every request still in flight at ``end_s``: a timeout if the user had given up, else lost."""
        lost = 0
        for rid, (intended_s, prompt_id) in sorted(self.pending.items(), key=lambda kv: (kv[1][0], kv[0])):
            if end_s - intended_s >= self.setup.client_timeout_s:
                self.files.request(outcome.failed(rid, intended_s, intended_s, self.setup.client_timeout_s,
                                                  CLIENT_TIMEOUT, prompt_id))
            else:
                self.files.request(outcome.lost(rid, intended_s, intended_s, prompt_id))
                lost += 1
        self.pending.clear()
        return lost

    def limits(self, at_s: float) -> None:
        """The runbook's "Paso 4" reading of each provider's quota, as the live run records it at the end.

        The primary provider (the pinned one, else the heaviest weight) comes last: the recovery check
        reads the last reading, as it does live (drill/live/readings.py ``record_limits``).
        """
        config = self.setup.config
        primary = config.primary_provider()
        for name in sorted(self.providers, key=lambda n: n == primary):
            view = self.engine.limits(at_s, name)
            self.files.event(EventRecord(round(at_s, 6), "limits", {
                "provider": name, "requests_remaining": view.remaining_requests,
                "limits": {"rate_limit": {"requests_limit": view.limit_requests,
                                          "requests_remaining": view.remaining_requests,
                                          "tokens_limit": view.limit_tokens,
                                          "tokens_remaining": view.remaining_tokens}}}))


def run_sim(setup: SimSetup, run_dir: Path) -> SimResult:
    """Run the twin; writes ``requests/calls/events.jsonl`` and ``run.json`` into ``run_dir``."""
    started = time.perf_counter()
    run_dir.mkdir(parents=True, exist_ok=True)
    if setup.run_info is not None:
        info = replace(setup.run_info, mode="sim", sim=setup.model_notes())
        (run_dir / "run.json").write_text(json.dumps(info.to_dict(), indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    files = RunFiles(run_dir)
    twin = _Twin(setup, files)
    env = twin.env
    end = schedule_end(setup.stages) + setup.client_timeout_s + DRAIN_SLACK_S
    interrupted = False
    try:
        twin.arrive()
        if setup.probes:
            env.process(twin.every_probe_period(
                lambda: probe_due_providers(twin.stack, PROBE_REQUEST), _PROBE_KEYS))
            if twin.stack.gold_probe.enabled:
                env.process(twin.every_probe_period(lambda: gold_probe_flow(twin.stack), _GOLD_KEYS))
        if setup.steps:
            env.process(Timeline(env, setup.steps, twin.providers, twin.stack, files.event).run())
        env.run(until=end)
    except KeyboardInterrupt:
        interrupted = True   # what was simulated is accounted for and kept, as a live run keeps its records
    finally:
        # every request that arrived gets exactly one record, however the run ends
        reached = float(env.now)
        lost = twin.close(reached)
        twin.limits(min(reached, schedule_end(setup.stages)))
        files.close()
    return SimResult(run_dir, files.requests.written, files.calls.written, files.events.written, lost, reached,
                     time.perf_counter() - started, interrupted)
