"""Provider choice: weighted among the healthy, passive health, rationed active probes.

Pure: no I/O, no clock.  ``choose`` reads breaker state but never takes a permit:
the caller calls ``try_acquire`` right before the call it makes.

Health is passive — an EWMA of errors and of latency fed by ``record`` — plus
active probes that ``due_probes`` hands out at most once per ``probe_interval_s``
per provider, only for providers that are unhealthy or half-open (the runbook's
``check_all_providers`` probed every provider on every request).
The runbook's ``route()`` recursed without bound; ``AttemptBudget`` is the hard cap.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ._validate import check_fraction, check_int, check_number
from .breaker import BreakerState, CircuitBreaker

__all__ = ["AttemptBudget", "ProviderHealth", "Router", "RouterConfig"]


_REFUSING = frozenset({BreakerState.OPEN, BreakerState.FORCED_OPEN})


def _default_weights() -> Mapping[str, float]:
    return MappingProxyType({"qwen": 0.7, "claude": 0.2, "openai": 0.1})


@dataclass(frozen=True, slots=True)
class RouterConfig:
    weights: Mapping[str, float] = field(default_factory=_default_weights)
    max_attempts: int = 4
    probe_interval_s: float = 30.0
    ewma_alpha: float = 0.2
    unhealthy_error_rate: float = 0.5
    unhealthy_latency_s: float = 8.0
    override: str | None = None

    def __post_init__(self) -> None:
        owner = "RouterConfig"
        if not isinstance(self.weights, Mapping) or not self.weights:
            raise ValueError(f"{owner}.weights must be a non-empty mapping of provider -> weight")
        for name, weight in self.weights.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"{owner}.weights: provider names must be non-empty strings, got {name!r}")
            check_number(owner, f"weights[{name!r}]", weight)
        if not any(w > 0 for w in self.weights.values()):
            raise ValueError(f"{owner}.weights: at least one provider needs a weight > 0")
        # Frozen means frozen: keep a read-only copy, not the caller's dict.
        object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))
        check_int(owner, "max_attempts", self.max_attempts, minimum=1)
        check_number(owner, "probe_interval_s", self.probe_interval_s, open_min=True)
        check_fraction(owner, "ewma_alpha", self.ewma_alpha)
        check_fraction(owner, "unhealthy_error_rate", self.unhealthy_error_rate)
        check_number(owner, "unhealthy_latency_s", self.unhealthy_latency_s, open_min=True)
        if self.override is not None and self.override not in self.weights:
            raise ValueError(
                f"{owner}.override {self.override!r} is not a configured provider "
                f"(known: {', '.join(sorted(self.weights))})"
            )


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    state: BreakerState
    error_rate: float
    latency_s: float
    healthy: bool
    samples: int = 0


class AttemptBudget:
    """The hard cap on provider calls for one user request (retries x failovers)."""

    __slots__ = ("max_attempts", "used")

    def __init__(self, max_attempts: int) -> None:
        check_int("AttemptBudget", "max_attempts", max_attempts, minimum=1)
        self.max_attempts = max_attempts
        self.used = 0

    def take(self) -> bool:
        if self.used >= self.max_attempts:
            return False
        self.used += 1
        return True

    @property
    def remaining(self) -> int:
        return self.max_attempts - self.used


class _Health:
    __slots__ = ("error", "last_probe", "latency", "samples")

    def __init__(self) -> None:
        self.error = 0.0
        self.latency = 0.0
        self.samples = 0
        self.last_probe: float | None = None


class Router:
    __slots__ = ("_breakers", "_health", "_order", "_override", "_weights", "config", "last_choice_reason")

    def __init__(self, config: RouterConfig, breakers: Mapping[str, CircuitBreaker]) -> None:
        missing = [p for p in config.weights if p not in breakers]
        if missing:
            raise ValueError(f"Router: no circuit breaker for provider(s) {', '.join(missing)}")
        self.config = config
        self._order: tuple[str, ...] = tuple(config.weights)
        #: ``config.weights`` as a plain dict: read ~8 times a ``choose``, and a read-only proxy's
        #: lookup costs half as much again (the config is frozen, so the copy cannot go stale)
        self._weights: dict[str, float] = dict(config.weights)
        self._breakers = {p: breakers[p] for p in self._order}
        self._health = {p: _Health() for p in self._order}
        self._override = config.override
        #: Why the last ``choose`` picked what it did: "override", "weighted", "least-bad", "none";
        #: prefixed "override-bypassed(<provider> <state>):" when the override's breaker refused.
        self.last_choice_reason = ""

    @property
    def providers(self) -> tuple[str, ...]:
        return self._order

    @property
    def override(self) -> str | None:
        return self._override

    def set_override(self, provider: str | None) -> None:
        if provider is not None and provider not in self._health:
            raise ValueError(
                f"Router.set_override: unknown provider {provider!r} (known: {', '.join(self._order)})"
            )
        self._override = provider

    def attempt_budget(self) -> AttemptBudget:
        return AttemptBudget(self.config.max_attempts)

    # -- choosing ------------------------------------------------------------------------------

    def choose(self, now: float, rng: random.Random, exclude: Collection[str] = ()) -> str | None:
        prefix = ""
        override = self._override
        if override is not None and override not in exclude:
            breaker = self._breakers[override]
            if breaker.would_admit(now):
                self.last_choice_reason = "override"
                return override
            prefix = f"override-bypassed({override} {breaker.state(now).value}):"
        # One pass in provider order: each breaker is asked ``would_admit`` once, in the same order as
        # before (a lazy OPEN -> HALF_OPEN transition fires there); its ``state`` after that is a read.
        breakers = self._breakers
        weights = self._weights
        admitting: list[str] = []
        healthy: list[str] = []
        for p in self._order:
            if p in exclude:
                continue
            breaker = breakers[p]
            if not breaker.would_admit(now):
                continue
            admitting.append(p)
            # A HALF_OPEN breaker that still admits takes its weighted share as trial calls (bounded by
            # the breaker's probe permits), as resilience4j's half-open state does: passive health
            # alone would starve it of the very calls that can close it.
            if weights[p] > 0 and (self._is_healthy(p) or breaker.state(now) is BreakerState.HALF_OPEN):
                healthy.append(p)
        if not admitting:
            self.last_choice_reason = prefix + "none"
            return None
        if healthy:
            self.last_choice_reason = prefix + "weighted"
            return self._weighted(healthy, rng)
        # Nobody healthy: the least bad that its breaker still lets through, errors first.
        self.last_choice_reason = prefix + "least-bad"
        return min(admitting, key=self._badness)

    def can_offer(self, now: float, exclude: Collection[str] = ()) -> bool:
        """Whether ``choose`` would name a provider, without drawing from a generator.

        ``choose`` answers None only when no provider outside ``exclude`` is admitted by its breaker
        (an override whose breaker refuses falls back to the same list).
        """
        breakers = self._breakers
        return any(p not in exclude and breakers[p].would_admit(now) for p in self._order)

    def _weighted(self, candidates: list[str], rng: random.Random) -> str:
        weights = self._weights
        total = 0.0
        for p in candidates:
            total += weights[p]
        point = rng.random() * total
        for p in candidates:
            point -= weights[p]
            if point < 0.0:
                return p
        return candidates[-1]  # float round-off at the very top of the range

    def _badness(self, provider: str) -> tuple[float, float]:
        h = self._health[provider]
        return (h.error, h.latency)

    def _is_healthy(self, provider: str) -> bool:
        h = self._health[provider]
        cfg = self.config
        return h.error < cfg.unhealthy_error_rate and h.latency < cfg.unhealthy_latency_s

    # -- feedback ------------------------------------------------------------------------------

    def record(self, provider: str, now: float, ok: bool, latency_s: float) -> None:
        h = self._health.get(provider)
        if h is None:
            known = ", ".join(self._order)
            raise ValueError(f"Router.record: unknown provider {provider!r} (known: {known})")
        if not latency_s >= 0.0:
            raise ValueError(f"Router.record({provider!r}): latency_s must be >= 0, got {latency_s!r}")
        alpha = self.config.ewma_alpha
        error = 0.0 if ok else 1.0
        if h.samples == 0:
            # Seed from the first sample: a cold EWMA at 0 s would call a 30 s provider healthy.
            h.latency = latency_s
            h.error = error * alpha
        else:
            h.latency += alpha * (latency_s - h.latency)
            h.error += alpha * (error - h.error)
        h.samples += 1

    def forget(self, provider: str) -> None:
        """Drop a provider's passive health, e.g. once its breaker closed on fresh successes."""
        if provider not in self._health:
            raise ValueError(f"Router.forget: unknown provider {provider!r}")
        last_probe = self._health[provider].last_probe
        self._health[provider] = _Health()
        self._health[provider].last_probe = last_probe

    def record_probe(self, provider: str, now: float, ok: bool, latency_s: float) -> None:
        self.record(provider, now, ok, latency_s)
        self._health[provider].last_probe = now

    def due_probes(self, now: float) -> list[str]:
        """Providers to probe now; each is handed out at most once per ``probe_interval_s``."""
        interval = self.config.probe_interval_s
        due: list[str] = []
        for p in self._order:
            h = self._health[p]
            if h.last_probe is not None and now < h.last_probe + interval:
                continue
            breaker = self._breakers[p]
            state = breaker.state(now)
            # An OPEN/FORCED_OPEN breaker refuses the probe anyway; its own timer brings it to half-open.
            if not breaker.would_admit(now):
                continue
            if state is BreakerState.HALF_OPEN or not self._is_healthy(p):
                h.last_probe = now
                due.append(p)
        return due

    def health(self, now: float) -> dict[str, ProviderHealth]:
        out: dict[str, ProviderHealth] = {}
        for p in self._order:
            h = self._health[p]
            state = self._breakers[p].state(now)
            out[p] = ProviderHealth(
                state=state,
                error_rate=h.error,
                latency_s=h.latency,
                healthy=self._is_healthy(p) and state not in _REFUSING,
                samples=h.samples,
            )
        return out
