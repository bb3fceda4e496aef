"""The ``load:`` section of a scenario: open-model stages of arrival rates and the prompts they send.

(Reading a file is ``scenarios.loader``; sending this load is ``drill/load`` and the twin.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Load", "Prompts", "Stage"]


@dataclass(frozen=True, slots=True)
class Stage:
    """Until ``until_s`` (from the start of the run) users arrive at ``rate`` requests per second.

    Scenario units in a loaded scenario, run units in ``Scenario.scaled()``.
    """

    until_s: float
    rate: float


@dataclass(frozen=True, slots=True)
class Prompts:
    """Which prompts the load sends: the gold corpus of docs/contracts.md §3, generated from ``seed``."""

    corpus: str = "appointments-es"
    seed: int = 0
    n: int = 1000


@dataclass(frozen=True, slots=True)
class Load:
    """Open-model load: arrivals follow the stages whether or not earlier requests have finished."""

    stages: tuple[Stage, ...]
    model: Literal["open"] = "open"
    arrival: Literal["poisson", "uniform"] = "poisson"
    prompts: Prompts = field(default_factory=Prompts)
    endpoint: Literal["parse", "chat"] = "parse"
    client_timeout_s: float = 30.0

    def rate_at(self, t: float) -> float:
        """The arrival rate at run time ``t`` (0 after the last stage)."""
        for stage in self.stages:
            if t < stage.until_s:
                return stage.rate
        return 0.0

    def expected_requests(self) -> float:
        """Mean number of requests the stages send (the integral of the rate)."""
        total, start = 0.0, 0.0
        for stage in self.stages:
            total += stage.rate * (stage.until_s - start)
            start = stage.until_s
        return total
