"""The runbook's dashboard panels, now: the game day's records so far through the report's evaluator.

Every refresh rebuilds the report (``reports.report.build_report``) over what has been recorded up to
now — the Locust process's request file, the gateway's call and event log, the game day's own events —
with the fault windows as they stand, then reads the panels off it.  The write-up is built by the
same function over the final records, so what the dashboard showed is what the review says.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drill.live.collect import read_clock
from drill.load.merge import read_records
from reports.evaluate import percentile
from reports.io import read_jsonl
from reports.records import CallRecord, EventRecord, RequestRecord, event_from_dict
from reports.report import Report, build_report, rescale
from reports.runinfo import FaultWindow, RunInfo
from reports.severity import ESCALATION, INSUFFICIENT

from .act_log import Act
from .incident import fault_times, incident_timeline
from .runbook import MITIGATIONS, type_of_rule

__all__ = ["Records", "panels", "read_live_records"]

Records = tuple[list[RequestRecord], list[CallRecord], list[EventRecord]]


def _gateway_log(path: Path, epoch: float) -> tuple[list[CallRecord], list[EventRecord]]:
    """The gateway's raw log (CLOCK_MONOTONIC seconds) on the game day's time, health probes left out.

    The same reading ``drill.live.collect.collect_gateway_events`` does at the end, in memory.
    """
    calls: list[CallRecord] = []
    events: list[EventRecord] = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return calls, events
    for line in text.splitlines():
        try:
            raw: dict[str, Any] = json.loads(line)
            if raw.get("record") == "call" and not raw.get("probe"):
                calls.append(CallRecord(float(raw["t_s"]) - epoch, str(raw["provider"]), float(raw["latency_s"]),
                                        str(raw["result"]), raw.get("status")))
            elif raw.get("record") == "event":
                events.append(EventRecord(float(raw["t_s"]) - epoch, str(raw["kind"]), dict(raw.get("detail") or {})))
        except (ValueError, KeyError, TypeError):
            continue   # a torn last line while the gateway writes
    return calls, events


def read_live_records(run_dir: Path) -> Records:
    """What the game day has recorded so far (wall seconds since its t=0)."""
    requests: list[RequestRecord] = []
    for part in sorted((run_dir / "logs" / "load").glob("requests.w*.jsonl")):
        requests += read_records(part)[0]
    calls, gw_events = _gateway_log(run_dir / "gateway-events.jsonl", read_clock(run_dir))
    events = list(gw_events)
    if (run_dir / "events.jsonl").is_file():
        events += read_jsonl(run_dir / "events.jsonl", event_from_dict)[0]
    return requests, calls, events


def live_report(info: RunInfo, records: Records, now_run_s: float, windows: tuple[FaultWindow, ...]) -> Report:
    requests, calls, events = records
    end = max(now_run_s / info.time_scale, 1e-6)
    return build_report(replace(info, duration_s=end, faults=windows), requests, calls, events)


def _ratio(n: int, d: int) -> float | None:
    return n / d if d else None


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, 4)


def _severity_now(report: Report) -> str:
    windows = [w for w in report.severity.windows if w.start_s <= report.end_s]
    for w in reversed(windows[-2:]):
        if w.level != INSUFFICIENT:
            return w.level
    return INSUFFICIENT


def panels(report: Report, records: Records, acts: Sequence[Act],
           active: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """The runbook's dashboard panels at the end of ``report`` (scenario seconds)."""
    info = report.info
    requests, calls, _ = rescale(info.time_scale, *records) if info.time_scale != 1.0 else records
    end = report.end_s
    by_id = {r.rule.id: r for r in report.evaluation.rules}
    window = by_id["latency.llm_p95"].rule.window_s if "latency.llm_p95" in by_id else 300.0

    def seen(t: float) -> bool:
        return end - window < t <= end

    recent_calls = [c for c in calls if seen(c.t_s + c.latency_s)]
    lat = [c.latency_s for c in recent_calls]
    latency = {f"p{q}": _num(percentile(lat, q)) if lat else None for q in (50, 95, 99)}
    providers = sorted({c.provider for c in calls} | set(info.quotas_rpm) | {"qwen", "claude", "openai"})
    errors = {p: {"calls": n, "errors": e, "rate": _num(_ratio(e, n))}
              for p in providers
              for n, e in [(sum(c.provider == p for c in recent_calls),
                            sum(c.provider == p and c.result != "ok" for c in recent_calls))]}
    minute = [c for c in calls if end - 60.0 < c.t_s <= end]
    rpm = {p: {"per_min": sum(c.provider == p for c in minute), "quota": info.quotas_rpm.get(p)} for p in providers}
    done = [r for r in requests if r.sent_s is not None and r.outcome == "ok"
            and seen(r.intended_s + (r.latency_s or 0.0))]

    def last_point(rule_id: str) -> dict[str, Any]:
        ev = by_id.get(rule_id)
        if ev is None or not ev.points:
            return {"value": None, "threshold": None, "firing": False}
        p = ev.points[-1]
        return {"value": _num(p.value), "threshold": p.threshold, "firing": p.firing, "samples": p.samples}

    breakers = {p: "closed" for p in providers}
    for p, changes in report.series.breaker.items():
        if changes:
            breakers[p] = changes[-1][1]
    alerts = []
    for ev in report.evaluation.rules:
        if ev.points and ev.points[-1].firing:
            kind = type_of_rule(ev.rule.id)
            since = ev.intervals[-1][0] if ev.intervals else end
            alerts.append({"rule": ev.rule.id, "condition": ev.rule.condition, "severity": ev.rule.severity,
                           "value": _num(ev.points[-1].value), "threshold": ev.points[-1].threshold,
                           "since_s": since, "type": kind.id, "type_title": f"{kind.number}. {kind.title}",
                           "mitigations": [{"title": MITIGATIONS[m].title, "objective": MITIGATIONS[m].objective,
                                            "how": MITIGATIONS[m].how} for m in kind.mitigations]})
    now = _severity_now(report)
    timeline = [{"t_s": round(e.t_s, 1), "kind": e.kind, "who": e.who, "text": e.text, "utc": e.utc}
                for e in incident_timeline(report, acts, report.info.faults)]
    times = [{"fault": f.index, "label": f.label, "time_to_detect_s": _num(f.time_to_detect_s),
              "detected_by": f.detected_by, "time_to_mitigate_s": _num(f.time_to_mitigate_s),
              "mitigated_by": f.mitigated_by} for f in fault_times(report, acts)]
    c = report.requests
    return {
        "t_s": round(end, 1), "utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenario": info.scenario, "time_scale": info.time_scale, "window_s": window,
        "latency": {**latency, "threshold": last_point("latency.llm_p95")["threshold"], "samples": len(lat)},
        "error_rate": errors,
        "requests_per_min": rpm,
        "confidence_avg": last_point("quality.confidence_avg"),
        "timeout_rate": last_point("latency.timeout_rate"),
        "cache_hit_rate": {"value": _num(_ratio(sum(r.cache_hit for r in done), len(done))), "samples": len(done)},
        "breakers": breakers,
        "alerts": alerts,
        "severity": {"now": now, "max": report.severity.max, "escalation": ESCALATION.get(now, "")},
        "requests": {"sent": c.sent, "succeeded": c.succeeded, "failed": c.failed, "lost": c.lost,
                     "fallback": c.fallback},
        "active_faults": list(active),
        "fault_times": times,
        "timeline": timeline[-200:],
    }
