"""The fidelity bar: p50/p95 within 15 %, errors within 2 points, same alerts and severity."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from sim.fidelity import judge

LIVE: dict[str, Any] = {
    "latency_s": {"p50": 1.0, "p95": 2.0}, "rates": {"rate(failed)": 0.01}, "severity": {"max": "P4"},
    "alerts": [{"rule": "rate_limit.429_rate", "fired": True, "window_s": 300.0, "time_to_detect_s": {"0": 30.0}},
               {"rule": "latency.llm_p95", "fired": False, "window_s": 300.0, "time_to_detect_s": {"0": None}}],
}


def _failing(sim: dict[str, Any]) -> set[str]:
    return {c.name for c in judge(LIVE, sim) if not c.ok}


def test_identical_reports_agree() -> None:
    assert _failing(copy.deepcopy(LIVE)) == set()


def test_each_figure_past_its_bar_differs() -> None:
    sim = copy.deepcopy(LIVE)
    sim["latency_s"] = {"p50": 1.14, "p95": 2.4}        # +14 % ok, +20 % not
    sim["rates"]["rate(failed)"] = 0.035                # 2.5 points
    sim["severity"]["max"] = "P3"
    sim["alerts"][0]["time_to_detect_s"] = {"0": 331.0}  # more than one 300 s window later
    assert _failing(sim) == {"p95", "error rate", "max severity", "time to detect rate_limit.429_rate (fault 0)"}


def test_a_different_alert_set_differs() -> None:
    sim = copy.deepcopy(LIVE)
    sim["alerts"][1]["fired"] = True
    assert _failing(sim) == {"alerts fired"}


def test_instant_latencies_agree() -> None:
    live = copy.deepcopy(LIVE)
    live["latency_s"]["p50"] = 0.0
    sim = copy.deepcopy(live)
    sim["latency_s"]["p50"] = 0.004
    assert all(c.ok for c in judge(live, sim))


def test_the_twin_takes_the_live_runs_measured_overhead(tmp_path: Path) -> None:
    from drill.fidelity_costs import measured_overhead_s

    assert measured_overhead_s(tmp_path) == 0.0            # no run.json: nothing measured
    (tmp_path / "run.json").write_text(json.dumps({"compression": {"overhead_source": "estimate",
                                                                   "overhead_scenario_s": 0.03}}))
    assert measured_overhead_s(tmp_path) == 0.0            # an estimate is not a measurement
    (tmp_path / "run.json").write_text(json.dumps({"compression": {"overhead_source": "measured",
                                                                   "overhead_scenario_s": 0.019}}))
    assert measured_overhead_s(tmp_path) == 0.019


@pytest.mark.parametrize(("argv", "message"), [
    (["no-such-scenario"], "no library scenario 'no-such-scenario'"),
    (["rate-limit-storm", "--gateway-cpu", "-1"], "--gateway-cpu must be in [0, 60)"),
    (["rate-limit-storm", "--time-scale", "20"], "--time-scale must be in (0, 10]"),
    (["provider-down", "--live", "/no/such/run"], "--live /no/such/run: no readable run.json"),
])
def test_bad_input_exits_2_before_any_run(argv: list[str], message: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from drill.fidelity_command import fidelity

    assert fidelity([*argv, "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _live_dir(tmp_path: Path, requests: list[dict[str, Any]], calls: list[dict[str, Any]]) -> Path:
    (tmp_path / "run.json").write_text(json.dumps({
        "compression": {"time_scale": 0.1, "overhead_source": "measured", "overhead_scenario_s": 0.03},
        "faults": [{"at_s": 60.0}], "duration_s": 120.0}))
    (tmp_path / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in requests) + "{cut sh")
    (tmp_path / "calls.jsonl").write_text("".join(json.dumps(c) + "\n" for c in calls))
    return tmp_path


def test_the_live_costs_are_read_in_scenario_seconds(tmp_path: Path) -> None:
    from drill.fidelity_costs import MIN_OVERHEAD_SAMPLES, measured_costs

    hits = [{"cache_hit": True, "outcome": "ok", "latency_s": 0.004 + i * 1e-4} for i in range(MIN_OVERHEAD_SAMPLES)]
    misses = [{"cache_hit": False, "outcome": "ok", "latency_s": 0.09}]
    # answered before the fault (t < 6 s of run time = 60 scenario s): 0.07 s of run time = 0.7 s of scenario
    quiet = [{"t_s": 1.0 + i * 0.1, "provider": "qwen", "result": "ok", "latency_s": 0.07} for i in range(30)]
    during = [{"t_s": 7.0, "provider": "qwen", "result": "ok", "latency_s": 0.9}]
    timeouts = [{"t_s": 7.0, "provider": "qwen", "result": "timeout", "latency_s": x} for x in (1.0004, 1.0006, 0.5)]
    costs = measured_costs(_live_dir(tmp_path, hits + misses, quiet + during + timeouts), {"qwen": 10.0},
                           {"qwen": [0.6] * 11})
    assert costs.drawn and len(costs.per_request_s) == MIN_OVERHEAD_SAMPLES   # the cache hits only
    assert min(costs.per_request_s) == pytest.approx(0.04) and costs.calibration_s == 0.03
    assert costs.call_cost_s == {"qwen": pytest.approx(0.1)}     # 0.7 s seen against a 0.6 s baseline
    # the median lag: a call cut short by its deadline (0.5 s) reads early and does not drag it below 0
    assert costs.timeouts == 3 and costs.timer_lag_s == pytest.approx(0.004)
    assert "cache-hit latencies" in costs.describe() and "4.0 ms after their timeout" in costs.describe()


def test_too_few_cache_hits_fall_back_to_the_calibration(tmp_path: Path) -> None:
    from drill.fidelity_costs import measured_costs

    costs = measured_costs(_live_dir(tmp_path, [{"cache_hit": True, "outcome": "ok", "latency_s": 0.004}], []),
                           {"qwen": 10.0}, {"qwen": [0.6]})
    assert not costs.drawn and costs.call_cost_s == {} and costs.timer_lag_s == 0.0
    assert "30.0 ms, the live run's calibration" in costs.describe()
    assert "no live timeout" in costs.describe()
