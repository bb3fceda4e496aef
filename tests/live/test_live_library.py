"""Library scenarios run live, end to end, through the real ``llmdrill run`` command.

Each scenario runs once (in the background, see ``conftest.py``); every test here reads its run
directory: the verdict, request conservation, the artefacts, and facts specific to the scenario.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from .support import RUN_OVERHEAD_S, CliResult, LiveRuns, explain, library_wall_s, read_jsonl, scheduled_ids

pytestmark = [pytest.mark.live, pytest.mark.timeout(900)]

LIBRARY = ("circuit-breaker", "provider-down", "total-outage", "rate-limit-storm")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module", params=LIBRARY)
def library_run(request: pytest.FixtureRequest, live_runs: LiveRuns) -> CliResult:
    return live_runs.get(request.param)


@pytest.fixture(scope="module")
def circuit_breaker_run(live_runs: LiveRuns) -> CliResult:
    return live_runs.get("circuit-breaker")


@pytest.fixture(scope="module")
def provider_down_run(live_runs: LiveRuns) -> CliResult:
    return live_runs.get("provider-down")


@pytest.fixture(scope="module")
def total_outage_run(live_runs: LiveRuns) -> CliResult:
    return live_runs.get("total-outage")


@pytest.fixture(scope="module")
def rate_limit_storm_run(live_runs: LiveRuns) -> CliResult:
    return live_runs.get("rate-limit-storm")


def _run_dir(run: CliResult) -> Path:
    assert run.run_dir is not None
    return run.run_dir


def _fault_window_run_s(report: dict[str, Any], index: int = 0) -> tuple[float, float]:
    """Fault ``index``'s window in run (wall) seconds; the report speaks scenario seconds."""
    fault = report["faults"][index]
    scale = float(report["time_scale"])
    until = fault["until_s"] if fault["until_s"] is not None else report["duration_s"]
    return float(fault["at_s"]) * scale, float(until) * scale


def _breaker_changes(run: CliResult, provider: str) -> list[tuple[float, str, str]]:
    events = read_jsonl(_run_dir(run) / "events.jsonl")
    return sorted((e["t_s"], e["detail"]["from_state"], e["detail"]["to_state"]) for e in events
                  if e["kind"] == "breaker" and e["detail"].get("provider") == provider)


# -- every library scenario ----------------------------------------------------------------------

def test_run_passes_with_exit_code_0(library_run: CliResult) -> None:
    report = library_run.report()
    failing = [e["name"] for e in report["expectations"] if not e["passed"]]
    assert library_run.code == 0 and report["passed"] is True and not failing, explain(library_run)
    assert report["expectations"], "a library scenario lists expectations"
    assert "verdict: PASSED" in library_run.stdout, explain(library_run)
    assert not report.get("data_problems"), explain(library_run)


def test_run_stays_within_its_wall_time(library_run: CliResult) -> None:
    name = library_run.report()["scenario"]
    wall = library_wall_s(name)
    assert wall <= 90.0, f"{name}: {wall:g} s of load is more than a live CI test can afford"
    # two runs share the machine: allow startup and teardown, but a hang or a missed stop shows here
    assert library_run.elapsed_s <= wall + RUN_OVERHEAD_S, explain(library_run)
    assert library_run.elapsed_s >= wall, f"{name} finished before its load could have: {explain(library_run)}"


