"""Expectations evaluated against synthetic runs."""

from __future__ import annotations

import pytest

from reports.records import FAILED, OK, CallRecord, EventRecord, RequestRecord
from reports.report import build_report
from reports.runinfo import FaultWindow, RunInfo
from scenarios.expectations.measure import RunView, Span, samples_in
from scenarios.expectations.metric_def import MetricDef
from scenarios.expectations.metrics import METRICS


def run(expectations: tuple[str, ...], burst_at: float = 200.0) -> dict[str, tuple[bool, str]]:
    reqs = [
        RequestRecord(i, float(i), float(i), 1.0, FAILED if i % 50 == 0 else OK, attempts=1, confidence=0.9)
        for i in range(600)
    ]
    # 2 calls per request before 300 s, 1 after: calls drop by half
    calls = [CallRecord(float(i), "qwen", 0.5, "ok") for i in range(600)]
    calls += [CallRecord(float(i) + 0.5, "claude", 0.5, "ok") for i in range(300)]
    calls += [CallRecord(burst_at, "qwen", 0.1, "rate_limited", 429)] * 30
    events = [EventRecord(130.0, "breaker", {"provider": "qwen", "to_state": "open"})]
    info = RunInfo(
        "t", duration_s=600.0, faults=(FaultWindow(0, 100.0, 250.0, "qwen"),), expectations=expectations
    )
    report = build_report(info, reqs, calls, events)
    return {e.name: (e.passed, e.observed + " | " + e.detail) for e in report.expectations}


@pytest.mark.parametrize(
    ("text", "passed"),
    [
        ("alert(rate_limit.429_rate) fires within 120s of fault 0", True),
        ("alert(rate_limit.429_rate) fires within 60s of fault 0", False),
        ("alert(rate_limit.429_rate) fires within 120s", True),
        ("alert(down.500_rate) never fires", True),
        ("alert(rate_limit.429_rate) does not fire", False),
        ("alert(rate_limit.429_rate) never fires before 3m", True),
        ("alert(rate_limit.429_rate) fires during fault 0", True),
        ("breaker(qwen) opens within 29s of fault 0", False),
        ("breaker(qwen) opens within 30s", True),
        ("breaker(qwen) opens within 40s of fault 0", True),
        ("breaker(qwen) ends closed", False),
        ("breaker(qwen) ends open", True),
        ("breaker(claude) never opens", True),
        ("ratio(calls after 5m, calls before 5m) <= 0.5", True),
        ("ratio(calls after 5m, calls before 5m) < 0.45", False),
        ("calls(claude) == 300", True),
        ("calls(claude) after 5m == 0", True),
        ("upstream_amplification(qwen) < 1.1", True),
        ("rate(failed) == 2%", True),
        ("count(failed) == 12", True),
        ("count(sent) == 600", True),
        ("avg(confidence) > 0.8", True),
        ("p95(latency) < 1s", False),
        ("p95(latency) <= 1s", True),
        ("severity.max == P4", True),
        ("severity.max == none after 9m", True),
        ("severity.max == none", False),
        ("recovery passes", False),  # no limits event recorded
    ],
)
def test_expectation_verdicts(text: str, passed: bool) -> None:
    verdict, observed = run((text,))[text]
    assert verdict is passed, observed


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("alert(latency.llm_p59) fires", "did you mean 'latency.llm_p95'"),
        ("alert(rate_limit.429_rate) fires within 60s of fault 3", "no fault 3"),
        ("p95(latency) during fault 7 < 1s", "no fault 7"),
        ("rate(failed) after 20m < 1%", "no requests"),
        ("p95(latency) <", "column 15"),
    ],
)
def test_undefined_or_bad_expectations_fail_with_a_reason(text: str, why: str) -> None:
    verdict, observed = run((text,))[text]
    assert verdict is False and why in observed


def _each_metric_once() -> list[str]:
    out = []
    for name, definition in METRICS.items():
        low = "none" if definition.kind == "severity" else "0"
        forms = [f"{name}({arg})" for arg in definition.takes] if definition.takes is not None else [name]
        if definition.takes_provider:
            forms.append(f"{name}(qwen)")
        out += [f"{form} >= {low}" for form in forms]
    return out


@pytest.mark.parametrize("text", _each_metric_once())
def test_the_run_supplies_every_column_every_metric_reads(text: str) -> None:
    """Every metric of the registry (a value >= its least) holds on a run, or names why it has no value:
    a column the run does not supply would raise instead."""
    verdict, observed = run((text,))[text]
    assert verdict or observed.startswith("undefined | no "), observed


def test_a_metric_added_to_the_registry_is_evaluated_over_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The report evaluates a new metric through the registry alone: min(latency) here."""

    def smallest(arg: str | None, view: RunView, span: Span) -> float | str:
        return samples_in(view, arg, span).percentile(0.0)

    monkeypatch.setitem(METRICS, "min", MetricDef("min", ("latency",), "duration", smallest))
    results = run(("min(latency) >= 1s", "min(latency) > 1s"))  # every latency of run() is 1 s
    assert results["min(latency) >= 1s"][0] is True
    assert results["min(latency) > 1s"][0] is False
