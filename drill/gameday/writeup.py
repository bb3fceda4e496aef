"""After the game day: the incident timeline, detect/mitigate times, the announcement, the checklist and
``postmortem.md`` — written from the run directory's records, report and acts.

Everything here is derived from evidence the harness holds (the evaluator's alerts and severity, the
provider calls' error codes, the quota reads, the acts people typed); where it holds none, the text
says so and leaves the item to the team.  The words of the announcement and the checklist are the
runbook's, in its Spanish.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from drill.live.collect import build_run_report
from reports.records import CallRecord
from reports.report import Report, rescale
from reports.severity import INSUFFICIENT, severity_rank

from .incident import Entry, FaultTimes, fault_times, incident_timeline
from .runbook import CHECKLIST, DegradationType, type_of_rule
from .session import Act, read_acts

__all__ = ["WriteUp", "build_write_up", "write_up"]

SEVERITY_LABEL = {"P1": "P1 - Critical", "P2": "P2 - High", "P3": "P3 - Medium", "P4": "P4 - Low",
                  "none": "ninguna (sin impacto)", INSUFFICIENT: "sin datos suficientes"}


@dataclass(frozen=True, slots=True)
class Check:
    item: str
    done: bool
    evidence: str


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


def _start_utc(acts: Sequence[Act], scale: float) -> datetime | None:
    for a in acts:
        if a.act == "start":
            try:
                return datetime.fromisoformat(a.utc) - timedelta(seconds=a.run_s)
            except ValueError:
                return None
    return None


def _utc(start: datetime | None, t_s: float, scale: float) -> str:
    return "" if start is None else (start + timedelta(seconds=t_s * scale)).strftime("%Y-%m-%d %H:%M:%S UTC")


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


def _ok_calls(calls: Sequence[CallRecord]) -> Counter[str]:
    return Counter(c.provider for c in calls if c.result == "ok")


def _failures(calls: Sequence[CallRecord]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for c in calls:
        if c.result != "ok":
            out.setdefault(c.provider, Counter())[f"{c.status}" if c.status else c.result] += 1
    return out


def _rate(report: Report, start: float, end: float, requests: Sequence[object]) -> float | None:
    n = sum(1 for r in requests if start <= getattr(r, "intended_s") < end)  # noqa: B009
    return n / (end - start) if end > start else None


def _root_cause(report: Report, calls: Sequence[CallRecord], requests: Sequence[object],
                acts: Sequence[Act]) -> tuple[tuple[str, str], ...]:
    faults = report.info.faults
    failures = _failures(calls)
    first = min((f.at_s for f in faults), default=None)
    provider_side = [a for a in acts if a.act == "inject" and "toxic" not in (a.detail.get("entry") or {})]
    network_side = [a for a in acts if a.act == "inject" and "toxic" in (a.detail.get("entry") or {})]
    codes = "; ".join(f"{p}: " + ", ".join(f"{n} × {k}" for k, n in c.most_common(4))
                      for p, c in sorted(failures.items())) or "no provider call failed"
    q1 = f"Provider error codes seen by the gateway: {codes}."
    if provider_side:
        q1 += " The faults were on the provider side (injected into the providers: " + \
              ", ".join(a.summary for a in provider_side) + ")."
    if network_side:
        q1 += " Network faults sat between us and the provider: " + ", ".join(a.summary for a in network_side) + "."
    if first is not None and first > 0:
        before = _rate(report, 0.0, first, requests)
        during = _rate(report, first, report.end_s, requests)
        traffic = (f"Traffic before the first fault {before:.2f} req/s, after it {during:.2f} req/s: "
                   + ("no traffic change." if before and during and abs(during - before) <= 0.2 * before
                      else "the traffic changed — check it as a cause."))
    else:
        traffic = "No fault window to compare traffic before and during."
    actions = [a.summary for a in acts if a.act == "action"]
    q2 = traffic + (" Configuration changes made during the game day: " + "; ".join(actions) + "."
                    if actions else " No configuration change before the fault.") + \
        " Code and prompt changes: the harness has no evidence; ask the team."
    quota_exhausted = sum(1 for c in calls if c.result == "quota_exhausted")
    rate_limited = sum(1 for c in calls if c.result == "rate_limited")
    ended = [f for f in faults if f.until_s is not None and f.until_s < report.end_s]
    open_ = [f for f in faults if f.until_s is None or f.until_s >= report.end_s]
    q3 = (f"{len(ended)} of {len(faults)} fault(s) ended or were cleared before the stop"
          + (f"; {rate_limited} rate-limit 429(s) with a retry window (transient by nature)" if rate_limited else "")
          + ".")
    q4 = (f"{quota_exhausted} call(s) answered 429 insufficient_quota: an account limit (spend cap or plan) — "
          "permanent until the account changes." if quota_exhausted else
          "No insufficient_quota answer: no sign of an account limit or pricing change.")
    if open_:
        q4 += " Still active at the stop: " + ", ".join(f"fault {f.index} ({f.label})" for f in open_) + "."
    return (("¿Es problema del proveedor?", q1), ("¿Es problema nuestro?", q2), ("¿Es transitorio?", q3),
            ("¿Es permanente?", q4))


def _mitigation_lines(acts: Sequence[Act]) -> list[str]:
    out = []
    for a in acts:
        if a.act == "action":
            body = a.detail.get("admin") or {}
            if body.get("provider") not in (None, "auto"):
                out.append(f"Cambiado a {str(body['provider']).capitalize()} como provider primario")
            if body.get("provider") == "auto":
                out.append("Selección de provider automática restablecida")
            if body.get("conservation_mode") is True:
                out.append("Modo conservación activado")
            if body.get("conservation_mode") is False:
                out.append("Modo conservación desactivado")
            if body.get("degraded_mode") is True:
                out.append("Pipeline simplificado (modo degradado) activado")
            if body.get("degraded_mode") is False:
                out.append("Modo degradado desactivado")
            for p, what in (body.get("breakers") or {}).items():
                out.append(f"Circuit breaker de {p}: {what}")
        elif a.act == "clear":
            out.append(f"Falla retirada ({a.summary})")
    return out


def _announcement(report: Report, types: Sequence[DegradationType], acts: Sequence[Act],
                  times: Sequence[FaultTimes], start: datetime | None) -> str:
    alerts = [a.first_fired_s for a in report.alerts if a.first_fired_s is not None]
    begin = min(alerts) if alerts else min((f.at_s for f in report.info.faults), default=0.0)
    last = [w for w in report.severity.windows if w.level != INSUFFICIENT]
    firing_at_end = any(a.intervals and a.intervals[-1][1] >= report.end_s - report.evaluation.step_s - 1e-9
                        for a in report.alerts)
    # resolved: no alert firing at the stop and users no longer failing (P4 is "functional")
    if not firing_at_end and (not last or last[-1].level in ("none", "P4")):
        estado = "Resuelto"
    elif any(t.mitigated_s is not None for t in times):
        estado = "Mitigado, monitoreando"
    else:
        estado = "Investigando"
    c = report.requests
    impacto = [t.symptoms_es for t in types]
    if c.failed:
        impacto.append(f"{c.failed} de {c.sent} requests fallaron ({c.failed / c.sent:.1%})")
    if c.fallback:
        impacto.append(f"{c.fallback} respuestas del fallback sin LLM (menor confianza)")
    if report.latency.p95 is not None:
        impacto.append(f"Latencia p95 de los usuarios: {report.latency.p95:.1f} s")
    mitigacion = _mitigation_lines(acts) or ["Ninguna acción manual registrada"]
    lines = [
        "## Template de Anuncio", "",
        "**Incidente: Degradación de LLM**", "",
        f"**Inicio**: {_utc(start, begin, report.info.time_scale) or f'{begin:.0f} s'}",
        f"**Severidad**: {SEVERITY_LABEL.get(report.severity.max, report.severity.max)}",
        f"**Estado**: {estado}", "",
        "**Impacto**:", *[f"- {i}" for i in (impacto or ["Sin impacto medido en los usuarios"])], "",
        "**Mitigación**:", *[f"- {m}" for m in mitigacion], "",
        f"**Próxima actualización**: {'—' if estado == 'Resuelto' else '30 min'}", "",
    ]
    return "\n".join(lines)


def _recovery(report: Report) -> tuple[bool, str] | None:
    for e in report.expectations:
        if e.name == "recovery passes":
            return e.passed, e.observed
    return None


def _checklist(report: Report, types: Sequence[DegradationType], acts: Sequence[Act],
               times: Sequence[FaultTimes], root: Sequence[tuple[str, str]]) -> tuple[Check, ...]:
    fired = [a.rule for a in report.alerts if a.fired]
    actions = [a.summary for a in acts if a.act == "action"]
    worked = [t for t in times if t.mitigated_s is not None]
    rec = _recovery(report)
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


def _went(report: Report, times: Sequence[FaultTimes], types: Sequence[DegradationType],
          calls: Sequence[CallRecord]) -> tuple[list[str], list[str]]:
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
    rec = _recovery(report)
    if rec is not None and not rec[0]:
        badly.append(f"The runbook's recovery check did not pass at the end: {rec[1]}.")
    return well, badly


def build_write_up(run_dir: Path) -> WriteUp:
    report = build_run_report(run_dir)
    scale = report.info.time_scale
    acts = tuple(read_acts(run_dir, scale))
    from reports.io import load_run

    run = load_run(run_dir)
    requests, calls, _ = rescale(scale, run.requests, run.calls, run.events) if scale != 1.0 else \
        (list(run.requests), list(run.calls), list(run.events))
    times = tuple(fault_times(report, acts))
    types = _fired_types(report)
    root = _root_cause(report, calls, requests, acts)
    well, badly = _went(report, times, types, calls)
    follow = [f"Permanent fix for «{t.cause}» (runbook, Paso 2: Implementar Fix Permanente): {t.permanent_fix}."
              for t in types]
    follow += [f"Investigate: {b}" for b in badly]
    checklist = _checklist(report, types, acts, times, root)
    start = _start_utc(acts, scale)
    return WriteUp(report, acts, tuple(incident_timeline(report, acts, report.info.faults)), times, types, checklist,
                   root, _announcement(report, types, acts, times, start), tuple(well), tuple(badly), tuple(follow),
                   start)


def _dur(x: float | None) -> str:
    return "—" if x is None else f"{x:.0f} s"


def _timeline_md(w: WriteUp) -> str:
    scale = w.report.info.time_scale
    rows = ["| t (s) | UTC | what | who |", "|---:|---|---|---|"]
    for e in w.timeline:
        text = e.text.replace("|", "\\|").replace("\n", " ")
        rows.append(f"| {e.t_s:.0f} | {_utc(w.start_utc, e.t_s, scale)} | [{e.kind}] {text} | {e.who} |")
    return "\n".join(rows)


def _times_md(w: WriteUp) -> str:
    rows = ["| fault | provider | start | time to detect | detected by | time to mitigate | mitigated by |",
            "|---|---|---:|---:|---|---:|---|"]
    for t in w.times:
        rows.append(f"| {t.index}: {t.label} | {t.provider} | {t.at_s:.0f} s | {_dur(t.time_to_detect_s)} | "
                    f"{t.detected_by or '—'} | {_dur(t.time_to_mitigate_s)} | {t.mitigated_by or '—'} |")
    return "\n".join(rows) if w.times else "No fault was injected."


def _checklist_md(w: WriteUp) -> str:
    return "\n".join(f"- [{'x' if c.done else ' '}] {c.item} — {c.evidence}" for c in w.checklist)


def render_postmortem(w: WriteUp) -> str:
    r = w.report
    c = r.requests
    scale = r.info.time_scale
    when = w.start_utc.strftime("%Y-%m-%d %H:%M UTC") if w.start_utc else ""
    kinds = ", ".join(t.title for t in w.types) or "no runbook degradation type"
    faults = "; ".join(f"{f.index}: {f.label}" for f in r.info.faults) or "none"
    det = [t.time_to_detect_s for t in w.times if t.time_to_detect_s is not None]
    mit = [t.time_to_mitigate_s for t in w.times if t.time_to_mitigate_s is not None]
    summary = (f"Game day «{r.info.scenario}» on {when or 'this machine'}, {r.end_s:.0f} s of steady load "
               f"(time scale {scale:g}). Faults: {faults}. The alerts pointed to: {kinds}. Severity peaked at "
               f"{r.severity.max} ({r.severity.escalation}). "
               + (f"Detection took {min(det):.0f}–{max(det):.0f} s" if det else "No fault was detected")
               + (f"; mitigation {min(mit):.0f}–{max(mit):.0f} s after the fault began." if mit else
                  "; no act was seen to mitigate it."))
    share = f"{c.failed / c.sent:.1%}" if c.sent else "–"
    worst = max(r.severity.windows, key=lambda x: (severity_rank(x.level), x.failed), default=None)
    impact = [f"{c.sent} appointment requests were made; {c.failed} failed ({share}) — those users got an error "
              "or gave up waiting.",
              f"{c.fallback} were answered by the regex fallback instead of the LLM (lower confidence, "
              "some details may be missing)." if c.fallback else "No answer needed the no-LLM fallback."]
    if r.latency.p95 is not None:
        impact.append(f"Users waited p50 {r.latency.p50:.2f} s, p95 {r.latency.p95:.2f} s, p99 "
                      f"{(r.latency.p99 or 0):.2f} s for an answer.")
    if worst is not None and worst.requests:
        impact.append(f"Worst minute: from {worst.start_s:.0f} s, {worst.failed} of {worst.requests} requests "
                      f"failed (severity {worst.level}).")
    notes = [a for a in w.acts if a.act == "note"]
    parts = [
        f"# Postmortem: {r.info.scenario} (game day)", "",
        "## Summary", "", summary, "",
        "## Impact on users", "", *[f"- {i}" for i in impact], "",
        "## Timeline", "", _timeline_md(w), "",
        "## Detection and mitigation", "",
        "Time to detect: the first runbook alert that fired on the fault's own evidence. Time to mitigate: the "
        "first action or clear after which an alert resolved or severity dropped.", "", _times_md(w), "",
        "## What went well", "", *([f"- {x}" for x in w.went_well] or ["- (nothing the records show)"]), "",
        "## What went badly", "", *([f"- {x}" for x in w.went_badly] or ["- (nothing the records show)"]), "",
        "## Root cause (runbook: Paso 1, Preguntas Clave)", "",
        *[f"**{q}** {a}\n" for q, a in w.root_cause],
        "## Follow-ups", "", *([f"- [ ] {x}" for x in w.follow_ups] or ["- [ ] none proposed"]), "",
        "## Checklist de Recuperación", "", _checklist_md(w), "",
        "## Announcement (as it would have gone out)", "", w.announcement,
        "## Notes taken during the game day", "",
        *([f"- {a.t_s:.0f} s, {a.who}: {a.summary}" for a in notes] or ["- none"]), "",
        "Report: report.html · records: requests.jsonl, calls.jsonl, events.jsonl, timeline.jsonl", "",
    ]
    return "\n".join(parts)


def write_up(run_dir: Path) -> WriteUp:
    w = build_write_up(run_dir)
    (run_dir / "postmortem.md").write_text(render_postmortem(w), encoding="utf-8")
    (run_dir / "announcement.md").write_text(w.announcement, encoding="utf-8")
    (run_dir / "checklist.md").write_text("## Checklist de Recuperación\n\n" + _checklist_md(w) + "\n",
                                          encoding="utf-8")
    (run_dir / "timeline.md").write_text("# Incident timeline\n\n" + _timeline_md(w) + "\n\n"
                                         "## Time to detect and to mitigate\n\n" + _times_md(w) + "\n",
                                         encoding="utf-8")
    doc = {"timeline": [asdict(e) for e in w.timeline],
           "faults": [{**asdict(t), "time_to_detect_s": t.time_to_detect_s,
                       "time_to_mitigate_s": t.time_to_mitigate_s} for t in w.times],
           "types": [t.id for t in w.types], "checklist": [asdict(c) for c in w.checklist],
           "root_cause": [{"question": q, "answer": a} for q, a in w.root_cause]}
    (run_dir / "incident.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return w
