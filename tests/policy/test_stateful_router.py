"""Router + its CircuitBreakers + AttemptBudget as a hypothesis state machine."""

from __future__ import annotations

import itertools
import random

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from gateway.policy.breaker import BreakerConfig, BreakerState, CircuitBreaker
from gateway.policy.router import AttemptBudget, Router, RouterConfig

PROVIDERS = ("qwen", "claude", "openai")
_REFUSING = (BreakerState.OPEN, BreakerState.FORCED_OPEN)

providers = st.sampled_from(PROVIDERS)
weights = st.tuples(*[st.sampled_from([0.0, 0.1, 0.2, 0.7, 1.0])] * 3).filter(lambda w: any(x > 0 for x in w))


class RouterMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.rng = random.Random(0)
        self.router = self._build((0.7, 0.2, 0.1), 4, 30.0)
        self.probes: dict[str, list[float]] = {p: [] for p in PROVIDERS}
        self.budget = self.router.attempt_budget()
        self.granted = 0

    def _build(self, w: tuple[float, float, float], max_attempts: int, interval: float) -> Router:
        cfg = BreakerConfig(failure_threshold=2, recovery_timeout_s=20.0,
                            half_open_max_probes=2, half_open_successes_to_close=1)
        self.breakers = {p: CircuitBreaker(p, cfg) for p in PROVIDERS}
        rcfg = RouterConfig(weights=dict(zip(PROVIDERS, w, strict=True)), max_attempts=max_attempts,
                            probe_interval_s=interval, ewma_alpha=0.5, unhealthy_latency_s=5.0)
        return Router(rcfg, self.breakers)

    @initialize(w=weights, max_attempts=st.integers(1, 6), interval=st.sampled_from([1.0, 10.0, 30.0]),
                seed=st.integers(0, 2**32 - 1))
    def setup(self, w: tuple[float, float, float], max_attempts: int, interval: float, seed: int) -> None:
        self.router = self._build(w, max_attempts, interval)
        self.rng = random.Random(seed)
        self.budget = self.router.attempt_budget()
        self.granted = 0

    def _admitting(self, exclude: frozenset[str]) -> set[str]:
        return {p for p in PROVIDERS if p not in exclude and self.breakers[p].would_admit(self.now)}

    # -- feedback ----------------------------------------------------------------------------------

    @rule(p=providers, ok=st.booleans(), latency=st.floats(0.0, 12.0))
    def call(self, p: str, ok: bool, latency: float) -> None:
        # What the gateway does: a permit right before the call, then both the breaker and the router hear.
        if self.breakers[p].try_acquire(self.now):
            if ok:
                self.breakers[p].on_success(self.now, latency)
            else:
                self.breakers[p].on_failure(self.now, latency)
        self.router.record(p, self.now, ok, latency)

    @rule(dt=st.floats(0.0, 40.0))
    def advance(self, dt: float) -> None:
        self.now += dt

    @rule(p=providers)
    def force_open(self, p: str) -> None:
        self.breakers[p].force_open(self.now)
        assert self.breakers[p].state(self.now) is BreakerState.FORCED_OPEN

    @rule(p=providers)
    def reset(self, p: str) -> None:
        self.breakers[p].reset(self.now)
        assert self.breakers[p].state(self.now) is BreakerState.CLOSED

    @rule(p=st.one_of(st.none(), providers))
    def set_override(self, p: str | None) -> None:
        self.router.set_override(p)
        assert self.router.override == p

    # -- choosing ----------------------------------------------------------------------------------

    @rule(exclude=st.frozensets(providers))
    def choose(self, exclude: frozenset[str]) -> None:
        admitting = self._admitting(exclude)
        offers = self.router.can_offer(self.now, exclude)
        choice = self.router.choose(self.now, self.rng, exclude)
        # the flow asks can_offer where it once drew a choice only to test it for None
        assert offers == (choice is not None), (offers, choice, exclude)
        if not admitting:
            assert choice is None, (choice, exclude)
            assert self.router.last_choice_reason.endswith("none")
            return
        assert choice is not None, (admitting, exclude)
        assert choice not in exclude, (choice, exclude)
        assert choice in admitting, (choice, admitting)
        assert self.breakers[choice].state(self.now) not in _REFUSING
        override = self.router.override
        if override is not None and override in admitting:
            assert choice == override, (choice, override)

    @rule(data=st.data())
    def probe(self, data: st.DataObject) -> None:
        due = self.router.due_probes(self.now)
        assert len(due) == len(set(due))
        for p in due:
            assert self.breakers[p].would_admit(self.now), (p, self.breakers[p].state(self.now))
            self.probes[p].append(self.now)
            if data.draw(st.booleans(), label=f"report probe of {p}"):
                ok = data.draw(st.booleans(), label="ok")
                self.router.record_probe(p, self.now, ok, 0.1)

    @invariant()
    def probes_rationed(self) -> None:
        interval = self.router.config.probe_interval_s
        for p, times in self.probes.items():
            for a, b in itertools.pairwise(times):
                assert b - a >= interval, (p, times, interval)

    # -- attempt budget ----------------------------------------------------------------------------

    @rule()
    def take(self) -> None:
        before = self.budget.remaining
        took = self.budget.take()
        assert took == (before > 0), (took, before)
        if took:
            self.granted += 1

    @rule()
    def new_request(self) -> None:
        self.budget = self.router.attempt_budget()
        self.granted = 0

    @invariant()
    def budget_capped(self) -> None:
        assert self.granted <= self.router.config.max_attempts
        assert self.budget.remaining == self.router.config.max_attempts - self.granted
        assert isinstance(self.budget, AttemptBudget)


TestRouterMachine = RouterMachine.TestCase
TestRouterMachine.settings = settings(
    max_examples=250,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
