"""Does a plan's recommendation hold live?  One point's twin figures beside a live run's, against the plan's SLO.

Pure.  ``recommendation_doc`` is what ``llmdrill plan`` writes as
``recommendation.json``: the SLO, the target and the point it recommends, so
that ``llmdrill plan-check`` can find that point's ``scenario.yaml`` and the
twin's ``report.json`` beside it.  ``judge_point`` reads both reports through
``PointResult.from_report`` — the very figures the sweep judged — and says, per
part of the SLO, whether the live run is within it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reports.severity import severity_rank

from ..fidelity import Check
from .recommend import Recommendation
from .result import PointResult
from .spec import SLO, PlanSpec

__all__ = ["RECOMMENDATION_FILE", "PointVerdict", "judge_point", "recommendation_doc", "slo_of"]

RECOMMENDATION_FILE = "recommendation.json"


def recommendation_doc(spec: PlanSpec, rec: Recommendation) -> dict[str, Any]:
    """The recommendation as data: ``point`` is the recommended point's index (None when none holds the target)."""
    point: int | None = None
    label: str | None = None
    if rec.cheapest is not None and rec.target is not None:
        at = next(p for p in rec.cheapest.points if p.traffic >= rec.target)
        point, label = at.index, at.label
    return {
        "plan": spec.name,
        "slo": {"p95_s": spec.slo.p95_s, "errors": spec.slo.errors, "severity": spec.slo.severity},
        "target_traffic": rec.target,
        "point": point,
        "label": label,
        "config": rec.cheapest.label if rec.cheapest is not None else None,
    }


def slo_of(doc: Mapping[str, Any]) -> SLO:
    """The SLO of a ``recommendation.json``; ``ValueError`` naming the field when it is not one."""
    raw = doc.get("slo")
    if not isinstance(raw, Mapping):
        raise ValueError("slo: missing or not a mapping")
    try:
        slo = SLO(float(raw["p95_s"]), float(raw["errors"]), str(raw["severity"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"slo: {exc}") from None
    severity_rank(slo.severity)   # an unknown level raises ValueError naming it
    return slo


@dataclass(frozen=True, slots=True)
class PointVerdict:
    checks: tuple[Check, ...]
    twin_holds: bool
    live_holds: bool

    @property
    def agrees(self) -> bool:
        return self.twin_holds == self.live_holds


def _figures(report: Mapping[str, Any]) -> PointResult:
    return PointResult.from_report(0, "", (), report, 0.0)


def judge_point(slo: SLO, twin_report: Mapping[str, Any], live_report: Mapping[str, Any]) -> PointVerdict:
    """Each part of ``slo`` for the live run (``ok``: within it), the twin's figure beside it."""
    twin, live = _figures(twin_report), _figures(live_report)
    checks = (
        Check("p95", f"{live.p95_s:.3f} s", f"{twin.p95_s:.3f} s", live.p95_s < slo.p95_s, f"< {slo.p95_s:g} s"),
        Check("error rate", f"{live.error_rate * 100:.2f} %", f"{twin.error_rate * 100:.2f} %",
              live.error_rate < slo.errors, f"< {slo.errors * 100:g} %"),
        Check("max severity", live.severity, twin.severity,
              severity_rank(live.severity) <= severity_rank(slo.severity), f"<= {slo.severity}"),
    )
    return PointVerdict(checks, twin.holds(slo), live.holds(slo))
