"""What a harness failure leaves in run.json and the report, without processes: the Locust exit-code rules,
run.json's `harness_failure` and `merge` entries (read back by the report), and expectations left unjudged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drill.live.collect import build_run_report
from drill.live.harness import describe, load_failure, record_outcome
from reports.records import EventRecord, RequestRecord
from reports.runinfo import RunInfo


def _events() -> tuple[list[EventRecord], object]:
    out: list[EventRecord] = []
    return out, out.append


@pytest.mark.parametrize(("code", "workers", "killed", "names"), [
    (0, (), False, []),
    (0, (0, 0), False, []),
    (1, (), False, ["locust"]),
    (-9, (), False, ["locust"]),
    (0, (0, -9), False, ["locust-worker1"]),
    (-15, (-9, 0), True, ["locust-worker0"]),   # the runner stopped the master because a worker died
    (0, (), True, ["locust"]),
])
def test_locust_fails_the_harness_on_any_non_zero_exit_or_overrun(code, workers, killed, names) -> None:
    events, write = _events()
    entries = load_failure(code, workers, killed, epoch=0.0, time_scale=0.1, write_event=write)
    assert [e["process"] for e in entries] == names
    assert [e.detail["process"] for e in events] == names and all(e.kind == "harness_failure" for e in events)
    for e in entries:
        assert e["unknown_after"] and e["scenario_t_s"] == pytest.approx(e["t_s"] / 0.1, rel=1e-3)
        if e["exit_code"] == -9:
            assert e["signal"] == "SIGKILL" and "killed by SIGKILL" in describe(e)


def _run_dir(tmp_path: Path, failures: list[dict]) -> Path:
    info = RunInfo(scenario="h", mode="live", seed=1, time_scale=1.0, duration_s=10.0,
                   expectations=("count(lost) == 0", "rate(failed) < 1%"))
    (tmp_path / "run.json").write_text(json.dumps(info.to_dict()), encoding="utf-8")
    recs = [RequestRecord(id=i, intended_s=i * 0.5, sent_s=i * 0.5, latency_s=0.1, outcome="ok", status=200)
            for i in range(20)]
    (tmp_path / "requests.jsonl").write_text("".join(json.dumps(r.to_dict()) + "\n" for r in recs))
    merge = {"scheduled": 20, "counts": {"ok": 20}, "backfilled": 0, "duplicates": 0, "unscheduled": 0,
             "bad_lines": 0, "lost_in_flight": 0, "unsent": 0}
    (tmp_path / "merge.json").write_text(json.dumps(merge), encoding="utf-8")
    record_outcome(tmp_path, failures)
    return tmp_path


def test_run_json_carries_merge_and_failures_and_the_report_reads_them(tmp_path: Path) -> None:
    failure = {"process": "fakes", "pid": 1, "exit_code": -9, "signal": "SIGKILL", "t_s": 3.0,
               "scenario_t_s": 3.0, "detail": "", "unknown_after": ["provider answers"]}
    run_dir = _run_dir(tmp_path, [failure])
    info = json.loads((run_dir / "run.json").read_text())
    assert info["merge"]["scheduled"] == 20 and info["harness_failure"] == [failure]
    assert RunInfo.from_dict(info).harness_failure == (failure,)
    report = build_run_report(run_dir, "process 'fakes' died")
    assert report.passed is False
    assert report.expectations and all(not e.passed and e.observed.startswith("unknown")
                                       for e in report.expectations)
    assert all("fakes" in e.detail and "as measured" in e.detail for e in report.expectations)


def test_without_a_harness_failure_expectations_are_judged(tmp_path: Path) -> None:
    report = build_run_report(_run_dir(tmp_path, []))
    assert report.passed is True and all(e.passed for e in report.expectations)
    assert not any(e.observed.startswith("unknown") for e in report.expectations)
