"""P1-P4 at their boundaries."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.records import FAILED, LOST, OK, RequestRecord
from reports.severity import ESCALATION, INSUFFICIENT, classify, severity_rank, severity_timeline


def reference(ok: int, failed: int, alert: bool, min_requests: int = 5) -> str:
    total = ok + failed
    if total < max(min_requests, 1):
        return INSUFFICIENT
    share = Fraction(failed, total)
    if share == 1:
        return "P1"
    if share > Fraction(1, 2):
        return "P2"
    if share > Fraction(1, 5):
        return "P3"
    return "P4" if alert else "none"


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 500), st.integers(0, 500), st.booleans(), st.integers(0, 20))
def test_classify_matches_the_runbook_table(ok: int, failed: int, alert: bool, min_requests: int) -> None:
    assert classify(ok, failed, alert, min_requests) == reference(ok, failed, alert, min_requests)


@pytest.mark.parametrize(
    ("ok", "failed", "alert", "level"),
    [
        (0, 10, False, "P1"),
        (1, 99, False, "P2"),
        (5, 5, False, "P3"),
        (4, 6, False, "P2"),
        (8, 2, False, "none"),
        (8, 2, True, "P4"),
        (79, 21, False, "P3"),
        (0, 0, True, INSUFFICIENT),
        (0, 4, False, INSUFFICIENT),  # one failure out of one request is not "100 % downtime"
        (0, 5, False, "P1"),
    ],
)
def test_boundaries(ok: int, failed: int, alert: bool, level: str) -> None:
    assert classify(ok, failed, alert) == level


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 299.9), st.sampled_from([OK, FAILED, LOST])), max_size=200))
def test_timeline_counts_every_request_once_and_max_is_the_worst(rows: list[tuple[float, str]]) -> None:
    reqs = [RequestRecord(i, t, t, 0.1, outcome) for i, (t, outcome) in enumerate(rows)]
    tl = severity_timeline(reqs, 300.0)
    assert len(tl.windows) == 5
    assert sum(w.succeeded for w in tl.windows) == sum(o == OK for _, o in rows)
    assert sum(w.failed for w in tl.windows) == sum(o == FAILED for _, o in rows)
    assert sum(w.lost for w in tl.windows) == sum(o == LOST for _, o in rows)
    assert severity_rank(tl.max) == max(severity_rank(w.level) for w in tl.windows)
    assert tl.escalation == ESCALATION[tl.max]


def test_alerts_make_a_functional_window_p4_and_empty_windows_insufficient() -> None:
    reqs = [RequestRecord(i, float(i), float(i), 0.1, OK) for i in range(30)]
    tl = severity_timeline(reqs, 120.0, lambda a, b: ("latency.llm_p95",) if a < 60 else ())
    assert [w.level for w in tl.windows] == ["P4", INSUFFICIENT]
    assert tl.max == "P4" and "ticket" in tl.escalation
    assert "immediately" in ESCALATION["P1"] and "tech lead" in ESCALATION["P2"]
    assert "#incidents" in ESCALATION["P3"]


def test_fallback_is_success_counted_apart() -> None:
    reqs = [RequestRecord(i, 1.0, 1.0, 0.1, OK, fallback=True) for i in range(10)]
    w = severity_timeline(reqs, 60.0).windows[0]
    assert (w.level, w.fallback, w.failed) == ("none", 10, 0)


def test_a_sparse_window_is_insufficient_data_not_p1() -> None:
    # regression: a single failed request in a quiet minute used to make the whole run P1
    reqs = [RequestRecord(i, float(i), float(i), 0.1, OK) for i in range(30)]
    reqs.append(RequestRecord(30, 70.0, 70.0, 0.1, FAILED, error="http_503"))
    tl = severity_timeline(reqs, 120.0)
    assert [w.level for w in tl.windows] == ["none", INSUFFICIENT]
    assert tl.max == "none"
    assert severity_timeline(reqs, 120.0, min_requests=1).max == "P1"
    with pytest.raises(ValueError, match="min_requests"):
        severity_timeline(reqs, 120.0, min_requests=-1)


def test_harness_errors_are_not_failures_of_the_stack() -> None:
    reqs = [RequestRecord(i, float(i), float(i), 0.1, OK) for i in range(10)]
    reqs += [RequestRecord(10 + i, 20.0, 20.0, 0.0, FAILED, error="client_error:ValueError", harness_error=True)
             for i in range(10)]
    w = severity_timeline(reqs, 60.0).windows[0]
    assert (w.level, w.failed, w.harness_errors) == ("none", 0, 10)


def test_the_minimum_is_a_setting_of_the_run_that_report_honours() -> None:
    from reports.report import build_report
    from reports.runinfo import RunInfo, RunInfoError

    reqs = [RequestRecord(i, float(i), float(i), 0.1, OK) for i in range(30)]
    reqs.append(RequestRecord(30, 70.0, 70.0, 0.1, FAILED, error="http_503"))
    info = RunInfo("x", duration_s=120.0)
    assert info.severity_min_requests == 5
    assert build_report(info, reqs, [], []).severity.max == "none"
    strict = RunInfo.from_dict({**info.to_dict(), "severity_min_requests": 1})
    assert strict.severity_min_requests == 1
    assert build_report(strict, reqs, [], []).severity.max == "P1"
    assert build_report(info, reqs, [], [], severity_min_requests=1).severity.max == "P1"
    for bad in (0, True, "5"):
        with pytest.raises(RunInfoError, match="severity_min_requests"):
            RunInfo.from_dict({**info.to_dict(), "severity_min_requests": bad})