def test_every_request_is_accounted_for(library_run: CliResult) -> None:
    report = library_run.report()
    req = report["requests"]
    assert req["sent"] == req["succeeded"] + req["failed"] + req["lost"], (req, explain(library_run))
    assert req["lost"] == 0 and req["lost_total"] == 0 and req["unsent"] == 0, (req, explain(library_run))
    assert report["conservation"]["holds"] is True, report["conservation"]
    records = read_jsonl(_run_dir(library_run) / "requests.jsonl")
    assert len(records) == req["total"] == req["sent"] > 0
    assert len({r["id"] for r in records}) == len(records), "a request id recorded twice"
    by_outcome = {k: sum(r["outcome"] == k for r in records) for k in ("ok", "failed", "lost")}
    assert by_outcome == {"ok": req["succeeded"], "failed": req["failed"], "lost": req["lost"]}
    # the open model sent exactly what its deterministic schedule holds, each within the run
    assert sorted(r["id"] for r in records) == sorted(scheduled_ids(_run_dir(library_run) / "scenario.yaml"))
    wall = library_wall_s(report["scenario"])
    intended = sorted(r["intended_s"] for r in records)
    assert intended[0] >= 0 and intended[-1] <= wall, (intended[0], intended[-1], wall)


def test_artefacts_agree_with_report_json(library_run: CliResult) -> None:
    run_dir = _run_dir(library_run)
    report = library_run.report()
    suite = ET.parse(run_dir / "junit.xml").getroot()
    cases = suite.findall(".//testcase")
    names = {c.get("name") for c in cases}
    assert {e["name"] for e in report["expectations"]} <= names
    assert not [c.get("name") for c in cases if c.find("failure") is not None], explain(library_run)
    md = (run_dir / "report.md").read_text(encoding="utf-8")
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    head = "\n".join(md.splitlines()[:4])   # the title and the verdict line under it
    assert "PASSED" in head and "FAILED" not in head and report["scenario"] in head, head
    assert html.lstrip().lower().startswith("<!doctype html") and report["scenario"] in html
    plots = sorted((run_dir / "plots").glob("*.png"))
    assert plots, f"no plots in {run_dir / 'plots'}"
    for plot in plots:
        assert plot.read_bytes()[:8] == PNG_MAGIC, f"{plot} is not a PNG"
    assert (run_dir / "scenario.yaml").is_file() and (run_dir / "run.json").is_file()


def test_run_json_records_overhead_compression_and_config(library_run: CliResult) -> None:
    info = json.loads((_run_dir(library_run) / "run.json").read_text(encoding="utf-8"))
    overhead = info["overhead"]
    assert overhead["n"] >= 10 and 0 < overhead["p50_s"] <= overhead["p99_s"] <= overhead["max_s"], overhead
    check = info["compression"]
    assert check["overhead_source"] == "measured" and check["overhead_s"] == overhead["p50_s"]
    assert check["safe"] and check["before_start"]["safe"], check
    assert check["run_peak_rate_per_s"] == pytest.approx(check["peak_rate_per_s"] / info["time_scale"])
    config = info["config"]
    assert config["time_scale"] == info["time_scale"] and config["provider"] in ("auto", "qwen", "claude", "openai")
    assert set(config["stack"]) >= {"providers", "breaker", "retries", "router", "queue", "cache", "timeout"}


# -- what each scenario rehearses ----------------------------------------------------------------

def test_circuit_breaker_opens_probes_and_closes(circuit_breaker_run: CliResult) -> None:
    run_dir = _run_dir(circuit_breaker_run)
    assert (run_dir / "plots" / "breakers.png").read_bytes()[:8] == PNG_MAGIC
    report = circuit_breaker_run.report()
    start, end = _fault_window_run_s(report)
    changes = _breaker_changes(circuit_breaker_run, "qwen")
    opened = [t for t, _, to in changes if to == "open"]
    closed = [t for t, _, to in changes if to == "closed"]
    assert opened and closed, f"qwen's breaker transitions: {changes}\n{explain(circuit_breaker_run)}"
    assert start <= opened[0] <= end, (start, end, changes)
    assert closed[-1] > opened[0], changes
    # recovery_timeout 60 s against a 3-minute fault: half-open probes fail and reopen it meanwhile
    reopened = [t for t, frm, to in changes if frm == "half_open" and to == "open"]
    assert reopened and all(start <= t <= end + 1.0 for t in reopened), changes
    assert changes[-1][2] == "closed", changes
    # the breaker spared Qwen: its calls while it was failing are a handful of probes, not the traffic
    calls = read_jsonl(run_dir / "calls.jsonl")
    qwen_failing = [c for c in calls if c["provider"] == "qwen" and opened[0] + 0.5 <= c["t_s"] <= end]
    others = [c for c in calls if c["provider"] != "qwen" and opened[0] + 0.5 <= c["t_s"] <= end]
    assert len(qwen_failing) < 0.2 * len(others), (len(qwen_failing), len(others))


