"""The fault engine: which outcome one request gets, at plan time ``t``.

Pure: no sockets, no clock, no sleeping.  ``decide`` is a function of the plan,
the explicit emergent state below and the ``random.Random`` it is handed, so
the live fakes and the SimPy twin share it and one seed replays one run.

How rules combine, in plan order: for each part of a decision (latency,
response, quality, stream) the first active, matching rule whose probability
draw succeeds decides it (the kind draws its part itself: ``Draws.draw``);
later rules for that part are skipped (and draw nothing).  Emergent state
comes after: a request that is not already failed takes a place in the quota
buckets (a 429 ``rate_limit_exceeded`` when full)
and then in the capacity model (a wait added to its latency, or a 503).  An
error or a refused/hung connection comes back at once unless a latency rule
fired; anything else waits the provider's baseline latency (default lognormal,
p50 0.6 s, p95 1.5 s, times the plan's ``time_scale``).  A ``service`` rule
decides nothing here: its queue (``service``) times the reply once the reply's
token count is known (``reply.serve``).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import cast

from fake_providers.faults.capacity import CapacityEffect, CapacityModel
from fake_providers.faults.connection import ConnectionEffect
from fake_providers.faults.decisions import (
    BadJson,
    CapacityTicket,
    Decision,
    Draft,
    Hang,
    HttpError,
    Normal,
    Refuse,
    ResponseOutcome,
)
from fake_providers.faults.http_error import ErrorEffect
from fake_providers.faults.latency import LatencyDist
from fake_providers.faults.plan import FaultPlan, FaultRule
from fake_providers.faults.quota import QuotaBuckets, QuotaEffect, QuotaView
from fake_providers.faults.registry import EMERGENT_SLOTS, Draws
from fake_providers.faults.service import ServiceEffect, ServiceQueue
from units.frozen_init import frozen_init

__all__ = ["DEFAULT_BASELINE", "NOMINAL_RPM", "NOMINAL_TPM", "FaultEngine", "RequestInfo"]

DEFAULT_BASELINE = LatencyDist.lognormal(0.6, 1.5)
#: What a fake reports as its limits while no quota rule is active (counted, never enforced).
NOMINAL_RPM = 10_000
NOMINAL_TPM = 10_000_000


@frozen_init   # built per provider call (``units.frozen_init``)
@dataclass(frozen=True, slots=True)
class RequestInfo:
    model: str
    stream: bool
    prompt: str
    tokens: int   # prompt + requested completion tokens, as the quota counts them


class FaultEngine:
    """A plan plus its emergent state (quota buckets and capacity models, per rule and provider)."""

    __slots__ = ("_baseline", "_baselines", "_capacity", "_nominal", "_quota", "_service", "_windows", "_windows_of",
                 "plan", "rng")

    def __init__(self, plan: FaultPlan, seed: int = 0, *, baseline: LatencyDist | None = None) -> None:
        self.plan = plan
        self.rng = random.Random(seed)
        self._baseline = (baseline or DEFAULT_BASELINE).scaled(plan.time_scale)
        self._quota: dict[tuple[int, str], QuotaBuckets] = {}
        self._capacity: dict[tuple[int, str], CapacityModel] = {}
        self._service: dict[tuple[int, str], ServiceQueue] = {}
        self._nominal: dict[str, QuotaBuckets] = {}
        # Derived from ``plan`` for the per-request fast path; rebuilt if ``plan`` is reassigned.
        self._windows_of: FaultPlan | None = None
        self._windows: tuple[tuple[float, float], ...] = ()
        self._baselines: dict[str, LatencyDist] = {}

    def baseline(self, provider: str) -> LatencyDist:
        if self._windows_of is not self.plan:
            self._derive()
        found = self._baselines.get(provider)
        if found is None:
            found = self._baselines[provider] = self.plan.baseline_for(provider) or self._baseline
        return found

    def _derive(self) -> None:
        plan = self.plan
        self._windows = tuple((r.at, math.inf if r.until is None else r.until) for r in plan.rules)
        self._baselines = {}
        self._windows_of = plan

    def _idle(self, t: float) -> bool:
        """No rule of the plan is active at ``t`` (whatever its provider or match)."""
        if self._windows_of is not self.plan:
            self._derive()
        windows = self._windows
        return not windows or not any(at <= t < until for at, until in windows)

    def decide(
        self, t: float, provider: str, request: RequestInfo, rng: random.Random | None = None
    ) -> Decision:
        rng = self.rng if rng is None else rng
        if self._idle(t):
            # What the general path below does when no rule applies, without its bookkeeping:
            # the same bucket update and the same single draw, so a seed replays identically.
            self._nominal_bucket(provider).count(t, request.tokens)
            idle_latency = self.baseline(provider).sample(rng) + 0.0
            return Decision(idle_latency, Normal(idle_latency), None, None, (), None)
        draft = Draft()
        fired: list[int] = []
        emergent: list[int] = []
        time_scale = self.plan.time_scale
        for index, rule in enumerate(self.plan.rules):
            if not self._applies(rule, t, provider, request):
                continue
            effect = rule.effect
            if effect.slot in EMERGENT_SLOTS:
                # a service rule times the reply once the reply is known (``service``); the others below
                if effect.slot != "service":
                    emergent.append(index)
                continue
            if draft.taken(effect.slot):
                continue
            if rule.probability < 1.0 and rng.random() >= rule.probability:
                continue
            fired.append(index)
            cast(Draws, effect).draw(draft, rng, time_scale)
        latency, response = draft.latency, draft.response
        wait, ticket = 0.0, None
        if response is None or isinstance(response, BadJson):
            response, wait, ticket = self._emergent(t, provider, request, emergent, fired, response)
        if latency is None:
            fast = isinstance(response, HttpError | Refuse | Hang)
            latency = 0.0 if fast else self.baseline(provider).sample(rng)
        latency += wait
        if response is None:
            response = Normal(latency)
        return Decision(latency, response, draft.quality, draft.stream, tuple(fired), ticket)

    def release(self, decision: Decision, t: float) -> None:
        """The request of ``decision`` finished at plan time ``t``: free its capacity slot."""
        ticket = decision.capacity
        if ticket is None:
            return
        model = self._capacity.get((ticket.rule, ticket.provider))
        if model is not None and model.in_flight > 0:
            model.leave(t, ticket.entered + ticket.wait_s)

    def limits(self, t: float, provider: str) -> QuotaView:
        """The quota the provider shows at ``t``: the first active quota rule's, or the nominal one."""
        for index, rule in enumerate(self.plan.rules):
            if isinstance(rule.effect, QuotaEffect) and rule.active(t) and rule.applies_to(provider):
                return self._bucket(index, provider, rule.effect).view(t)
        return self._nominal_bucket(provider).view(t)

    def service(self, t: float, provider: str) -> ServiceQueue | None:
        """The service queue of the first active ``service`` rule for ``provider`` at ``t``, if any."""
        for index, rule in enumerate(self.plan.rules):
            effect = rule.effect
            if isinstance(effect, ServiceEffect) and rule.active(t) and rule.applies_to(provider):
                key = (index, provider)
                queue = self._service.get(key)
                if queue is None:
                    queue = self._service[key] = ServiceQueue(effect.spec(self.plan.time_scale))
                return queue
        return None

    def is_down(self, t: float, provider: str) -> bool:
        """Whether an unconditional rule makes every request fail now (what ``/health`` reports)."""
        for rule in self.plan.rules:
            if rule.probability < 1.0 or rule.match is not None:
                continue
            if not (rule.active(t) and rule.applies_to(provider)):
                continue
            effect = rule.effect
            if isinstance(effect, ConnectionEffect):
                return True
            if isinstance(effect, ErrorEffect) and effect.status >= 500:
                return True
        return False

    def refuse_windows(self, provider: str) -> list[tuple[float, float | None]]:
        """``[at, until)`` windows in which every connection to ``provider`` is refused."""
        return [
            (rule.at, rule.until)
            for rule in self.plan.rules
            if isinstance(rule.effect, ConnectionEffect)
            and rule.effect.mode == "refuse"
            and rule.probability >= 1.0
            and rule.match is None
            and rule.applies_to(provider)
        ]

    @staticmethod
    def _applies(rule: FaultRule, t: float, provider: str, request: RequestInfo) -> bool:
        if not (rule.active(t) and rule.applies_to(provider)):
            return False
        return rule.match is None or rule.match.matches(request.model, request.stream, request.prompt)

    def _emergent(
        self,
        t: float,
        provider: str,
        request: RequestInfo,
        emergent: list[int],
        fired: list[int],
        response: ResponseOutcome | None,
    ) -> tuple[ResponseOutcome | None, float, CapacityTicket | None]:
        rules = self.plan.rules
        for index in emergent:
            effect = rules[index].effect
            if isinstance(effect, QuotaEffect):
                verdict = self._bucket(index, provider, effect).admit(t, request.tokens)
                if not verdict.admitted:
                    fired.append(index)
                    return HttpError(429, "rate_limit_exceeded", verdict.retry_after_s), 0.0, None
        self._nominal_bucket(provider).count(t, request.tokens)
        for index in emergent:
            effect = rules[index].effect
            if isinstance(effect, CapacityEffect):
                model = self._capacity_model(index, provider, effect)
                entered = model.enter(t)
                fired.append(index)
                if isinstance(entered, HttpError):
                    return entered, 0.0, None
                return response, entered, CapacityTicket(index, provider, t, entered)
        return response, 0.0, None

    def _bucket(self, index: int, provider: str, effect: QuotaEffect) -> QuotaBuckets:
        key = (index, provider)
        bucket = self._quota.get(key)
        if bucket is None:
            bucket = self._quota[key] = effect.buckets()
        return bucket

    def _nominal_bucket(self, provider: str) -> QuotaBuckets:
        bucket = self._nominal.get(provider)
        if bucket is None:
            window = 60.0 * self.plan.time_scale
            bucket = self._nominal[provider] = QuotaBuckets(NOMINAL_RPM, NOMINAL_TPM, window, enforce=False)
        return bucket

    def _capacity_model(self, index: int, provider: str, effect: CapacityEffect) -> CapacityModel:
        key = (index, provider)
        model = self._capacity.get(key)
        if model is None:
            service = _typical(self.baseline(provider))
            model = self._capacity[key] = CapacityModel(effect.concurrency, effect.queue, service)
        return model


def _typical(dist: LatencyDist) -> float:
    """A central value of a latency distribution: the capacity model's first guess of service time."""
    p = dist.params
    if dist.dist == "uniform":
        return (p[0] + p[1]) / 2
    if dist.dist == "empirical":
        return sorted(p)[len(p) // 2]
    return p[0]
