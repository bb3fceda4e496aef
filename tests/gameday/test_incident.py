"""Time to detect and to mitigate, and the incident timeline, over records whose answer is known."""

from __future__ import annotations

from drill.gameday.act_log import Act
from drill.gameday.incident import fault_times, incident_timeline
from reports.records import CallRecord, RequestRecord
from reports.report import Report, build_report
from reports.runinfo import FaultWindow, RunInfo

FAULT_AT, FAULT_END, END = 100.0, 200.0, 900.0


def _report() -> Report:
    """Two calls a second; qwen answers 429 between 100 s and 200 s; every user request succeeds."""
    calls, requests = [], []
    for k in range(int(END * 2)):
        t = k / 2
        limited = FAULT_AT <= t < FAULT_END
        calls.append(CallRecord(t, "qwen", 0.2, "rate_limited" if limited else "ok", 429 if limited else 200))
        requests.append(RequestRecord(k, t, t, 0.3, "ok", 200, provider="qwen", attempts=1, confidence=0.9))
    info = RunInfo("incident-test", duration_s=END, faults=(FaultWindow(0, FAULT_AT, FAULT_END, "qwen", "f1: 429s"),))
    return build_report(info, requests, calls, [])


def _act(t: float, act: str, summary: str, who: str = "alice") -> Act:
    return Act(t, t, "2026-01-22T10:30:00+00:00", who, act, summary)


def test_detect_is_the_evaluators_and_mitigate_is_the_act_before_the_alert_resolves() -> None:
    report = _report()
    alert = next(a for a in report.alerts if a.rule == "rate_limit.429_rate")
    assert alert.fired
    acts = [_act(150, "action", "conservation mode on", "bob"), _act(210, "clear", "cleared f1"),
            _act(220, "note", "looks better", "carol")]
    (f,) = fault_times(report, acts)
    first = min(t for a in report.alerts for i, t in a.time_to_detect_s if i == 0 and t is not None)
    assert f.time_to_detect_s == first and 0 <= first <= 10
    # the action at 150 s was followed by the clear before anything got better: the clear mitigated it
    assert f.mitigated_by == "cleared f1 (alice)"
    assert f.time_to_mitigate_s == 110
    assert f.effect is not None and "resolved" in f.effect


def test_an_act_followed_by_nothing_better_does_not_mitigate() -> None:
    report = _report()
    (f,) = fault_times(report, [_act(150, "note", "watching")])
    assert f.mitigated_s is None and f.time_to_mitigate_s is None
    (g,) = fault_times(report, [_act(50, "action", "provider pinned to claude")])   # before the fault
    assert g.mitigated_s is None


def test_timeline_orders_acts_alerts_and_severity() -> None:
    report = _report()
    entries = incident_timeline(report, [_act(150, "action", "conservation mode on", "bob")], report.info.faults)
    kinds = [e.kind for e in entries]
    assert kinds.index("fault") < kinds.index("alert") < kinds.index("action") < kinds.index("resolved")
    assert [e.t_s for e in entries] == sorted(e.t_s for e in entries)
    assert any(e.kind == "severity" and "→ P4" in e.text for e in entries)
    assert any(e.kind == "severity" and "P4 → none" in e.text for e in entries)


def test_panels_are_read_off_the_evaluator_at_the_end_of_the_records() -> None:
    from dataclasses import replace

    from drill.gameday.live import live_report, panels

    full = _report()
    calls = [CallRecord(k / 2, "qwen", 0.2, "rate_limited" if FAULT_AT <= k / 2 < FAULT_END else "ok",
                        429 if FAULT_AT <= k / 2 < FAULT_END else 200) for k in range(int(END * 2))]
    requests = [RequestRecord(k, k / 2, k / 2, 0.3, "ok", 200, provider="qwen", attempts=1, confidence=0.9)
                for k in range(int(END * 2))]
    records = (requests, calls, [])
    info = replace(full.info, duration_s=None)
    during = panels(live_report(info, records, 150.0, full.info.faults), records, [])
    after = panels(live_report(info, records, 800.0, full.info.faults), records, [])
    firing = {a["rule"]: a for a in during["alerts"]}
    assert "rate_limit.429_rate" in firing and firing["rate_limit.429_rate"]["type"] == "rate_limit"
    assert firing["rate_limit.429_rate"]["mitigations"][0]["title"].startswith("Estrategia 1")
    assert during["error_rate"]["qwen"]["rate"] > 0.1 and during["severity"]["now"] == "P4"
    assert during["requests_per_min"]["qwen"]["per_min"] == 120
    assert during["latency"]["p95"] == 0.2 and during["confidence_avg"]["value"] == 0.9
    assert after["alerts"] == [] and after["error_rate"]["qwen"]["rate"] == 0.0
    assert after["severity"]["now"] == "none"
    times = after["fault_times"][0]
    assert times["detected_by"] is not None and times["time_to_mitigate_s"] is None
