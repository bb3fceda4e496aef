"""The game day's write-up as files: ``postmortem.md``, ``announcement.md``, ``checklist.md``,
``timeline.md`` and ``incident.json``, rendered from the ``WriteUp`` that ``writeup`` derives.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from reports.severity import severity_rank

from .act_log import utc_of
from .writeup import WriteUp, build_write_up

__all__ = ["render_postmortem", "write_up"]


def _dur(x: float | None) -> str:
    return "—" if x is None else f"{x:.0f} s"


def _timeline_md(w: WriteUp) -> str:
    scale = w.report.info.time_scale
    rows = ["| t (s) | UTC | what | who |", "|---:|---|---|---|"]
    for e in w.timeline:
        text = e.text.replace("|", "\\|").replace("\n", " ")
        rows.append(f"| {e.t_s:.0f} | {utc_of(w.start_utc, e.t_s, scale)} | [{e.kind}] {text} | {e.who} |")
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
