"""Chat-endpoint load and drills of a gateway that is not ours (issue 10 item 5), without processes.

The chat answer is judged through the parsing contract's JSON (original date/time expressions against
gold's ``fecha``/``hora``); a target run's report marks what only our gateway knows as unavailable and
the expectations that need it as unknown; the fakes' view of the calls becomes ``calls.jsonl``.  The
one real-socket test asks a real fake for its calls.
"""

from __future__ import annotations

import argparse
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.live.fake_calls import call_records, result_of, write_fake_calls
from drill.live.plan import make_plan, with_target
from drill.live.target import (
    UNAVAILABLE,
    Target,
    TargetError,
    add_target_flags,
    parse_header,
    parse_target,
    target_from_args,
    upstreams,
)
from drill.load.chat import chat_body
from drill.load.config import ConfigError, LoadConfig
from fake_providers.servers import run_fakes_in_thread
from reports.plots import render_plots
from reports.records import FAILED, OK, CallRecord, RequestRecord
from reports.report import Report, build_report
from reports.runinfo import RunInfo
from reports.target import UNAVAILABLE_STATUS, is_unknown, mark_target
from reports.write_extras import extras_markdown, prometheus_rows
from reports.write_html import render_html
from reports.write_json import report_to_dict
from reports.write_junit import render_junit
from reports.write_markdown import render_markdown
from scenarios.loader import load_scenario_text
from workload.chat_outcome import chat_answered, chat_correct
from workload.outcome import BAD_RESPONSE
from workload.prompts import Gold, Prompt, parse_prompts
from workload.schedule import Stage

GOLD = Gold("Dr. Pérez", "2026-01-23", "10:00", fecha="mañana", hora="10am")


def completion(content: str) -> bytes:
    return json.dumps({"object": "chat.completion",
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}).encode()


def entities(**values: object) -> str:
    base: dict[str, object] = {"contacto": "Dr. Pérez", "fecha": "mañana", "hora": "10am", "lugar": None,
                               "confidence": 0.9}
    return json.dumps({**base, **values}, ensure_ascii=False)


# --- a chat answer, judged through the JSON contract ------------------------------------------------


def test_chat_answer_is_judged_on_the_original_expressions() -> None:
    """The contract's fecha/hora are as written: the resolved ones (gold.fecha_iso) would call it wrong."""
    right = chat_answered(1, 0.0, 0.0, 0.2, 200, completion(entities(fecha="Mañana")), {}, "p", GOLD)
    assert right.outcome == OK and right.correct is True and right.confidence == 0.9
    resolved = chat_answered(2, 0.0, 0.0, 0.2, 200, completion(entities(fecha="2026-01-23")), {}, "p", GOLD)
    assert resolved.correct is False
    assert resolved.served == {"contacto": "Dr. Pérez", "fecha": "2026-01-23", "hora": "10am"}
    assert resolved.gold == {"contacto": "Dr. Pérez", "fecha": "mañana", "hora": "10am"}


def test_chat_answer_without_json_is_a_json_error_and_wrong() -> None:
    r = chat_answered(1, 0.0, 0.0, 0.2, 200, completion("La cita es mañana a las 10."), {}, "p", GOLD)
    assert (r.outcome, r.json_error, r.correct, r.attempts) == (OK, True, False, 1)
    fenced = chat_answered(2, 0.0, 0.0, 0.2, 200, completion("```json\n" + entities() + "\n```"), {}, "p", GOLD)
    assert fenced.correct is True and not fenced.json_error


@pytest.mark.parametrize(("status", "body", "error"), [
    (503, b'{"error": {"message": "down"}}', "http_503"),
    (200, b'{"object": "chat.completion", "choices": []}', BAD_RESPONSE),
    (200, b"<html>oops</html>", BAD_RESPONSE),
])
def test_chat_failures_are_failed_with_a_reason(status: int, body: bytes, error: str) -> None:
    r = chat_answered(1, 0.0, 0.0, 0.2, status, body, {}, "p", GOLD)
    assert (r.outcome, r.error, r.status) == (FAILED, error, status)


