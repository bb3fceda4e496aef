"""After the game day: what happened, derived from the run directory's records, report and acts.

``build_write_up`` gathers the incident timeline and detect/mitigate times (``incident``), the
announcement (``announcement``), the recovery checklist (``checklist``), the root-cause answers
(``root_cause``) and what went well or badly (here); ``postmortem`` renders them as files.

Everything is derived from evidence the harness holds (the evaluator's alerts and severity, the
provider calls' error codes, the quota reads, the acts people typed); where it holds none, the text
says so and leaves the item to the team.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from drill.live.collect import build_run_report
from reports.io import load_run
from reports.report import Report, rescale

from .act_log import Act, read_acts, start_utc
from .announcement import announcement
from .checklist import Check, checklist, recovery
from .incident import Entry, FaultTimes, fault_times, incident_timeline
from .root_cause import root_cause
from .runbook import DegradationType, type_of_rule

__all__ = ["WriteUp", "build_write_up"]


@dataclass(frozen=True, slots=True)
class WriteUp:
    report: Report
    acts: tuple[Act, ...]
    timeline: tuple[Entry, ...]
    times: tuple[FaultTimes, ...]
    types: tuple[DegradationType, ...]
    checklist: tuple[Check, ...]
    root_cause: tuple[tuple[str, str], ...]
    announcement: str
    went_well: tuple[str, ...]
    went_badly: tuple[str, ...]
    follow_ups: tuple[str, ...]
    start_utc: datetime | None


def _fired_types(report: Report) -> tuple[DegradationType, ...]:
    """The types of the alerts that detected a fault; of every alert that fired when none did."""
    detecting = [a for a in report.alerts if any(t is not None for _, t in a.time_to_detect_s)]
    out: list[DegradationType] = []
    for a in detecting or report.alerts:
        if a.fired:
            t = type_of_rule(a.rule)
            if t not in out:
                out.append(t)
    return tuple(out)


def _went(report: Report, times: Sequence[FaultTimes]) -> tuple[list[str], list[str]]:
    well, badly = [], []
    for t in times:
        if t.detected_s is not None:
            well.append(f"Fault {t.index} ({t.label}) was detected by {t.detected_by} in "
                        f"{t.time_to_detect_s:.0f} s.")
        else:
            badly.append(f"Fault {t.index} ({t.label}) was never detected by a runbook alert.")
        if t.mitigated_s is not None:
            well.append(f"Fault {t.index} was mitigated {t.time_to_mitigate_s:.0f} s after it began: "
                        f"{t.mitigated_by}; {t.effect}.")
        elif t.detected_s is not None:
            badly.append(f"No act mitigated fault {t.index}: no alert resolved and severity did not drop "
                         "after any action.")
    c = report.requests
    if c.fallback:
        well.append(f"The no-LLM fallback answered {c.fallback} request(s) that would otherwise have failed.")
    worst = report.severity.max
    if worst in ("P1", "P2", "P3"):
        badly.append(f"Users saw failures: severity reached {worst} ({c.failed} of {c.sent} requests failed).")
    elif c.sent:
        well.append(f"Users kept being served: severity never went above {worst}.")
    if c.lost:
        badly.append(f"{c.lost} request(s) were lost (sent, never answered before the stop).")
    if not report.conservation.holds:
        badly.append("Request accounting does not add up: " + "; ".join(report.conservation.problems))
    opened = [p for p, ch in report.series.breaker.items() if any(s in ("open", "forced_open") for _, s in ch)]
    if opened:
        well.append(f"Circuit breakers opened for {', '.join(sorted(opened))}, shedding calls to a failing provider.")
    rec = recovery(report)
    if rec is not None and not rec[0]:
        badly.append(f"The runbook's recovery check did not pass at the end: {rec[1]}.")
    return well, badly


def build_write_up(run_dir: Path) -> WriteUp:
    report = build_run_report(run_dir)
    scale = report.info.time_scale
    acts = tuple(read_acts(run_dir, scale))
    run = load_run(run_dir)
    requests, calls, _ = rescale(scale, run.requests, run.calls, run.events) if scale != 1.0 else \
        (list(run.requests), list(run.calls), list(run.events))
    times = tuple(fault_times(report, acts))
    types = _fired_types(report)
    root = root_cause(report, calls, requests, acts)
    well, badly = _went(report, times)
    follow = [f"Permanent fix for «{t.cause}» (runbook, Paso 2: Implementar Fix Permanente): {t.permanent_fix}."
              for t in types]
    follow += [f"Investigate: {b}" for b in badly]
    checks = checklist(report, types, acts, times, root)
    start = start_utc(acts)
    return WriteUp(report, acts, tuple(incident_timeline(report, acts, report.info.faults)), times, types, checks,
                   root, announcement(report, types, acts, times, start), tuple(well), tuple(badly), tuple(follow),
                   start)
