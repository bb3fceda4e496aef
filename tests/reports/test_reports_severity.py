"""P1-P4 at their boundaries."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.records import FAILED, LOST, OK, RequestRecord
from reports.severity import ESCALATION, classify, severity_rank, severity_timeline


def reference(ok: int, failed: int, alert: bool) -> str:
    total = ok + failed
    if total == 0:
        return "none"
    share = Fraction(failed, total)
    if share == 1:
        return "P1"
    if share > Fraction(1, 2):
        return "P2"
    if share > Fraction(1, 5):
        return "P3"
    return "P4" if alert else "none"


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 500), st.integers(0, 500), st.booleans())
def test_classify_matches_the_runbook_table(ok: int, failed: int, alert: bool) -> None:
    assert classify(ok, failed, alert) == reference(ok, failed, alert)


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
        (0, 0, True, "none"),
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


def test_alerts_make_a_functional_window_p4_and_empty_windows_none() -> None:
    reqs = [RequestRecord(i, float(i), float(i), 0.1, OK) for i in range(30)]
    tl = severity_timeline(reqs, 120.0, lambda a, b: ("latency.llm_p95",) if a < 60 else ())
    assert [w.level for w in tl.windows] == ["P4", "none"]
    assert tl.max == "P4" and "ticket" in tl.escalation
    assert "immediately" in ESCALATION["P1"] and "tech lead" in ESCALATION["P2"]
    assert "#incidents" in ESCALATION["P3"]


def test_fallback_is_success_counted_apart() -> None:
    reqs = [RequestRecord(i, 1.0, 1.0, 0.1, OK, fallback=True) for i in range(10)]
    w = severity_timeline(reqs, 60.0).windows[0]
    assert (w.level, w.fallback, w.failed) == ("none", 10, 0)