def test_our_gateways_headers_are_read_when_present_and_nothing_is_claimed_without() -> None:
    ours = chat_answered(1, 0.0, 0.0, 0.2, 200, completion(entities()),
                         {"x-llmdrill-provider": "claude", "x-llmdrill-cache": "hit", "x-llmdrill-attempts": "0"},
                         "p", GOLD)
    assert (ours.provider, ours.cache_hit, ours.attempts) == ("claude", True, 0)
    theirs = chat_answered(2, 0.0, 0.0, 0.2, 200, completion(entities()), {}, "p", GOLD)
    assert (theirs.provider, theirs.cache_hit) == (None, False)


def test_gold_without_original_expressions_does_not_judge_a_chat_answer() -> None:
    assert chat_correct({"contacto": "A", "fecha": "mañana", "hora": None}, Gold("A", "2026-01-23", None)) is None


def test_the_corpus_prompts_file_carries_the_original_expressions() -> None:
    rows = [{"id": "c1", "prompt": "cita mañana 10am con Dr. Pérez", "contacto": "Dr. Pérez",
             "fecha": "mañana", "fecha_iso": "2026-01-23", "hora": "10am", "hora_hhmm": "10:00"}]
    (prompt,) = parse_prompts(rows)
    assert prompt.gold == GOLD


def test_chat_body_carries_the_parsing_contract() -> None:
    body = chat_body(Prompt("c1", "cita mañana 10am con Dr. Pérez"), "llmdrill")
    system, user = body["messages"]
    assert system["role"] == "system" and "llmdrill:parse-appointment/v1" in system["content"]
    assert user == {"role": "user", "content": "cita mañana 10am con Dr. Pérez"}
    assert body["model"] == "llmdrill" and body["temperature"] == 0
    assert "model" not in chat_body(Prompt("c1", "x"), None)


def test_load_config_refuses_a_bad_endpoint_or_header() -> None:
    stages = (Stage(10.0, 1.0),)
    with pytest.raises(ConfigError, match="endpoint"):
        LoadConfig(stages, "p", "r", endpoint="grpc")
    with pytest.raises(ConfigError, match="headers"):
        LoadConfig(stages, "p", "r", headers={"x": 1})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="gateway_headers"):
        LoadConfig(stages, "p", "r", gateway_headers="yes")  # type: ignore[arg-type]


# --- the plan ---------------------------------------------------------------------------------------

CHAT_SCENARIO = """
name: chat-small
time_scale: 0.1
duration: 2m
load: {model: open, endpoint: chat, stages: [{until: 2m, rate: 2/s}], prompts: appointments-es}
stack: {providers: {qwen: {rpm: 100}}}
actions:
  - {at: 1m, admin: {conservation_mode: true}}
expect:
  - rate(failed) < 1%
"""


def test_a_chat_scenario_plans() -> None:
    """It was refused ("'chat' load is not supported yet") before the chat user existed."""
    plan = make_plan(load_scenario_text(CHAT_SCENARIO, "chat.yaml"))
    assert plan.endpoint == "chat" and plan.target is None


def test_with_target_drops_admin_steps_and_says_so() -> None:
    plan = make_plan(load_scenario_text(CHAT_SCENARIO, "chat.yaml"))
    assert any(s.kind == "admin" for s in plan.steps) and plan.run_info.quotas_rpm["qwen"] == 100
    target = with_target(plan, Target("http://127.0.0.1:4000", headers={"Authorization": "Bearer secret"}))
    assert not any(s.kind == "admin" for s in target.steps)
    info = target.run_info.target
    assert info["skipped_admin_actions"] == [{"at_s": 6.0, "body": {"conservation_mode": True}}]
    assert info["headers"] == ["Authorization"] and "secret" not in json.dumps(info)   # no credentials in run.json
    assert RunInfo.from_dict(target.run_info.to_dict()).target == info
    assert target.run_info.quotas_rpm == {}   # the scenario's stack limits are our gateway's, not the target's


# --- the target's URL and flags -----------------------------------------------------------------------


@pytest.mark.parametrize(("url", "base"), [
    ("http://127.0.0.1:4000", "http://127.0.0.1:4000"),
    ("http://localhost:4000/v1/", "http://localhost:4000"),
    ("http://127.0.0.1:8787/gw", "http://127.0.0.1:8787/gw"),
])
def test_target_url(url: str, base: str) -> None:
    assert parse_target(url) == base


@pytest.mark.parametrize(("url", "why"), [
    ("http://192.0.2.7:4000", "loopback"), ("https://127.0.0.1:4000", "http://"), ("127.0.0.1:4000", "http://"),
    ("http://127.0.0.1:99999", "port"),
])
def test_bad_target_url_is_refused_with_the_reason(url: str, why: str) -> None:
    with pytest.raises(TargetError, match=why):
        parse_target(url)


