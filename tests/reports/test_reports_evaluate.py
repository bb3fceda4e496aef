"""Rule evaluation: exact percentiles, firing right around the threshold, time-to-detect."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.evaluate import evaluate, percentile
from reports.records import OK, CallRecord, EventRecord, RequestRecord
from reports.rules import DEFAULT_RULES, RULE_IDS, RuleConfigError, apply_overrides
from reports.runinfo import FaultWindow

LLM_P95 = next(r for r in DEFAULT_RULES if r.id == "latency.llm_p95")
RATE_429 = next(r for r in DEFAULT_RULES if r.id == "rate_limit.429_rate")
ERRORS_5M = next(r for r in DEFAULT_RULES if r.id == "rate_limit.errors_5m")


def calls_with_latencies(latencies: list[float], start: float = 0.0, gap: float = 0.1) -> list[CallRecord]:
    # t_s chosen so that every call *ends* (is observed) at start + i * gap
    return [CallRecord(start + i * gap - lat, "qwen", lat, "ok") for i, lat in enumerate(latencies)]


def test_rule_ids_are_the_runbooks() -> None:
    assert RULE_IDS == (
        "latency.llm_p95",
        "latency.timeout_rate",
        "latency.agent_p95",
        "quality.confidence_avg",
        "quality.json_error_rate",
        "quality.validation_fp_rate",
        "rate_limit.errors_5m",
        "rate_limit.429_rate",
        "down.connection_errors_1m",
        "down.500_rate",
    )
    assert {r.severity for r in DEFAULT_RULES if r.id.startswith("down.")} == {"critical"}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=0.0, max_value=120.0, allow_nan=False), min_size=1, max_size=300),
    st.sampled_from([50.0, 90.0, 95.0, 99.0]),
)
def test_percentile_is_numpys_linear(values: list[float], q: float) -> None:
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)), rel=1e-12, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=0.01, max_value=30.0, allow_nan=False), min_size=10, max_size=200))
def test_window_p95_equals_numpy_over_the_window(latencies: list[float]) -> None:
    calls = calls_with_latencies(latencies, start=1.0, gap=0.5)
    end = 1.0 + 0.5 * (len(latencies) - 1)
    ev = evaluate([], calls, end_s=end, rules=[LLM_P95], step_s=end / 3).rules[0]
    last = ev.points[-1]
    assert last.samples == len(latencies)
    assert last.value == pytest.approx(float(np.percentile(latencies, 95)))
    assert last.firing == (float(np.percentile(latencies, 95)) > 10.0)


@pytest.mark.parametrize(("tail", "fires"), [(9.9, False), (10.1, True)])
def test_llm_p95_fires_just_above_ten_seconds(tail: float, fires: bool) -> None:
    # 100 calls: 90 fast, 10 at `tail`; p95 (linear) is exactly `tail`
    calls = calls_with_latencies([1.0] * 90 + [tail] * 10, start=20.0, gap=1.0)
    ev = evaluate([], calls, end_s=120.0, rules=[LLM_P95]).rules[0]
    assert max(p.value or 0 for p in ev.points) == pytest.approx(tail)
    assert ev.fired is fires


def test_too_few_samples_do_not_fire_rate_rules() -> None:
    few = [CallRecord(1.0, "qwen", 0.1, "rate_limited", 429)] * (RATE_429.min_samples - 1)
    assert not evaluate([], few, end_s=60.0, rules=[RATE_429]).rules[0].fired
    enough = [*few, CallRecord(1.0, "qwen", 0.1, "ok")]
    assert evaluate([], enough, end_s=60.0, rules=[RATE_429]).rules[0].fired


def test_count_rule_needs_more_than_ten_in_five_minutes() -> None:
    ten = [CallRecord(float(i), "qwen", 0.1, "rate_limited", 429) for i in range(10)]
    assert not evaluate([], ten, end_s=100.0, rules=[ERRORS_5M]).rules[0].fired
    eleven = [*ten, CallRecord(50.0, "qwen", 0.1, "quota_exhausted", 429)]
    assert evaluate([], eleven, end_s=100.0, rules=[ERRORS_5M]).rules[0].fired


@settings(max_examples=30, deadline=None)
@given(st.floats(min_value=30.0, max_value=500.0), st.integers(min_value=21, max_value=60))
def test_time_to_detect_is_first_firing_after_fault_start(fault_at: float, burst: int) -> None:
    ok = [CallRecord(i * 2.0, "qwen", 0.05, "ok") for i in range(400)]
    # a 429 burst one second after the fault starts: observable at fault_at + 1.05
    bad = [CallRecord(fault_at + 1.0, "qwen", 0.05, "rate_limited", 429)] * burst
    fault = FaultWindow(0, fault_at, fault_at + 60.0, "qwen")
    ev = evaluate([], ok + bad, faults=[fault], end_s=800.0, rules=[ERRORS_5M]).rules[0]
    step = 5.0
    detection = ev.detection(0)
    assert detection is not None and detection.time_to_detect_s is not None
    assert 1.05 <= detection.time_to_detect_s <= 1.05 + step + 1e-9
    assert ev.first_fired_s == detection.detected_s
    # the burst leaves the 5-minute window and the alert resolves
    assert ev.intervals[0][1] == pytest.approx(
        step * np.ceil((fault_at + 1.05 + 300.0) / step + 1e-12), abs=step
    )


def test_detection_outside_fault_window_is_not_counted() -> None:
    bad = [CallRecord(700.0, "qwen", 0.05, "rate_limited", 429)] * 30
    fault = FaultWindow(0, 10.0, 20.0)
    ev = evaluate([], bad, faults=[fault], end_s=800.0, rules=[ERRORS_5M]).rules[0]
    assert ev.fired
    assert ev.detection(0) is not None and ev.detection(0).time_to_detect_s is None  # type: ignore[union-attr]


def test_degradation_mode_relaxes_the_latency_threshold() -> None:
    calls = calls_with_latencies([15.0] * 50, start=10.0, gap=1.0)
    assert evaluate([], calls, end_s=100.0, rules=[LLM_P95]).rules[0].fired
    relaxed = evaluate([], calls, end_s=100.0, rules=[LLM_P95], degradation_mode=True).rules[0]
    assert not relaxed.fired and relaxed.points[-1].threshold == 20.0
    events = [
        EventRecord(0.0, "mode", {"mode": "degraded", "active": True, "source": "manual", "reason": "x"}),
        EventRecord(40.0, "mode", {"mode": "degraded", "active": False, "source": None, "reason": "x"}),
    ]
    timed = evaluate([], calls, events, end_s=100.0, rules=[LLM_P95]).rules[0]
    assert timed.fired and timed.first_fired_s is not None and timed.first_fired_s > 40.0


def test_request_rules_read_requests() -> None:
    low = [RequestRecord(i, float(i), float(i), 0.5, OK, attempts=1, confidence=0.5) for i in range(30)]
    ev = evaluate(low, [], end_s=40.0).rule("quality.confidence_avg")
    assert ev is not None and ev.fired
    high = [RequestRecord(i, float(i), float(i), 0.5, OK, attempts=1, confidence=0.9) for i in range(30)]
    ev = evaluate(high, [], end_s=40.0).rule("quality.confidence_avg")
    assert ev is not None and not ev.fired


def test_overrides_apply_and_bad_ones_are_named() -> None:
    rules = apply_overrides({"latency.llm_p95": {"threshold": "8s", "window": "1m"}})
    rule = next(r for r in rules if r.id == "latency.llm_p95")
    assert (rule.threshold, rule.window_s) == (8.0, 60.0)
    with pytest.raises(RuleConfigError, match=r"did you mean 'latency\.llm_p95'"):
        apply_overrides({"latency.llm_p59": {"threshold": 1}})
    with pytest.raises(RuleConfigError, match=r"rules.latency.llm_p95.treshold.*did you mean 'threshold'"):
        apply_overrides({"latency.llm_p95": {"treshold": 1}})
    with pytest.raises(RuleConfigError, match="window"):
        apply_overrides({"latency.llm_p95": {"window": "0s"}})
