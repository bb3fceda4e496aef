"""The report end to end: conservation, expectations, writers, loading a (cut short) run directory."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.compare import compare_reports, render_comparison_markdown
from reports.io import RunDataError, load_run, write_all
from reports.records import FAILED, LOST, OK, CallRecord, EventRecord, RequestRecord
from reports.report import build_report
from reports.runinfo import FaultWindow, RunInfo
from reports.write_html import render_html
from reports.write_json import render_json
from reports.write_junit import render_junit
from reports.write_markdown import render_markdown


def incident() -> tuple[RunInfo, list[RequestRecord], list[CallRecord], list[EventRecord]]:
    """10 minutes at 5 req/s; qwen rate-limited in [2m, 5m) and a third of requests fail then."""
    reqs, calls = [], []
    for i in range(3000):
        t = i * 0.2
        bad = 120 <= t < 300
        failed = bad and i % 3 == 0
        reqs.append(
            RequestRecord(
                i,
                t,
                t,
                0.8 if not bad else 4.0,
                FAILED if failed else OK,
                attempts=1,
                confidence=0.9,
                agent_s=0.5,
            )
        )
        calls.append(CallRecord(t, "qwen", 0.5, "rate_limited" if bad else "ok", 429 if bad else 200))
    events = [
        EventRecord(125.0, "breaker", {"provider": "qwen", "to_state": "open"}),
        EventRecord(320.0, "breaker", {"provider": "qwen", "to_state": "closed"}),
        EventRecord(590.0, "limits", {"requests_remaining": 90}),
    ]
    info = RunInfo(
        "storm",
        "qwen quota runs out",
        "sim",
        42,
        1.0,
        600.0,
        (FaultWindow(0, 120.0, 300.0, "qwen", "quota"),),
        expectations=(
            "alert(rate_limit.429_rate) fires within 30s of fault 0",
            "severity.max <= P4",
            "count(lost) == 0",
            "breaker(qwen) opens within 10s of fault 0",
            "breaker(qwen) ends closed",
            "recovery passes",
            "p95(latency) during fault 0 < 5s",
            "rate(failed) < 1% before 2m",
        ),
    )
    return info, reqs, calls, events


def test_report_verdicts() -> None:
    report = build_report(*incident())
    results = {e.name: e for e in report.expectations}
    assert results["alert(rate_limit.429_rate) fires within 30s of fault 0"].passed
    assert not results["severity.max <= P4"].passed  # a third failed: P3
    assert results["severity.max <= P4"].observed == "P3"
    assert results["count(lost) == 0"].passed
    assert results["breaker(qwen) opens within 10s of fault 0"].passed
    assert results["breaker(qwen) ends closed"].passed
    assert results["recovery passes"].passed
    assert results["p95(latency) during fault 0 < 5s"].passed
    assert results["rate(failed) < 1% before 2m"].passed
    assert not report.passed
    assert report.severity.max == "P3"
    alert = next(a for a in report.alerts if a.rule == "rate_limit.429_rate")
    assert alert.fired and alert.asserted
    assert dict(alert.time_to_detect_s)[0] is not None and dict(alert.time_to_detect_s)[0] <= 10.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([OK, FAILED, LOST, "weird"]), st.booleans()), max_size=60))
def test_conservation(rows: list[tuple[str, bool]]) -> None:
    reqs = [
        RequestRecord(i, float(i), float(i) if sent else None, None, outcome)
        for i, (outcome, sent) in enumerate(rows)
    ]
    report = build_report(RunInfo("c", duration_s=100.0), reqs, [], [])
    r, c = report.requests, report.conservation
    assert r.sent == sum(sent for _, sent in rows)
    broken = any(o == "weird" for o, _ in rows) or any(o in (OK, FAILED) and not s for o, s in rows)
    assert c.holds is not broken
    assert (r.sent == r.succeeded + r.failed + r.lost) is not any(o == "weird" and s for o, s in rows)
    assert report.passed is c.holds  # no expectations: the verdict is conservation's
    assert r.lost_total == sum(o == LOST for o, _ in rows)


def test_junit_is_valid_xml_with_observed_vs_expected() -> None:
    report = build_report(*incident())
    root = ET.fromstring(render_junit(report))
    cases = root.findall(".//testcase")
    names = [c.get("name") for c in cases]
    assert len(cases) == len(report.expectations) + 1  # + the one rule asserted
    assert "rate_limit.429_rate" in names
    failures = root.findall(".//failure")
    assert root.get("failures") == str(len(failures)) == "1"
    assert "observed P3" in (failures[0].get("message") or "") and "P4" in (failures[0].get("message") or "")


def test_markdown_names_the_failing_expectation() -> None:
    md = render_markdown(build_report(*incident()))
    assert "❌ **FAILED**" in md
    line = next(row for row in md.splitlines() if "severity.max <= P4" in row)
    assert line.startswith("| ❌") and "P3" in line
    assert any(row.startswith("| ✅") and "recovery passes" in row for row in md.splitlines())


def test_html_is_self_contained() -> None:
    report = build_report(*incident())
    html = render_html(report, {"x.png": b"\x89PNG fake"})
    refs = re.findall(r"""(?:src|href)\s*=\s*['"]([^'"]*)""", html) + re.findall(r"url\(([^)]*)\)", html)
    assert refs and all(ref.startswith("data:") for ref in refs)
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert "FAILED" in html and "severity.max &lt;= P4" in html


