"""Invariants behind the live runner's interrupt path, checked without processes (hypothesis).

* Cut a run short at any moment: the merge still writes one record per scheduled request, keeps the
  outcome of each answered one, and marks everything never sent as lost — so the partial report's
  conservation (sent = succeeded + failed + lost) holds whatever the cut.
* The verdict's exit code: 0 passed, 1 failed, 3 no report or harness failure or a partial run.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drill.load.config import LoadConfig
from drill.load.merge import merge_records
from drill.verdict import EXIT_FAILED, EXIT_HARNESS, EXIT_OK, print_verdict
from reports.records import FAILED, LOST, OK, request_from_dict
from reports.report import build_report
from reports.runinfo import RunInfo
from workload.outcome import lost
from workload.prompts import Gold, Prompt
from workload.schedule import Stage, arrivals

pytestmark = pytest.mark.live

PROMPTS = (Prompt("c000000", "cita mañana 10am con Dr. Pérez", "2026-01-22", Gold("Dr. Pérez", None, None)),)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rate=st.floats(min_value=0.5, max_value=20.0),
    duration=st.floats(min_value=1.0, max_value=30.0),
    seed=st.integers(min_value=0, max_value=2**31),
    cut=st.floats(min_value=0.0, max_value=1.0),
    in_flight=st.floats(min_value=0.0, max_value=3.0),
    outcomes=st.lists(st.sampled_from([OK, FAILED]), min_size=1, max_size=50),
)
def test_an_interrupted_run_accounts_for_every_scheduled_request(
    tmp_path: Path, rate: float, duration: float, seed: int, cut: float, in_flight: float, outcomes: list[str]
) -> None:
    stages = (Stage(duration, rate),)
    config = LoadConfig(stages, "prompts.json", str(tmp_path / "requests.jsonl"), seed=seed)
    schedule = list(arrivals(stages, seed))
    cut_s = cut * duration
    part = tmp_path / "requests.w0.jsonl"
    written = {}
    with part.open("w", encoding="utf-8") as f:
        for i, a in enumerate(a for a in schedule if a.t_s < cut_s):
            base = lost(a.id, a.t_s, a.t_s, PROMPTS[0].id)
            # the last ones were still in flight when Locust stopped: it wrote them lost, with sent_s
            outcome = LOST if a.t_s > cut_s - in_flight else outcomes[i % len(outcomes)]
            rec = replace(base, outcome=outcome, latency_s=None if outcome == LOST else 0.1)
            written[a.id] = outcome
            f.write(json.dumps(rec.to_dict()) + "\n")
        f.write('{"id": 99999, "intended_s": ')   # a torn last line, as a killed writer leaves
    merged = merge_records([part], tmp_path / "requests.jsonl", config, 1, PROMPTS)
    assert merged.scheduled == len(schedule) and merged.bad_lines == 1
    assert merged.backfilled == len(schedule) - len(written)

    lines = (tmp_path / "requests.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert sorted(r["id"] for r in records) == sorted(a.id for a in schedule)
    for r in records:
        if r["id"] in written:
            assert r["outcome"] == written[r["id"]] and r["sent_s"] is not None
        else:
            assert r["outcome"] == LOST and r["sent_s"] is None

    info = RunInfo(scenario="cut", mode="live", seed=seed, time_scale=1.0, duration_s=duration)
    report = build_report(info, [request_from_dict(r) for r in records], [], [])
    c = report.requests
    assert c.sent == c.succeeded + c.failed + c.lost == len(written)
    assert c.total == len(schedule) and c.unsent == len(schedule) - len(written)
    assert c.lost_total == c.lost + c.unsent


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    passed=st.sampled_from([True, False, None]),
    harness_error=st.sampled_from([None, "RuntimeError: the qwen fake refused the fault plan"]),
    partial=st.booleans(),
    with_report=st.booleans(),
)
def test_verdict_exit_codes(tmp_path: Path, passed: bool | None, harness_error: str | None, partial: bool,
                            with_report: bool, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    report.unlink(missing_ok=True)
    if with_report:
        report.write_text(json.dumps({"passed": passed, "requests": {"sent": 3}, "expectations": [
            {"name": "count(lost) == 0", "passed": bool(passed), "observed": 0}]}), encoding="utf-8")
    code = print_verdict(tmp_path, passed, harness_error, partial=partial)
    out = capsys.readouterr()
    if harness_error is not None or passed is None or partial:
        assert code == EXIT_HARNESS
        assert "verdict: PASSED" not in out.out and "verdict: FAILED" not in out.out
    else:
        assert code == (EXIT_OK if passed else EXIT_FAILED)
        assert ("verdict: PASSED" if passed else "verdict: FAILED") in out.out
    if with_report:
        assert ("FAIL  count(lost) == 0" in out.out) == (not passed)
