"""The parsed form of an expectation: frozen, slotted values, compared by value (the AST).

Durations are seconds and percentages fractions, whatever unit the line was written in.
``reports.expect`` gives each node its meaning against the records of a run.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "After",
    "AlertFires",
    "AlertNeverFires",
    "Before",
    "BreakerEnds",
    "BreakerNeverOpens",
    "BreakerOpens",
    "Comparison",
    "During",
    "DuringFault",
    "Expectation",
    "Metric",
    "Ratio",
    "RecoveryPasses",
    "Window",
]


@dataclass(frozen=True, slots=True)
class During:
    start_s: float
    end_s: float

    def __post_init__(self) -> None:
        if self.end_s < self.start_s:
            raise ValueError(f"window [{self.start_s}, {self.end_s}] ends before it starts")


@dataclass(frozen=True, slots=True)
class DuringFault:
    index: int


@dataclass(frozen=True, slots=True)
class After:
    t_s: float


@dataclass(frozen=True, slots=True)
class Before:
    t_s: float


Window = During | DuringFault | After | Before


@dataclass(frozen=True, slots=True)
class Metric:
    name: str  # "p95", "rate", "calls", "severity.max", ...
    arg: str | None = None  # "latency", "failed", "qwen", ...
    window: Window | None = None


@dataclass(frozen=True, slots=True)
class Ratio:
    numerator: Metric
    denominator: Metric


@dataclass(frozen=True, slots=True)
class Comparison:
    left: Metric | Ratio
    op: str
    value: float | str  # seconds / fraction / number, or a severity literal


@dataclass(frozen=True, slots=True)
class AlertFires:
    rule: str
    within_s: float | None = None
    fault: int | None = None  # None with within_s: the first fault (or the run's start)
    window: Window | None = None


@dataclass(frozen=True, slots=True)
class AlertNeverFires:
    rule: str
    window: Window | None = None


@dataclass(frozen=True, slots=True)
class BreakerOpens:
    provider: str
    within_s: float | None = None
    fault: int | None = None


@dataclass(frozen=True, slots=True)
class BreakerNeverOpens:
    provider: str


@dataclass(frozen=True, slots=True)
class BreakerEnds:
    provider: str
    state: str


@dataclass(frozen=True, slots=True)
class RecoveryPasses:
    pass


Expectation = (
    Comparison
    | AlertFires
    | AlertNeverFires
    | BreakerOpens
    | BreakerNeverOpens
    | BreakerEnds
    | RecoveryPasses
)