def test_remote_target_needs_allow_remote() -> None:
    assert parse_target("http://192.0.2.7:4000", allow_remote=True) == "http://192.0.2.7:4000"


def test_target_flags() -> None:
    p = argparse.ArgumentParser()
    add_target_flags(p)
    assert target_from_args(p.parse_args([])) is None
    with pytest.raises(TargetError, match="need --target"):
        target_from_args(p.parse_args(["--target-header", "a: b"]))
    args = ["--target", "http://127.0.0.1:1/v1", "--target-header", 'x-portkey-config: {"a": 1}']
    t = target_from_args(p.parse_args(args))
    assert t is not None and t.url == "http://127.0.0.1:1" and t.headers == {"x-portkey-config": '{"a": 1}'}
    with pytest.raises(TargetError, match="one line"):
        parse_header("x-a: b\r\nx-b: c")
    fixed = target_from_args(p.parse_args(["--target", "http://127.0.0.1:1", "--upstream-ports", "46100"]))
    assert fixed is not None and fixed.upstream_port == 46100
    with pytest.raises(TargetError, match="upstream-ports"):
        target_from_args(p.parse_args(["--target", "http://127.0.0.1:1", "--upstream-ports", "80"]))
    with pytest.raises(TargetError, match="need --target"):
        target_from_args(p.parse_args(["--upstream-ports", "46100"]))


def test_upstreams_name_each_api_in_its_own_terms() -> None:
    names = upstreams({"qwen": "http://127.0.0.1:1", "claude": "http://127.0.0.1:2", "openai": "http://127.0.0.1:3/"})
    assert names["openai"]["base_url"] == "http://127.0.0.1:3/v1"
    assert names["claude"]["base_url"] == "http://127.0.0.1:2"
    assert names["qwen"]["base_url"] == "http://127.0.0.1:1/compatible-mode/v1"


# --- the calls the fakes saw ----------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "result", "status"), [
    ("ok", "ok", 200), ("http_429", "rate_limited", 429), ("http_503", "server_error", 503),
    ("http_529", "overloaded", 529), ("http_400", "client_error", 400), ("reset", "connection_reset", None),
    ("refuse", "connection_refused", None), ("hang", "timeout", None), ("bad_json:prose", "bad_response", 200),
])
def test_a_fake_label_is_a_call_result(label: str, result: str, status: int | None) -> None:
    assert result_of(label) == (result, status)


def test_call_rows_before_t0_or_malformed_are_left_out() -> None:
    rows = [[-0.5, "ok", 0.1], [1.0, "http_429", 0.01], ["x", "ok", 1], [2.0, "ok"], [True, "ok", 0.1]]
    assert call_records("qwen", rows) == [CallRecord(1.0, "qwen", 0.01, "rate_limited", 429)]


def test_a_real_fake_reports_the_calls_it_served(tmp_path: Path) -> None:
    with run_fakes_in_thread(seed=3) as fakes:
        url = fakes.urls["openai"]
        body = {"model": "m", "messages": [{"role": "user", "content": "hola"}], "max_tokens": 5}
        for _ in range(3):
            assert httpx.post(url + "/v1/chat/completions", json=body, timeout=10).status_code == 200
        written, problems = write_fake_calls({"openai": url}, tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    assert (written, problems) == (3, [])
    assert [(r["provider"], r["result"], r["status"]) for r in rows] == [("openai", "ok", 200)] * 3
    assert all(r["t_s"] >= 0 and r["latency_s"] >= 0 for r in rows)


def test_an_unreachable_fake_is_a_named_problem(tmp_path: Path) -> None:
    written, problems = write_fake_calls({"qwen": "http://127.0.0.1:9"}, tmp_path)
    assert written == 0 and problems and problems[0].startswith("qwen:")


# --- the report of a target run ---------------------------------------------------------------------------

NEEDS_UNAVAILABLE = ["breaker(qwen) opens", "breaker(qwen) ends closed", "rate(cache_hit) > 50%",
                     "rate(fallback) == 0", "alert(latency.agent_p95) never fires", "p95(agent) < 1s",
                     "alert(quality.validation_fp_rate) fires"]
MEASURABLE = ["rate(failed) < 1%", "count(lost) == 0", "p95(latency) < 1ms", "upstream_amplification < 1.5",
              "alert(rate_limit.429_rate) fires"]


def _report(expectations: list[str], target: bool) -> tuple[Report, Report]:
    info = RunInfo(scenario="t", duration_s=60.0, expectations=tuple(expectations),
                   target={"url": "http://127.0.0.1:1", "calls_from": "fakes", "unavailable": list(UNAVAILABLE)}
                   if target else {})
    requests = [RequestRecord(i, i * 0.5, i * 0.5, 0.2, OK, status=200, correct=True) for i in range(100)]
    calls = [CallRecord(i * 0.5, "qwen", 0.1, "ok", 200) for i in range(100)]
    report = build_report(info, requests, calls, [])
    return report, mark_target(report)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(NEEDS_UNAVAILABLE + MEASURABLE), min_size=1, max_size=6, unique=True))
