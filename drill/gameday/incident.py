"""The incident as people lived it: one timeline of faults, alerts, acts, notes and severity; and, per
fault, the time to detect and the time to mitigate.

Built from the report (``reports.report.Report``: the evaluator's alert intervals, time-to-detect per
fault and severity windows) and the game day's acts, so the dashboard while it runs and the write-up
afterwards say the same thing.  *Detect* is the evaluator's first detection of the fault by any rule.
*Mitigate* is the first act (an action or a clear) at or after the fault's start after which an alert
that was firing resolves, or the severity drops below what it was when the act was made — before the
next such act: when a second act follows before anything got better, the improvement is the second's.

Pure: no I/O, no clock.  Times are scenario seconds since the game day's t=0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reports.report import Report
from reports.runinfo import FaultWindow
from reports.severity import INSUFFICIENT, severity_rank

from .act_log import Act

__all__ = ["Entry", "FaultTimes", "fault_times", "incident_timeline", "severity_at"]

#: acts that change the system (a note does not mitigate anything)
MITIGATING_ACTS = ("action", "clear")


@dataclass(frozen=True, slots=True)
class Entry:
    t_s: float
    kind: str            # "fault" | "alert" | "resolved" | "severity" | an act ("inject", "action", ...)
    who: str             # a person, or "llmdrill" for what the harness saw
    text: str
    utc: str | None = None


@dataclass(frozen=True, slots=True)
class FaultTimes:
    index: int
    label: str
    provider: str
    at_s: float
    until_s: float | None
    detected_s: float | None
    detected_by: str | None
    mitigated_s: float | None       # when the mitigating act was made
    mitigated_by: str | None        # its summary and who
    effect: str | None              # what showed it worked, and when

    @property
    def time_to_detect_s(self) -> float | None:
        return None if self.detected_s is None else self.detected_s - self.at_s

    @property
    def time_to_mitigate_s(self) -> float | None:
        return None if self.mitigated_s is None else self.mitigated_s - self.at_s


def _level(level: str) -> int:
    return severity_rank(level) if level != INSUFFICIENT else -1


def severity_at(report: Report, t_s: float) -> str:
    """The level of the severity window holding ``t_s`` (``insufficient data`` when it had too few)."""
    for w in report.severity.windows:
        if w.start_s <= t_s < w.end_s:
            return w.level
    return INSUFFICIENT


def _firing_at(report: Report, t_s: float) -> list[tuple[str, float]]:
    """(rule, interval end) of every alert firing at ``t_s``."""
    out = []
    for a in report.alerts:
        for start, end in a.intervals:
            if start <= t_s <= end:
                out.append((a.rule, end))
    return out


def _still_firing_at_end(report: Report, end: float) -> bool:
    return end >= report.end_s - report.evaluation.step_s - 1e-9


def incident_timeline(report: Report, acts: Sequence[Act], windows: Sequence[FaultWindow] = ()) -> list[Entry]:
    out: list[Entry] = []
    for a in acts:
        out.append(Entry(a.t_s, a.act, a.who, a.summary, a.utc))
    injected = {a.id for a in acts if a.act == "inject"}
    for w in windows:
        if not any(w.label.startswith(f"{i}:") for i in injected if i):
            out.append(Entry(w.at_s, "fault", "scenario", f"fault {w.index} starts: {w.label or w.provider}"))
    for alert in report.alerts:
        for start, end in alert.intervals:
            out.append(Entry(start, "alert", "llmdrill", f"alert {alert.rule} fires ({alert.condition})"))
            if not _still_firing_at_end(report, end):
                out.append(Entry(end, "resolved", "llmdrill", f"alert {alert.rule} resolves"))
    previous = "none"
    for sw in report.severity.windows:
        if sw.level == INSUFFICIENT or sw.level == previous:
            continue
        out.append(Entry(sw.start_s, "severity", "llmdrill", f"severity {previous} → {sw.level}"
                         + (f" ({sw.failed}/{sw.requests} requests failed)" if sw.requests else "")))
        previous = sw.level
    order = {"fault": 0, "inject": 0, "alert": 1, "severity": 2}
    return sorted(out, key=lambda e: (e.t_s, order.get(e.kind, 3)))


def _effect(report: Report, act: Act, until_s: float) -> str | None:
    """What got better after ``act`` and before ``until_s`` (the next act), if anything."""
    for rule, end in sorted(_firing_at(report, act.t_s), key=lambda x: x[1]):
        if end < until_s and not _still_firing_at_end(report, end):
            return f"alert {rule} resolved at {end:.0f} s"
    before = severity_at(report, act.t_s)
    if _level(before) <= 0:
        return None
    for w in report.severity.windows:
        if act.t_s < w.start_s < until_s and w.level != INSUFFICIENT and _level(w.level) < _level(before):
            return f"severity {before} → {w.level} at {w.start_s:.0f} s"
    return None


def fault_times(report: Report, acts: Sequence[Act]) -> list[FaultTimes]:
    out = []
    mitigating = [a for a in acts if a.act in MITIGATING_ACTS]
    for f in report.info.faults:
        hits = [(t + f.at_s, a.rule) for a in report.alerts for i, t in a.time_to_detect_s
                if i == f.index and t is not None]
        detected = min(hits) if hits else None
        mitigated: tuple[Act, str] | None = None
        for k, act in enumerate(mitigating):
            if act.t_s + 1e-9 < f.at_s or (f.until_s is not None and act.t_s > f.until_s + 1e-9
                                          and act.act != "clear"):
                continue
            until = mitigating[k + 1].t_s if k + 1 < len(mitigating) else math.inf
            effect = _effect(report, act, until)
            if effect is not None:
                mitigated = (act, effect)
                break
        out.append(FaultTimes(
            index=f.index, label=f.label, provider=f.provider, at_s=f.at_s, until_s=f.until_s,
            detected_s=detected[0] if detected else None, detected_by=detected[1] if detected else None,
            mitigated_s=mitigated[0].t_s if mitigated else None,
            mitigated_by=f"{mitigated[0].summary} ({mitigated[0].who})" if mitigated else None,
            effect=mitigated[1] if mitigated else None))
    return out
