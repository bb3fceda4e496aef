"""RetryBudget + RetryPolicy as a hypothesis state machine.

The budget promise is checked where the budget enforces it: in the window of
``budget_window_s`` that ends at each granted retry (a window ending later can
lose the first attempts that paid for an earlier retry, by design).
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from gateway.outcomes import PERMANENT_KINDS, FailureKind, ProviderFailure
from gateway.policy.retry import RetryBudget, RetryConfig, RetryPolicy

configs = st.builds(
    RetryConfig,
    max_retries=st.integers(0, 5),
    base_delay_s=st.sampled_from([0.0, 0.1, 0.5, 2.0]),
    max_delay_s=st.sampled_from([2.0, 8.0, 10.0]),
    multiplier=st.sampled_from([1.0, 2.0, 3.5]),
    jitter=st.sampled_from([0.0, 0.5, 1.0]),
    respect_retry_after=st.booleans(),
    max_retry_after_s=st.sampled_from([0.0, 5.0, 30.0]),
    budget_ratio=st.sampled_from([0.0, 0.1, 0.2, 1.0]),
    budget_window_s=st.sampled_from([1.0, 10.0, 60.0]),
    budget_min_retries=st.integers(0, 4),
)

failures = st.builds(
    ProviderFailure,
    provider=st.just("qwen"),
    kind=st.sampled_from(list(FailureKind)),
    message=st.just("drawn"),
    retry_after_s=st.one_of(st.none(), st.floats(0.0, 60.0)),
)


class RetryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.cfg = RetryConfig()
        self.budget = RetryBudget(self.cfg)
        self.policy = RetryPolicy(self.cfg, self.budget)
        self.rng = random.Random(0)
        self.now = 0.0
        self.firsts: list[float] = []
        self.retries: list[float] = []
        self.in_request = False
        self.retries_done = 0
        self.limit = self.cfg.max_retries
        self.limit_override: int | None = None

    @initialize(cfg=configs, seed=st.integers(0, 2**32 - 1))
    def setup(self, cfg: RetryConfig, seed: int) -> None:
        self.cfg = cfg
        self.budget = RetryBudget(cfg)
        self.policy = RetryPolicy(cfg, self.budget)
        self.rng = random.Random(seed)
        self.limit = cfg.max_retries

    @rule(dt=st.floats(0.0, 90.0))
    def advance(self, dt: float) -> None:
        self.now += dt

    @rule(conservation=st.booleans())
    def first_attempt(self, conservation: bool) -> None:
        # A new user request: its first call always goes out and always counts.
        self.budget.record_attempt(self.now, is_retry=False)
        self.firsts.append(self.now)
        self.in_request = True
        self.retries_done = 0
        self.limit_override = 5 if conservation else None
        self.limit = self.cfg.max_retries if self.limit_override is None else self.limit_override

    @precondition(lambda self: self.in_request)
    @rule(failure=failures, wait=st.booleans())
    def fail(self, failure: ProviderFailure, wait: bool) -> None:
        can = self.budget.can_retry(self.now)
        decision = self.policy.decide(failure, self.retries_done, self.now, self.rng, self.limit_override)
        assert decision.reason
        ra = failure.retry_after_s if self.cfg.respect_retry_after else None
        if failure.kind in PERMANENT_KINDS:
            assert not decision.retry, (failure, decision)
        if self.retries_done >= self.limit:
            assert not decision.retry, (self.retries_done, self.limit, decision)
        if ra is not None and ra > self.cfg.max_retry_after_s:
            assert not decision.retry, (failure, decision)
        if not can:
            assert not decision.retry, decision
        if not decision.retry:
            assert decision.delay_s == 0.0
            return
        assert decision.delay_s >= 0.0
        if ra is not None:
            assert decision.delay_s >= ra, (decision, ra)
        assert decision.delay_s <= max(self.cfg.max_delay_s, ra or 0.0), (decision, self.cfg)
        # A granted retry: optionally sleep through the delay first, then the retry is recorded.
        if wait:
            self.now += decision.delay_s
        if self.budget.can_retry(self.now):
            self.budget.record_attempt(self.now, is_retry=True)
            self.retries.append(self.now)
            self.retries_done += 1

    @rule()
    def success(self) -> None:
        self.in_request = False

    @invariant()
    def never_past_max_retries(self) -> None:
        assert self.retries_done <= max(self.limit, 0)

    @invariant()
    def budget_holds_at_each_retry(self) -> None:
        cfg = self.cfg
        w = cfg.budget_window_s
        for r in self.retries:
            # RetryBudget keeps t when t > now - window: the same float expression here.
            retries = sum(1 for t in self.retries if r - w < t <= r)
            firsts = sum(1 for t in self.firsts if r - w < t <= r)
            assert retries <= cfg.budget_min_retries + cfg.budget_ratio * firsts, (r, retries, firsts, cfg)

    @invariant()
    def counts_match_model(self) -> None:
        w = self.cfg.budget_window_s
        firsts = sum(1 for t in self.firsts if t > self.now - w)
        retries = sum(1 for t in self.retries if t > self.now - w)
        assert self.budget.counts(self.now) == (firsts, retries)


TestRetryMachine = RetryMachine.TestCase
TestRetryMachine.settings = settings(
    max_examples=250,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
