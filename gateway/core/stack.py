"""The gateway's shared policy state, built from one ``GatewayConfig``.

Pure: no I/O.  Time comes from the injected ``Clock``.  Randomness: a user
request with an id draws its router picks and retry jitter from ``step_rng``, a
generator keyed by the request and the LLM step, so the live gateway and the
twin draw the same numbers for it however the other requests interleave; the
rest (requests without an id, such as gold probes) share ``rng``.  Both
interpreters (asyncio and SimPy) build a ``Stack`` and run the flows of
``llm_flow`` and ``pipeline`` against it, so every decision the twin makes is
the decision the live gateway would make.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, replace

from units.keyed_random import STREAM_ROUTE, keyed_rng

from ..clock import Clock
from ..config import GatewayConfig
from ..outcomes import Completion, FailureKind, ProviderFailure, RateLimitSnapshot
from ..policy.breaker import BreakerConfig, BreakerState, BreakerTransition, CircuitBreaker
from ..policy.limiter import LimiterConfig, RateLimitQueue
from ..policy.modes import CONSERVATION, NORMAL, ModeChange, ModeConfig, ModeController, ModeProfile, Modes
from ..policy.retry import RetryBudget, RetryConfig, RetryPolicy
from ..policy.router import Router, RouterConfig
from ..policy.similarity import SimilarityIndex
from .gold_probe import GoldCase, GoldProbe
from .observer import CallEvent, NullObserver, Observer, StateEvent


@dataclass(frozen=True, slots=True)
class ModeView:
    conservation: bool
    degraded: bool
    settings: ModeProfile


class Stack:
    """Breakers, router, limiters, retry budget, modes and cache index of one gateway."""

    def __init__(
        self,
        config: GatewayConfig,
        clock: Clock,
        observer: Observer | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.observer: Observer = observer if observer is not None else NullObserver()
        self.rng = rng if rng is not None else random.Random(config.seed)
        self._step_seeds: dict[str, int] = {}
        scaled = config.scaled   # every duration of the config, in run seconds
        self.providers = tuple(name for name, p in config.providers.items() if p.enabled)
        breaker = config.breaker
        breaker_config = BreakerConfig(
            mode=breaker.mode,
            failure_threshold=breaker.failure_threshold,
            recovery_timeout_s=scaled(breaker.recovery_timeout),
            half_open_max_probes=breaker.half_open_probes,
            half_open_successes_to_close=min(breaker.half_open_successes, breaker.half_open_probes),
            window_size=breaker.window_size,
            minimum_calls=breaker.minimum_calls,
            failure_rate_threshold=breaker.failure_rate,
            slow_call_duration_s=scaled(breaker.slow_call_duration),
            slow_call_rate_threshold=breaker.slow_call_rate,
        )
        # breaker.count_rate_limits: a retryable 429 trips the breaker, or is ignored by it
        self._ignore_rate_limits = not breaker.count_rate_limits
        self.breakers = {
            name: CircuitBreaker(name, breaker_config, on_transition=self._on_breaker)
            for name in self.providers
        }
        router = config.router
        self.router = Router(
            RouterConfig(
                weights={name: config.providers[name].weight for name in self.providers},
                max_attempts=router.max_attempts,
                ewma_alpha=router.ewma_alpha,
                probe_interval_s=scaled(router.probe_interval),
                unhealthy_error_rate=router.unhealthy_error_rate,
                unhealthy_latency_s=scaled(router.unhealthy_latency),
                override=config.provider if config.provider in self.providers else None,
            ),
            self.breakers,
        )
        self.limiters: dict[str, RateLimitQueue] = {}
        for name in self.providers:
            provider = config.providers[name]
            if provider.rpm is not None or provider.tpm is not None:
                # rpm/tpm are read as written: per minute of run time (a compressed run's harness hands
                # them over already multiplied by 1/time_scale, drill/live/plan.py).  The one-minute
                # window is a duration and is scaled like every other, so it holds rpm * window / 60
                # calls: with run-unit rates, as many as the scenario's minute.
                window = scaled(60.0)
                self.limiters[name] = RateLimitQueue(
                    LimiterConfig(
                        rpm=None if provider.rpm is None else max(1, round(provider.rpm * window / 60.0)),
                        tpm=None if provider.tpm is None else max(1, round(provider.tpm * window / 60.0)),
                        window_s=window,
                        max_queue=config.queue.max_depth,
                        max_wait_s=scaled(config.queue.max_wait),
                    )
                )
        self.retry_budget = RetryBudget(self._retry_config(config.retries.max))
        self._retry_normal = RetryPolicy(self._retry_config(config.retries.max), self.retry_budget)
        self._retry_conservation = RetryPolicy(
            self._retry_config(CONSERVATION.max_retries), self.retry_budget
        )
        auto_modes = config.auto_modes
        self.modes = ModeController(
            ModeConfig(
                auto=config.conservation.auto or config.degraded.auto,
                window_s=scaled(auto_modes.window),
                hold_s=scaled(auto_modes.hold),
                min_samples=auto_modes.min_samples,
            ),
            on_change=self._on_mode,
        )
        self._auto_conservation = config.conservation.auto
        self._auto_degraded = config.degraded.auto
        now = clock.now()
        self.modes.set_manual(
            now,
            conservation=True if config.conservation.enabled else (None if config.conservation.auto else False),
            degraded=True if config.degraded.enabled else (None if config.degraded.auto else False),
        )
        self.similarity = SimilarityIndex(config.cache.max_entries)
        self.quota: dict[str, RateLimitSnapshot] = {}
        #: providers whose latest call was a retryable 429: a breaker they tripped is open because of
        #: rate limits, and a client refused by it gets 429, not 503
        self.rate_limited: set[str] = set()
        self.call_timeout_s = {
            name: scaled(config.providers[name].timeout or config.timeout) for name in self.providers
        }
        self.deadline_s = scaled(config.deadline)
        gold = config.gold_probe
        self.gold_probe = GoldProbe(
            (GoldCase(case.prompt, case.reference_date, case.contacto,
                      case.fecha.isoformat() if case.fecha else None, case.hora)
             for case in gold.cases),
            interval_s=scaled(gold.interval), window_s=scaled(gold.window))
        # Normal mode's TTL and retries are the config's (the runbook's 300 s and 3 by default);
        # conservation mode's are the runbook's fixed values.
        self.normal = replace(NORMAL, cache_ttl_s=config.cache.ttl, max_retries=config.retries.max)
        self._view_of: Modes | None = None   # the modes ``_view`` was made from (``mode_view``)
        self._view = ModeView(False, False, self.normal)

    # -- configuration views ------------------------------------------------

    def _retry_config(self, max_retries: int) -> RetryConfig:
        retries = self.config.retries
        scaled = self.config.scaled
        return RetryConfig(
            max_retries=max_retries,
            base_delay_s=scaled(retries.base_delay),
            max_delay_s=scaled(retries.max_delay),
            max_retry_after_s=scaled(retries.max_retry_after),
            budget_ratio=retries.budget,
            budget_window_s=scaled(retries.budget_window),
            budget_min_retries=retries.budget_min_retries,
        )

    def mode_view(self, now: float) -> ModeView:
        modes: Modes = self.modes.state(now)
        # ``state`` hands out one interned ``Modes`` per value, and the view is a pure function of it (the
        # auto flags and ``normal`` are fixed at construction): while the modes stay, so does the view.
        if modes is self._view_of:
            return self._view
        conservation = modes.conservation if (self._auto_conservation or modes.conservation_source == "manual") \
            else False
        degraded = modes.degraded if (self._auto_degraded or modes.degraded_source == "manual") else False
        self._view = ModeView(conservation, degraded, CONSERVATION if conservation else self.normal)
        self._view_of = modes
        return self._view

    def retry_policy(self, conservation: bool) -> RetryPolicy:
        return self._retry_conservation if conservation else self._retry_normal

    def step_rng(self, request_id: int, step: str) -> random.Random:
        """The generator of one LLM step (``step``: its task, e.g. the cache spec's) of request ``request_id``.

        A pure function of the config's seed, the step and the request id, so the request's draws do
        not depend on how many other requests were served before it.  The step salts the seed: the
        pipeline's parse and negotiation steps of one request draw apart.
        """
        seed = self._step_seeds.get(step)
        if seed is None:
            salt = int.from_bytes(hashlib.blake2b(step.encode("utf-8"), digest_size=8).digest(), "big")
            seed = self.config.seed ^ salt
            if len(self._step_seeds) < 1024:   # steps are a handful of task names; a client's model name is one
                self._step_seeds[step] = seed
        return keyed_rng(seed, STREAM_ROUTE, request_id)

    # -- what happened -------------------------------------------------------

    def record_call(
        self,
        provider: str,
        started_at: float,
        finished_at: float,
        result: Completion | ProviderFailure,
        probe: bool = False,
        request_id: int | None = None,
    ) -> None:
        """Feed one finished upstream call to every policy that learns from it."""
        latency = finished_at - started_at
        breaker = self.breakers[provider]
        status: int | None
        # One branch per kind of result, each doing what the policies learn in the same order: rate-limited
        # set, quota, breaker (then router, modes and the observer below).
        if isinstance(result, Completion):
            ok, label, status, rate_limited = True, "ok", 200, False
            self.rate_limited.discard(provider)
            if result.rate_limits is not None:
                self.quota[provider] = result.rate_limits
            breaker.on_success(finished_at, latency)
        else:
            kind = result.kind
            ok, label, status = False, kind.value, result.status
            rate_limited = kind in (FailureKind.RATE_LIMITED, FailureKind.QUOTA_EXHAUSTED)
            if kind is FailureKind.RATE_LIMITED:
                self.rate_limited.add(provider)
            else:
                self.rate_limited.discard(provider)
            if result.rate_limits is not None:
                self.quota[provider] = result.rate_limits
            # A 4xx of our own making says nothing about the provider's health.
            if kind is FailureKind.CLIENT_ERROR:
                breaker.on_success(finished_at, latency)
            elif self._ignore_rate_limits and kind is FailureKind.RATE_LIMITED:
                breaker.on_ignored(finished_at, latency)
            else:
                breaker.on_failure(finished_at, latency)
        if probe:
            self.router.record_probe(provider, finished_at, ok, latency)
        else:
            self.router.record(provider, finished_at, ok, latency)
            self.modes.observe(finished_at, ok, latency, rate_limited)
        self.observer.on_call(CallEvent(provider, started_at, latency, label, status, probe, request_id))

    def _on_breaker(self, t: BreakerTransition) -> None:
        if t.to_state is BreakerState.CLOSED and t.from_state is BreakerState.HALF_OPEN:
            # the half-open trials just proved the provider healthy: stale EWMA must not keep it out
            self.router.forget(t.provider)
        self.observer.on_state(
            StateEvent(
                t.at,
                "breaker",
                {"provider": t.provider, "from_state": str(t.from_state), "to_state": str(t.to_state),
                 "reason": t.reason},
            )
        )

    def _on_mode(self, change: ModeChange) -> None:
        detail = {k: (str(v) if not isinstance(v, bool | int | float | type(None)) else v)
                  for k, v in _fields(change).items()}
        self.observer.on_state(StateEvent(getattr(change, "at", self.clock.now()), "mode", detail))


def _fields(obj: object) -> dict[str, object]:
    names = getattr(obj, "__slots__", None) or getattr(obj, "__dataclass_fields__", {})
    return {n: getattr(obj, n) for n in names}
