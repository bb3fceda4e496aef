"""What ``llmdrill fidelity`` reads of a live run's costs (``drill.fidelity_costs``), from run directories
written here as the live collectors write them (``RunInfo``/``RequestRecord``/``CallRecord.to_dict``,
one JSON object a line, a torn last line).

Every figure is written in scenario seconds × time_scale (the wall clock of a compressed run) and must
read back in scenario seconds: the same costs at time_scale 1 and 0.1.
"""

from __future__ import annotations

import json
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.fidelity_costs import MIN_OVERHEAD_SAMPLES, LiveCosts, measured_costs, measured_overhead_s
from reports.io import RunDataError
from reports.records import FAILED, LOST, OK, CallRecord, RequestRecord
from reports.runinfo import FaultWindow, RunInfo

FAULT_AT_S = 60.0            # scenario seconds: calls before it are fault-free
TIMEOUTS_S = {"qwen": 10.0, "claude": 5.0}
BASELINES = {"qwen": [0.6] * 11, "claude": [0.8] * 11}


def _write_run(root: Path, scale: float, requests: list[RequestRecord], calls: list[CallRecord],
               mode: Literal["live", "sim"] = "live") -> Path:
    """A run directory whose records are in run seconds: every time and duration given (scenario
    seconds) × ``scale``, as a live run at that time_scale records them."""
    root.mkdir(parents=True, exist_ok=True)
    info = RunInfo(scenario="provider-down", mode=mode, time_scale=scale, duration_s=120.0,
                   faults=(FaultWindow(0, FAULT_AT_S, 90.0, "qwen", "qwen refuses connections"),),
                   compression={"time_scale": scale, "overhead_source": "measured", "overhead_scenario_s": 0.03})
    (root / "run.json").write_text(json.dumps(info.to_dict()), encoding="utf-8")

    def wall(x: float | None) -> float | None:
        return None if x is None else x * scale

    rows = [{**r.to_dict(), "intended_s": r.intended_s * scale, "sent_s": wall(r.sent_s),
             "latency_s": wall(r.latency_s)} for r in requests]
    # a killed run's torn last line: skipped, as the report skips it
    (root / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"id": 99, "inte',
                                         encoding="utf-8")
    (root / "calls.jsonl").write_text("".join(
        json.dumps({**c.to_dict(), "t_s": c.t_s * scale, "latency_s": c.latency_s * scale}) + "\n" for c in calls),
        encoding="utf-8")
    return root


def _request(i: int, latency_s: float | None, outcome: str = OK, cache_hit: bool = True) -> RequestRecord:
    return RequestRecord(i, float(i), float(i), latency_s, outcome, 200 if outcome == OK else None,
                         cache_hit=cache_hit)


def _the_run() -> tuple[list[RequestRecord], list[CallRecord]]:
    """Scenario seconds throughout; what each figure must come to is derived beside the records."""
    # 20 cache hits answered in 4.0, 4.1, ... 5.9 ms: the fixed cost per request, in file order
    hits = [_request(i, 0.004 + i * 1e-4) for i in range(MIN_OVERHEAD_SAMPLES)]
    # none of these is a cost sample: a miss, a failed cache hit, a cache hit never answered
    others = [_request(100, 0.09, cache_hit=False), _request(101, 0.5, FAILED), _request(102, None, LOST)]
    # before the fault at 60 s: qwen answers 10 calls in 0.7 s, claude 20 in 0.95 s.  Pooled (30 calls),
    # sorted: 10 × 0.7 then 20 × 0.95, the upper median (index 15) is 0.95.  The baselines mixed as the
    # calls were: 5 quantiles per call, 50 × 0.6 (qwen) and 100 × 0.8 (claude), index 75 is 0.8.
    # The cost per call: 0.95 - 0.8 = 0.15 s, for every provider.
    quiet = ([CallRecord(10.0 + i, "qwen", 0.7, OK, 200) for i in range(10)]
             + [CallRecord(20.0 + i, "claude", 0.95, OK, 200) for i in range(20)]
             + [CallRecord(30.0, "mystery", 9.0, OK, 200)])       # no baseline to weigh it against: left out
    # after the fault began: 40 slow answers that, if counted, would make the pooled median 3.0 s
    during = [CallRecord(FAULT_AT_S + 0.5 + i * 0.5, "qwen", 3.0, OK, 200) for i in range(40)]
    # timed out: lags 10.004-10 = 0.004, 10.006-10 = 0.006, 5.002-5 = 0.002, and a call the request's
    # deadline cut short at 4 s (-6): sorted [-6, 0.002, 0.004, 0.006], index 2: the timer lags 4 ms
    timeouts = [CallRecord(70.0, "qwen", 10.004, "timeout"), CallRecord(71.0, "qwen", 10.006, "timeout"),
                CallRecord(72.0, "claude", 5.002, "timeout"), CallRecord(73.0, "qwen", 4.0, "timeout"),
                CallRecord(74.0, "mystery", 99.0, "timeout")]   # no timeout known for it: left out
    return hits + others, quiet + during + timeouts