def test_json_round_trips_and_has_the_contract_fields() -> None:
    data = json.loads(render_json(build_report(*incident())))
    for key in (
        "scenario",
        "mode",
        "seed",
        "passed",
        "requests",
        "latency_s",
        "alerts",
        "severity",
        "expectations",
        "upstream_amplification",
        "conservation",
    ):
        assert key in data
    assert set(data["requests"]) >= {
        "sent",
        "succeeded",
        "failed",
        "lost",
        "fallback",
        "degraded",
        "cache_hits",
    }
    assert data["requests"]["sent"] == 3000
    assert data["upstream_amplification"]["total"] == pytest.approx(1.0)
    assert data["upstream_amplification"]["by_provider"] == {"qwen": 1.0}


def write_run(
    root: Path, info: RunInfo, reqs: list[RequestRecord], calls: list[CallRecord], events: list[EventRecord]
) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "run.json").write_text(json.dumps(info.to_dict()))
    for name, records in (("requests", reqs), ("calls", calls), ("events", events)):
        (root / f"{name}.jsonl").write_text("".join(json.dumps(r.to_dict()) + "\n" for r in records))


def test_load_run_tolerates_a_truncated_last_line_and_writes_everything(tmp_path: Path) -> None:
    info, reqs, calls, events = incident()
    write_run(tmp_path / "run", info, reqs, calls, events)
    with (tmp_path / "run" / "requests.jsonl").open("a") as fh:
        fh.write('{"id": 99999, "intended_s": 5')  # killed mid-write
    loaded = load_run(tmp_path / "run")
    assert loaded.truncated_lines == 1 and len(loaded.requests) == len(reqs)
    assert loaded.info == info
    assert any("requests.jsonl:3001" in p for p in loaded.problems)
    report = build_report(loaded.info, loaded.requests, loaded.calls, loaded.events, loaded.problems)
    written = write_all(report, tmp_path / "run")
    for name in (
        "report.json",
        "report.md",
        "junit.xml",
        "report.html",
        "plots/latency.png",
        "plots/severity.png",
    ):
        assert written[name].is_file() and written[name].stat().st_size > 0
    assert (tmp_path / "run" / "plots" / "latency.png").read_bytes().startswith(b"\x89PNG")


def test_bad_run_directories_are_named(tmp_path: Path) -> None:
    with pytest.raises(RunDataError, match="not a run directory"):
        load_run(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunDataError, match=r"requests\.jsonl: missing"):
        load_run(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "requests.jsonl").write_text('{"id": 1, "intended_s": "soon", "sent_s": null}\n[]\n')
    (tmp_path / "bad" / "run.json").write_text('{"scenario": "x", "mode": "imaginary"}')
    with pytest.raises(RunDataError, match="mode"):
        load_run(tmp_path / "bad")
    (tmp_path / "bad" / "run.json").write_text('{"scenario": "x"}')
    loaded = load_run(tmp_path / "bad")
    assert len(loaded.requests) == 0 and len(loaded.problems) == 2
    assert "intended_s" in loaded.problems[0] and "requests.jsonl:1" in loaded.problems[0]


def test_time_scale_puts_live_records_on_the_scenario_clock() -> None:
    info, reqs, calls, events = incident()
    from dataclasses import replace

    fast = replace(info, mode="live", time_scale=0.5)
    half = [
        replace(
            r,
            intended_s=r.intended_s * 0.5,
            sent_s=r.intended_s * 0.5,
            latency_s=(r.latency_s or 0) * 0.5,
            agent_s=0.25,
        )
        for r in reqs
    ]
    half_calls = [replace(c, t_s=c.t_s * 0.5, latency_s=c.latency_s * 0.5) for c in calls]
    half_events = [replace(e, t_s=e.t_s * 0.5) for e in events]
    a, b = build_report(info, reqs, calls, events), build_report(fast, half, half_calls, half_events)
    assert [e.passed for e in a.expectations] == [e.passed for e in b.expectations]
    assert b.latency.p95 == pytest.approx(a.latency.p95)


def test_compare_side_by_side() -> None:
    a = json.loads(render_json(build_report(*incident())))
    info, reqs, calls, events = incident()
    b = json.loads(render_json(build_report(info, [r for r in reqs if r.outcome == OK], calls, events)))
    cmp = compare_reports(a, b)
    row = next(r for r in cmp.rows if r[0] == "failed")
    assert row[1] > 0 and row[2] == 0 and row[3] == -row[1]
    md = render_comparison_markdown(cmp)
    assert "| failed |" in md and "severity.max <= P4" in md
    assert json.loads(json.dumps(cmp.to_dict()))["rows"][0]["metric"] == "passed"