def test_only_what_needs_unavailable_figures_is_unknown(expectations: list[str]) -> None:
    """Invariant: a measurable expectation keeps its verdict; one that needs an unavailable figure is unknown,
    never a fail; the run passes exactly when every measurable one does."""
    before, after = _report(expectations, target=True)
    for b, a in zip(before.expectations, after.expectations, strict=True):
        if a.name in NEEDS_UNAVAILABLE:
            assert is_unknown(a) and a.passed
        else:
            assert a == b
    measurable = [b.passed for b in before.expectations if b.name in MEASURABLE]
    assert after.passed == all(measurable)


def test_our_own_runs_are_left_alone() -> None:
    before, after = _report(NEEDS_UNAVAILABLE, target=False)
    assert after == before


def test_the_report_marks_rules_and_counts_unavailable() -> None:
    _, report = _report(MEASURABLE, target=True)
    status = {a.rule: a.status for a in report.alerts}
    assert status["latency.agent_p95"] == status["quality.validation_fp_rate"] == UNAVAILABLE_STATUS
    assert status["rate_limit.429_rate"] != UNAVAILABLE_STATUS
    md = render_markdown(report)
    assert "### Target gateway" in md and "| n/a | n/a | n/a |" in md
    _, unknown = _report(["breaker(qwen) opens", "rate(failed) < 1%"], target=True)
    junit = ET.fromstring(render_junit(unknown))
    assert junit.get("skipped") == "1" and junit.get("failures") == "0"
    assert "❔" in render_markdown(unknown) and "UNKNOWN" in render_html(unknown, {})
    assert report_to_dict(report)["target"]["calls_from"] == "fakes"
    assert report.correctness is not None and report.correctness.by_source == ()   # nobody said "llm"
    plots = render_plots(report)
    assert "latency.png" in plots and "breakers.png" not in plots and "cache.png" not in plots


# --- Prometheus beside the harness, in the report ----------------------------------------------------------

COMPARISON = {"interval_s": 5.0, "agree": False, "prometheus_only": ["LlmExtra"], "alerts": [
    {"rule": "down.500_rate", "alertname": "A", "agrees": True, "harness": {"fired": False, "first_fired_s": None},
     "prometheus": {"fired": False, "first_fired_s": None}, "tolerance_s": 15.0, "note": ""},
    {"rule": "rate_limit.429_rate", "alertname": "B", "agrees": False,
     "harness": {"fired": True, "first_fired_s": 90.0}, "prometheus": {"fired": False, "first_fired_s": None},
     "tolerance_s": 15.0, "note": "probes | counted"},
]}


def test_disagreements_come_first_and_are_counted() -> None:
    assert [r["rule"] for r in prometheus_rows(COMPARISON)] == ["rate_limit.429_rate", "down.500_rate"]
    report, _ = _report(MEASURABLE, target=False)
    md = "\n".join(extras_markdown(replace(report, prometheus=COMPARISON)))
    assert "1 of 2 rules agree, 1 disagree" in md
    assert "| ❌ **disagree** | `rate_limit.429_rate` | fired at 90 s | silent | probes \\| counted |" in md
    assert "`LlmExtra`" in md


def test_a_failed_comparison_is_shown_not_dropped() -> None:
    report, _ = _report(MEASURABLE, target=False)
    md = "\n".join(extras_markdown(replace(report, prometheus={"error": "no alerts read"})))
    assert "no comparison" in md and "no alerts read" in md
