"""The compression safety check: a run that cannot be compressed honestly is refused before it starts."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.live.calibrate import CalibrationError, summarise
from drill.live.compression import (
    DEFAULT_MAX_RATE,
    DEFAULT_OVERHEAD_S,
    MAX_RATE_ENV,
    OVERHEAD_SHARE,
    check_compression,
    max_rate_from_env,
    tightest_latency,
)
from drill.live.plan import PlanError, make_plan
from reports.runinfo import RunInfo
from scenarios import Scenario, load_scenario_text

ROOT = Path(__file__).resolve().parents[2]


def _scenario(rate: float = 5.0, s: float = 0.1, expect: str = "p95(latency) < 2s") -> Scenario:
    text = f"name: c\nduration: 10m\ntime_scale: {s}\nload: {{rate: {rate}/s}}\nexpect:\n  - {expect}\n"
    return load_scenario_text(text, "c.yaml")


def test_tightest_threshold_is_the_smaller_of_rules_and_expectations() -> None:
    assert tightest_latency(_scenario(expect="p95(latency) < 2s")) == (2.0, "expectation 'p95(latency) < 2s'")
    # a ratio is dimensionless and a severity is no latency: the runbook's 10 s p95 rule is the tightest
    assert tightest_latency(_scenario(expect="severity.max <= P3")) == (10.0, "rule latency.llm_p95")


def test_a_compressed_load_past_the_machine_is_refused_naming_the_smallest_safe_scale() -> None:
    check = check_compression(_scenario(rate=10.0, s=0.01, expect="p95(latency) < 30s"), max_rate_per_s=600.0)
    assert not check.safe
    assert check.run_peak_rate_per_s == pytest.approx(1000.0)
    assert check.smallest_safe_scale == pytest.approx(10.0 / 600.0, rel=0.1)
    assert check.smallest_safe_scale >= 10.0 / 600.0
    message = check.message()
    assert "1000 real requests/s" in message and f"{check.smallest_safe_scale:g}" in message
    assert "--force" in message and MAX_RATE_ENV in message


def test_overhead_inflated_past_a_tenth_of_the_tightest_threshold_is_refused() -> None:
    # 5 ms at 0.002 reads as 2.5 s of scenario time, against a 2 s expectation
    check = check_compression(_scenario(rate=0.1, s=0.002, expect="p95(latency) < 2s"))
    assert not check.safe and "overhead" in check.problems[0]
    assert check.smallest_safe_scale == pytest.approx(DEFAULT_OVERHEAD_S / (OVERHEAD_SHARE * 2.0))
    assert check_compression(_scenario(rate=0.1, s=0.1)).safe


@given(
    st.floats(0.01, 50.0),
    st.sampled_from([0.001, 0.003, 0.01, 0.05, 0.1, 0.5, 1.0]),
    st.floats(0.0005, 0.05),
    st.sampled_from(["500ms", "2s", "10s", "30s"]),
)
@settings(max_examples=80, deadline=None)
def test_the_named_smallest_scale_is_itself_safe(rate: float, s: float, overhead: float, bound: str) -> None:
    scenario = _scenario(rate=round(rate, 3), s=s, expect=f"p95(latency) < {bound}")
    check = check_compression(scenario, overhead_s=overhead)
    if check.safe:   # rounded up to two significant digits, the named scale is at most 10 % above a safe one
        assert check.smallest_safe_scale <= s * 1.1
    else:
        assert check.smallest_safe_scale > s
    if check.smallest_safe_scale <= 10:
        again = check_compression(replace(scenario, time_scale=check.smallest_safe_scale), overhead_s=overhead)
        assert again.safe, again.message()


def test_max_rate_setting_reads_the_environment_and_names_a_bad_value() -> None:
    assert max_rate_from_env({}) == DEFAULT_MAX_RATE
    assert max_rate_from_env({MAX_RATE_ENV: "1200"}) == 1200.0
    for bad in ("fast", "-3", "nan", "0"):
        with pytest.raises(ValueError, match=MAX_RATE_ENV):
            max_rate_from_env({MAX_RATE_ENV: bad})


def test_plan_records_the_check_and_the_effective_config_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MAX_RATE_ENV, raising=False)
    text = (
        "name: c\nduration: 10m\ntime_scale: 0.1\nload: {rate: 5/s}\n"
        "stack: {provider: claude, admin_token: hunter2, providers: {qwen: {api_key: sk-secret, rpm: 120}}}\n"
    )
    plan = make_plan(load_scenario_text(text, "c.yaml"))
    info = RunInfo.from_dict(json.loads(json.dumps(plan.run_info.to_dict())))   # run.json round trip
    assert info.compression["safe"] is True and info.compression["run_peak_rate_per_s"] == pytest.approx(50.0)
    assert info.config["provider"] == "claude" and info.config["time_scale"] == 0.1
    assert info.config["stack"]["providers"]["qwen"]["rpm"] == 120           # scenario units
    assert info.config["gateway"]["providers"]["qwen"]["rpm"] == 1200        # what the gateway enforces
    assert info.config["stack"]["breaker"]["failure_threshold"] == 5        # every setting, defaults too
    assert info.quotas_rpm["qwen"] == 120.0
    assert "hunter2" not in json.dumps(info.to_dict()) and "sk-secret" not in json.dumps(info.to_dict())


def test_bad_max_rate_in_the_environment_is_a_plan_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_RATE_ENV, "lots")
    with pytest.raises(PlanError, match=MAX_RATE_ENV):
        make_plan(_scenario())


def test_cli_refuses_an_unsafe_scale_with_exit_2_before_starting(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "drill.cli", "run", "rate-limit-storm", "--time-scale", "0.005", "--no-view",
         "--out", str(out)],
        capture_output=True, text=True, timeout=60, cwd=ROOT, env={"PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2, proc.stderr
    assert "smallest safe time_scale is 0.01" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()   # nothing started, nothing written


def test_overhead_summary_uses_measured_values() -> None:
    over = summarise([0.004, 0.002, 0.003, 0.010], "test")
    assert (over.p50_s, over.p99_s, over.max_s, over.n) == (0.003, 0.010, 0.010, 4)
    with pytest.raises(CalibrationError):
        summarise([], "test")