def test_provider_down_fails_over(provider_down_run: CliResult) -> None:
    run_dir = _run_dir(provider_down_run)
    report = provider_down_run.report()
    start, end = _fault_window_run_s(report)
    calls = read_jsonl(run_dir / "calls.jsonl")
    during = [c for c in calls if start + 0.5 <= c["t_s"] <= end - 0.5]
    qwen = [c for c in during if c["provider"] == "qwen"]
    assert all(c["result"] != "ok" for c in qwen), f"qwen answered while down: {qwen[:5]}"
    # Qwen was tried and failed: its resets can all fall in the fault's first half second (the breaker opens on
    # them, and its half-open probe need not land inside the trimmed window), so they are looked for from the start
    tried = [c for c in calls if c["provider"] == "qwen" and start - 0.5 <= c["t_s"] <= end - 0.5]
    assert any(c["result"] != "ok" for c in tried), f"qwen was not tried while down: {tried[:5]}"
    assert sum(c["provider"] == "claude" and c["result"] == "ok" for c in during) > 0
    req = report["requests"]
    # failover, not the regex fallback, serves users while one provider is down
    assert req["fallback"] <= 0.05 * req["sent"], req
    assert report["severity"]["max"] in ("none", "P4"), report["severity"]["max"]
    assert [to for _, _, to in _breaker_changes(provider_down_run, "qwen")][-1:] == ["closed"]


def test_total_outage_falls_back_for_everyone(total_outage_run: CliResult) -> None:
    run_dir = _run_dir(total_outage_run)
    report = total_outage_run.report()
    start, end = _fault_window_run_s(report)
    records = read_jsonl(run_dir / "requests.jsonl")
    # the first ones of the outage wait for the breakers; from then on every answer is the fallback
    settled = [r for r in records if start + 3.0 <= r["intended_s"] <= end]
    fallbacks = sum(bool(r["fallback"]) for r in settled)
    assert settled and fallbacks >= 0.95 * len(settled), (fallbacks, len(settled))
    req = report["requests"]
    in_window = sum(start <= r["intended_s"] <= end + 1.0 for r in records)
    assert 0.9 * len(settled) <= req["fallback"] <= in_window, (req, in_window)
    assert report["severity"]["max"] == "P4", report["severity"]
    for provider in ("qwen", "claude", "openai"):
        assert "open" in [to for _, _, to in _breaker_changes(total_outage_run, provider)], provider


def test_rate_limit_storm_meets_429s_and_fails_over(rate_limit_storm_run: CliResult) -> None:
    run_dir = _run_dir(rate_limit_storm_run)
    report = rate_limit_storm_run.report()
    stats = json.loads((run_dir / "fakes-stats.json").read_text(encoding="utf-8"))
    qwen = stats["qwen"]["by_provider"]["qwen"]["by_outcome"]
    assert qwen.get("http_429", 0) > 0, f"Qwen's quota never answered 429: {qwen}"
    fired = {a["rule"] for a in report["alerts"] if a["fired"]}
    assert "rate_limit.429_rate" in fired, fired
    start, end = _fault_window_run_s(report)
    calls = read_jsonl(run_dir / "calls.jsonl")
    assert sum(c["provider"] != "qwen" and start <= c["t_s"] <= end for c in calls) > 0
    assert report["upstream_amplification"]["total"] < 1.5, report["upstream_amplification"]
