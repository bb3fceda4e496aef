"""What one point of a plan measured, read from its run's report (the same report a live run writes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reports.severity import severity_rank

from .spec import SLO

__all__ = ["PointResult"]


@dataclass(frozen=True, slots=True)
class PointResult:
    index: int
    label: str
    knobs: tuple[tuple[str, Any], ...]
    requests: int
    p50_s: float
    p95_s: float
    p99_s: float
    error_rate: float
    severity: str
    alerts: tuple[str, ...]
    cache_hit_rate: float
    fallback_rate: float
    wall_s: float

    @classmethod
    def from_report(cls, index: int, label: str, knobs: tuple[tuple[str, Any], ...], report: Mapping[str, Any],
                    wall_s: float) -> PointResult:
        latency = report.get("latency_s") or {}
        rates = report.get("rates") or {}
        return cls(
            index=index, label=label, knobs=knobs,
            requests=int(report["requests"]["total"]),
            p50_s=float(latency.get("p50") or 0.0), p95_s=float(latency.get("p95") or 0.0),
            p99_s=float(latency.get("p99") or 0.0),
            error_rate=float(rates.get("rate(failed)") or 0.0),
            severity=str(report["severity"]["max"]),
            alerts=tuple(sorted(a["rule"] for a in report.get("alerts", ()) if a.get("fired"))),
            cache_hit_rate=float(rates.get("rate(cache_hit)") or 0.0),
            fallback_rate=float(rates.get("rate(fallback)") or 0.0),
            wall_s=wall_s,
        )

    def knob(self, name: str, default: Any = None) -> Any:
        return dict(self.knobs).get(name, default)

    @property
    def traffic(self) -> float:
        return float(self.knob("traffic", 1.0))

    def holds(self, slo: SLO) -> bool:
        """Within the SLO: p95 below it, errors below it, severity never above its level."""
        return (self.p95_s < slo.p95_s and self.error_rate < slo.errors
                and severity_rank(self.severity) <= severity_rank(slo.severity))

    def why_not(self, slo: SLO) -> str:
        reasons = []
        if self.p95_s >= slo.p95_s:
            reasons.append(f"p95 {self.p95_s:.2f} s")
        if self.error_rate >= slo.errors:
            reasons.append(f"errors {self.error_rate * 100:.2f} %")
        if severity_rank(self.severity) > severity_rank(slo.severity):
            reasons.append(f"severity {self.severity}")
        return ", ".join(reasons)