@pytest.mark.parametrize("scale", [1.0, 0.1])
def test_the_costs_read_in_scenario_seconds_whatever_the_time_scale(tmp_path: Path, scale: float) -> None:
    requests, calls = _the_run()
    costs = measured_costs(_write_run(tmp_path, scale, requests, calls), TIMEOUTS_S, BASELINES)
    assert costs.per_request_s == pytest.approx([0.004 + i * 1e-4 for i in range(MIN_OVERHEAD_SAMPLES)], rel=1e-12)
    assert costs.drawn
    assert costs.calibration_s == 0.03
    assert costs.call_cost_s == {"qwen": pytest.approx(0.15, rel=1e-12), "claude": pytest.approx(0.15, rel=1e-12)}
    assert costs.timeouts == 4
    assert costs.timer_lag_s == pytest.approx(0.004, rel=1e-9)
    assert "20 cache-hit latencies (p50 5.0 ms, p95 5.9 ms)" in costs.describe()
    assert "150.0 ms" in costs.describe() and "4.0 ms after their timeout" in costs.describe()


def test_too_few_cache_hits_or_quiet_calls_fall_back(tmp_path: Path) -> None:
    costs = measured_costs(_write_run(tmp_path, 0.1, [_request(0, 0.004)],
                                      [CallRecord(1.0, "qwen", 0.7, OK, 200)] * (MIN_OVERHEAD_SAMPLES - 1)),
                           TIMEOUTS_S, BASELINES)
    assert not costs.drawn and costs.per_request_s == pytest.approx([0.004])
    assert costs.call_cost_s == {} and costs.timer_lag_s == 0.0 and costs.timeouts == 0
    assert "30.0 ms, the live run's calibration" in costs.describe()
    assert "none measured" in costs.describe() and "no live timeout" in costs.describe()


def test_without_run_json_no_call_is_known_fault_free(tmp_path: Path) -> None:
    requests, calls = _the_run()
    _write_run(tmp_path, 1.0, requests, calls)
    (tmp_path / "run.json").unlink()
    costs = measured_costs(tmp_path, TIMEOUTS_S, BASELINES)
    assert costs.call_cost_s == {} and costs.calibration_s == 0.0
    assert len(costs.per_request_s) == MIN_OVERHEAD_SAMPLES and costs.timer_lag_s == pytest.approx(0.004)


def test_a_twin_run_or_no_run_is_refused(tmp_path: Path) -> None:
    requests, calls = _the_run()
    with pytest.raises(RunDataError, match="a sim run, not a live one"):
        measured_costs(_write_run(tmp_path / "sim", 1.0, requests, calls, mode="sim"), TIMEOUTS_S, BASELINES)
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunDataError, match=r"requests\.jsonl: missing"):
        measured_costs(tmp_path / "empty", TIMEOUTS_S, BASELINES)


def test_only_a_measured_overhead_is_taken() -> None:
    assert measured_overhead_s(RunInfo("s")) == 0.0                                   # nothing measured
    assert measured_overhead_s(RunInfo("s", compression={"overhead_source": "estimate",
                                                         "overhead_scenario_s": 0.03})) == 0.0
    assert measured_overhead_s(RunInfo("s", compression={"overhead_source": "measured",
                                                         "overhead_scenario_s": 0.019})) == 0.019
    assert measured_overhead_s(RunInfo("s", compression={"overhead_source": "measured",
                                                         "overhead_scenario_s": "n/a"})) == 0.0


def _fields(costs: LiveCosts) -> tuple[Any, ...]:
    return costs.per_request_s, costs.calibration_s, costs.timer_lag_s, costs.timeouts, dict(costs.call_cost_s)


@settings(max_examples=25, deadline=None)
@given(hits=st.lists(st.floats(1e-4, 0.5), min_size=MIN_OVERHEAD_SAMPLES, max_size=60),
       quiet=st.lists(st.floats(0.61, 5.0), min_size=MIN_OVERHEAD_SAMPLES, max_size=60),
       lags=st.lists(st.floats(-9.0, 1.0), max_size=10),
       scale=st.sampled_from([0.05, 0.1, 0.25, 0.5]))
def test_compression_changes_no_cost(hits: list[float], quiet: list[float], lags: list[float], scale: float) -> None:
    """The same run at any time_scale costs what it costs at 1: only the unit of the records changes."""
    requests = [_request(i, x) for i, x in enumerate(hits)]
    calls = ([CallRecord(1.0 + i * 0.01, "qwen", x, OK, 200) for i, x in enumerate(quiet)]
             + [CallRecord(FAULT_AT_S + 1, "qwen", 10.0 + x, "timeout") for x in lags])
    with tempfile.TemporaryDirectory() as tmp:
        at_one = measured_costs(_write_run(Path(tmp) / "one", 1.0, requests, calls), TIMEOUTS_S, BASELINES)
        scaled = measured_costs(_write_run(Path(tmp) / "scaled", scale, requests, calls), TIMEOUTS_S, BASELINES)
    assert at_one.per_request_s == tuple(hits)        # at time_scale 1, the records' own numbers
    for a, b in zip(_fields(at_one), _fields(scaled), strict=True):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-12)


def test_a_run_is_read_without_holding_its_records(tmp_path: Path) -> None:
    """As dicts or objects a request costs over a kilobyte; in columns about a hundred bytes (and the
    cache hits' latencies kept as the costs).  A reader that held the records would fail here."""
    n = 20_000
    requests = [_request(i, 0.004) for i in range(n)]
    calls = [CallRecord(i * 1e-3, "qwen", 0.7, OK, 200) for i in range(n)]
    _write_run(tmp_path, 0.1, requests, calls)
    del requests, calls
    tracemalloc.start()
    try:
        costs = measured_costs(tmp_path, TIMEOUTS_S, BASELINES)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(costs.per_request_s) == n
    per_record = peak / (2 * n)
    assert per_record < 250, f"{per_record:.0f} bytes per record: the records are held, not streamed"
