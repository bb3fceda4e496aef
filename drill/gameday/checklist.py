"""The runbook's "Checklist de Recuperación", each item marked from the evidence the harness holds.

An item is ticked only where the records show it done; the evidence line says what was seen, or that
the item is the team's to check.  Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reports.report import Report

from .act_log import Act
from .incident import FaultTimes
from .runbook import CHECKLIST, DegradationType

__all__ = ["Check", "checklist", "recovery"]


@dataclass(frozen=True, slots=True)
class Check:
    item: str
    done: bool
    evidence: str


def recovery(report: Report) -> tuple[bool, str] | None:
    for e in report.expectations:
        if e.name == "recovery passes":
            return e.passed, e.observed
    return None


def checklist(report: Report, types: Sequence[DegradationType], acts: Sequence[Act],
               times: Sequence[FaultTimes], root: Sequence[tuple[str, str]]) -> tuple[Check, ...]:
    fired = [a.rule for a in report.alerts if a.fired]
    actions = [a.summary for a in acts if a.act == "action"]
    worked = [t for t in times if t.mitigated_s is not None]
    rec = recovery(report)
    c = report.requests
    undetected = [t for t in times if t.detected_s is None]
    evidence = [
        (bool(types), f"alerts {', '.join(fired)} → {', '.join(t.title for t in types)}" if types
         else "no runbook alert fired"),
        (True, f"{c.failed} of {c.sent} requests failed, {c.fallback} answered by the fallback; severity max "
               f"{report.severity.max}"),
        (bool(actions), "; ".join(actions) if actions else "no action was taken"),
        (bool(worked), "; ".join(f"fault {t.index}: {t.mitigated_by} → {t.effect}" for t in worked)
         if worked else "no act was followed by an alert resolving or severity dropping"),
        (any(v and "no provider call failed" not in v for _, v in root[:1]), "see Root cause below"),
        (False, "proposed as a follow-up: " + "; ".join(f"{t.cause} → {t.permanent_fix}" for t in types)
         if types else "nothing to fix: no degradation type identified"),
        (rec is not None and rec[0], f"the runbook's test_llm_recovery: {rec[1]}" if rec else "not checked"),
        (True, "this postmortem, written from the game day's records; review and complete it"),
        (False, "for the team: nothing in the records says the runbook needs a change"),
        (False, f"{len(times) - len(undetected)} of {len(times)} fault(s) detected"
                + (f"; undetected: {', '.join(str(t.index) for t in undetected)}" if undetected else "")
                + " — review the thresholds against these times"),
    ]
    return tuple(Check(item, done, ev) for item, (done, ev) in zip(CHECKLIST, evidence, strict=True))
