"""Retry decisions: exponential backoff with jitter, Retry-After, and a retry budget.

Pure: no I/O, no clock.  Time comes in as ``now``, randomness as a passed
``random.Random``; ``decide`` only decides — the caller records each attempt it
makes with ``RetryBudget.record_attempt``.

The budget is what keeps a 429 storm from turning into a bigger one: within any
``budget_window_s``, retries stay <= ``budget_min_retries + budget_ratio x first
attempts`` (checked when a retry is granted), as in Envoy/Finagle retry budgets.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass

from ..outcomes import ProviderFailure
from ._validate import check_fraction, check_int, check_number

__all__ = ["RetryBudget", "RetryConfig", "RetryDecision", "RetryPolicy"]

#: Exponent cap: past it the backoff is pinned at max_delay_s anyway, and pow() must not overflow.
_MAX_EXPONENT = 64


@dataclass(frozen=True, slots=True)
class RetryConfig:
    max_retries: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    multiplier: float = 2.0
    jitter: float = 1.0
    respect_retry_after: bool = True
    max_retry_after_s: float = 60.0
    budget_ratio: float = 0.2
    budget_window_s: float = 60.0
    budget_min_retries: int = 3

    def __post_init__(self) -> None:
        owner = "RetryConfig"
        check_int(owner, "max_retries", self.max_retries)
        check_number(owner, "base_delay_s", self.base_delay_s)
        check_number(owner, "max_delay_s", self.max_delay_s)
        if self.max_delay_s < self.base_delay_s:
            raise ValueError(
                f"{owner}.max_delay_s ({self.max_delay_s}) must be >= base_delay_s ({self.base_delay_s})"
            )
        check_number(owner, "multiplier", self.multiplier, minimum=1.0, maximum=100.0)
        check_fraction(owner, "jitter", self.jitter, allow_zero=True)
        if not isinstance(self.respect_retry_after, bool):
            raise ValueError(
                f"{owner}.respect_retry_after must be true or false, got {self.respect_retry_after!r}"
            )
        check_number(owner, "max_retry_after_s", self.max_retry_after_s)
        check_number(owner, "budget_ratio", self.budget_ratio)
        check_number(owner, "budget_window_s", self.budget_window_s, open_min=True)
        check_int(owner, "budget_min_retries", self.budget_min_retries)


@dataclass(frozen=True, slots=True)
class RetryDecision:
    retry: bool
    delay_s: float
    reason: str


class RetryBudget:
    """Sliding-window count of first attempts and retries."""

    __slots__ = ("_firsts", "_retries", "config")

    def __init__(self, config: RetryConfig | None = None) -> None:
        self.config = config if config is not None else RetryConfig()
        self._firsts: deque[float] = deque()
        self._retries: deque[float] = deque()

    def record_attempt(self, now: float, is_retry: bool) -> None:
        (self._retries if is_retry else self._firsts).append(now)
        # pruned here as well: a run without retries never asks ``can_retry``, and its log kept every
        # attempt's time for as long as the gateway ran (11 MiB of a 24 h twin run's peak, cache on)
        self._prune(now)

    def can_retry(self, now: float) -> bool:
        self._prune(now)
        cfg = self.config
        return len(self._retries) + 1 <= cfg.budget_min_retries + cfg.budget_ratio * len(self._firsts)

    def counts(self, now: float) -> tuple[int, int]:
        """(first attempts, retries) in the window ending at ``now``."""
        self._prune(now)
        return len(self._firsts), len(self._retries)

    def _prune(self, now: float) -> None:
        horizon = now - self.config.budget_window_s
        for log in (self._firsts, self._retries):
            while log and log[0] <= horizon:
                log.popleft()


class RetryPolicy:
    __slots__ = ("budget", "config")

    def __init__(self, config: RetryConfig, budget: RetryBudget) -> None:
        self.config = config
        self.budget = budget

    def backoff(self, retries_done: int, rng: random.Random) -> float:
        """The jittered exponential delay before retry number ``retries_done + 1``."""
        cfg = self.config
        ceiling = min(cfg.max_delay_s, cfg.base_delay_s * cfg.multiplier ** min(retries_done, _MAX_EXPONENT))
        # jitter=1 is AWS "full jitter": uniform over [0, ceiling]; jitter=0 is the plain ceiling.
        return ceiling * (1.0 - cfg.jitter * rng.random())

    def decide(
        self,
        failure: ProviderFailure,
        retries_done: int,
        now: float,
        rng: random.Random,
        max_retries: int | None = None,
    ) -> RetryDecision:
        """Retry ``failure`` or not.  ``max_retries`` overrides the config (conservation mode: 5)."""
        if isinstance(retries_done, bool) or not isinstance(retries_done, int) or retries_done < 0:
            raise ValueError(
                f"RetryPolicy.decide: retries_done must be an integer >= 0, got {retries_done!r}"
            )
        cfg = self.config
        limit = cfg.max_retries if max_retries is None else max_retries
        if failure.permanent:
            return RetryDecision(False, 0.0, f"{failure.kind.value} is permanent: retrying cannot fix it")
        if retries_done >= limit:
            return RetryDecision(False, 0.0, f"max retries reached ({retries_done}/{limit})")
        retry_after = failure.retry_after_s if cfg.respect_retry_after else None
        if retry_after is not None and retry_after > cfg.max_retry_after_s:
            return RetryDecision(
                False,
                0.0,
                f"Retry-After {retry_after:g}s exceeds max_retry_after_s {cfg.max_retry_after_s:g}s: "
                f"fail over instead of waiting",
            )
        if not self.budget.can_retry(now):
            firsts, retries = self.budget.counts(now)
            return RetryDecision(
                False,
                0.0,
                f"retry budget exhausted ({retries} retries vs {firsts} first attempts "
                f"in {cfg.budget_window_s:g}s)",
            )
        delay = self.backoff(retries_done, rng)
        if retry_after is not None and retry_after > delay:
            return RetryDecision(True, retry_after, f"honouring Retry-After {retry_after:g}s")
        return RetryDecision(True, delay, f"backoff {delay:.3f}s before retry {retries_done + 1}/{limit}")
