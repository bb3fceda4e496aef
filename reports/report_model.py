"""The report of one run, as a frozen model: what the writers render, computed once (``reports.report``
computes it; its docstring says what each figure counts).

Pure data: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .correctness import Correctness
from .evaluation import Evaluation
from .expect import ExpectationResult
from .harness import HarnessSummary
from .runinfo import RunInfo
from .series import Series
from .severity import SeverityTimeline

__all__ = ["AlertSummary", "Amplification", "Conservation", "LatencySummary", "Report", "RequestCounts"]


@dataclass(frozen=True, slots=True)
class RequestCounts:
    total: int
    sent: int
    succeeded: int
    failed: int
    lost: int  # sent and never resolved
    lost_total: int  # every record with outcome lost, sent or not
    unsent: int
    fallback: int
    degraded: int
    cache_hits: int
    shed: int = 0  # the gateway refused them (429); also in failed
    harness_errors: int = 0  # the client failed, not the stack; also in failed


@dataclass(frozen=True, slots=True)
class LatencySummary:
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None
    samples: int = 0  # timed requests (answered, or given up on at the client timeout)


@dataclass(frozen=True, slots=True)
class AlertSummary:
    rule: str
    metric: str
    severity: str
    condition: str
    window_s: float
    fired: bool
    status: str  # "fired" | "did not fire" | "no data"
    note: str  # why, where the bare verdict would mislead ("" otherwise)
    first_fired_s: float | None
    intervals: tuple[tuple[float, float], ...]
    time_to_detect_s: tuple[tuple[int, float | None], ...]  # (fault index, seconds or None)
    asserted: bool  # some expectation names this rule
    origin: str = "runbook"  # "runbook": one of its ten; "addition": the harness's proposal (issue 13)


@dataclass(frozen=True, slots=True)
class Conservation:
    holds: bool
    sent: int
    accounted: int
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Amplification:
    total: float | None
    by_provider: tuple[tuple[str, float | None], ...]
    over_time: tuple[tuple[float, float | None], ...]


@dataclass(frozen=True, slots=True)
class Report:
    info: RunInfo
    end_s: float
    passed: bool
    requests: RequestCounts
    latency: LatencySummary
    alerts: tuple[AlertSummary, ...]
    severity: SeverityTimeline
    expectations: tuple[ExpectationResult, ...]
    amplification: Amplification
    conservation: Conservation
    evaluation: Evaluation
    series: Series
    harness: HarnessSummary
    data_problems: tuple[str, ...] = ()
    correctness: Correctness | None = None
    severity_other: SeverityTimeline | None = None  # the other reading of "failed" (``severity.reading``)
    # every rate the expectations name, as written ("rate(correct) after 2m") -> value (None: undefined)
    rates: tuple[tuple[str, float | None], ...] = ()
    # a real Prometheus's alerts beside the harness's (prometheus-compare.json of ``run --prometheus``,
    # ``reports.promcompare``); None when the run had none
    prometheus: Mapping[str, Any] | None = None

    @property
    def failed_expectations(self) -> tuple[ExpectationResult, ...]:
        return tuple(e for e in self.expectations if not e.passed)
