"""The pure helpers of bench/bench_live_rate.py: its scenario, its request figures, its CPU shares."""

from __future__ import annotations

import importlib
import math
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.live.plan import make_plan
from fake_providers.faults.plan import FaultPlan
from scenarios import load_scenario_text

_BENCH = Path(__file__).resolve().parents[2] / "bench"


def _bench() -> ModuleType:
    # bench/ is scripts, not a package: its modules import their siblings as a script run would
    if str(_BENCH) not in sys.path:
        sys.path.insert(0, str(_BENCH))
    return importlib.import_module("bench_live_rate")


bench = _bench()


@settings(max_examples=25, deadline=None)
@given(
    rate=st.integers(1, 2000),
    duration=st.integers(1, 60),
    warmup=st.integers(0, 10),
)
def test_scenario_is_valid_and_says_what_the_bench_means(rate: int, duration: int, warmup: int) -> None:
    scenario = load_scenario_text(bench.scenario_text(rate, duration, warmup, 5.0))
    plan = make_plan(scenario)
    assert scenario.duration_s == pytest.approx(warmup + duration)
    assert scenario.load.rate_at(warmup + duration / 2) == rate
    if warmup:
        assert scenario.load.rate_at(warmup / 2) == 5.0
    assert scenario.load.expected_requests() == pytest.approx(rate * duration + 5.0 * warmup)
    baseline = FaultPlan.parse(plan.fault_plan).baseline_for("qwen")
    assert baseline is not None and baseline.params == (0.0,)
    assert plan.gateway_overrides["cache"]["enabled"] is False
    assert plan.run_info.quotas_rpm["qwen"] >= 1_000_000


def test_scenario_refuses_a_rate_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="rate"):
        bench.scenario_text(0, 10, 1, 5)


def _record(intended: float, lag: float | None, outcome: str = "ok", latency: float = 0.05) -> dict[str, Any]:
    return {
        "intended_s": intended,
        "sent_s": None if lag is None else intended + lag,
        "latency_s": latency,
        "outcome": outcome,
    }


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.floats(0, 30),
            st.one_of(st.none(), st.floats(0, 2)),
            st.sampled_from(["ok", "failed", "lost"]),
        ),
        min_size=1,
        max_size=80,
    ),
    from_s=st.floats(0, 10),
)
def test_summary_counts_late_and_ok_over_the_steady_stage_only(
    rows: list[tuple[float, float | None, str]], from_s: float
) -> None:
    records = [_record(t, lag, outcome) for t, lag, outcome in rows]
    got = bench.summarize(records, from_s, late_s=0.010)
    steady = [(t, lag, outcome) for t, lag, outcome in rows if t >= from_s]
    assert got.n == len(steady)
    if steady:
        late = sum(1 for _, lag, _ in steady if lag is None or lag > 0.010)
        assert got.late_share == pytest.approx(late / len(steady))
        assert got.ok_share == pytest.approx(sum(o == "ok" for *_, o in steady) / len(steady))
        sent = sorted(lag for _, lag, _ in steady if lag is not None)
        if sent:
            assert sent[0] - 1e-9 <= got.lag_p50_s <= got.lag_p99_s <= sent[-1] + 1e-9
    else:
        assert got.late_share == 1.0 and got.ok_share == 0.0


def test_summary_example() -> None:
    records = [_record(0.1, 3.0)]                                  # warm-up: the start lag only
    records += [_record(5 + i / 100, 0.001) for i in range(97)]
    records += [_record(6.0, 0.020), _record(6.1, None, "lost"), _record(6.2, 0.002, "failed")]
    got = bench.summarize(records, 5.0)
    assert got.n == 100
    assert got.late_share == pytest.approx(0.02)
    assert got.ok_share == pytest.approx(0.98)
    assert got.start_lag_s == pytest.approx(3.0)


@settings(max_examples=60, deadline=None)
@given(
    start=st.floats(0, 50),
    slope=st.floats(0, 2),
    a=st.floats(0, 1),
    b=st.floats(0, 1),
)
def test_cpu_share_of_a_steady_process_is_its_slope(start: float, slope: float, a: float, b: float) -> None:
    times = [start + 0.25 * i for i in range(200)]
    series = [(t, slope * (t - start)) for t in times]
    lo, hi = sorted((start + 5 + 30 * a, start + 5 + 30 * b))
    if hi - lo < 1:
        hi = lo + 1
    shares = bench.cpu_shares({1: series, 2: series}, {1: "gateway", 2: "locust"}, lo, hi)
    assert shares["gateway"] == pytest.approx(slope, abs=1e-6)
    assert shares["locust"] == pytest.approx(slope, abs=1e-6)
    assert shares["fakes"] == 0.0
    # windows add up
    mid = (lo + hi) / 2
    left = bench.cpu_shares({1: series}, {1: "gateway"}, lo, mid)["gateway"] * (mid - lo)
    right = bench.cpu_shares({1: series}, {1: "gateway"}, mid, hi)["gateway"] * (hi - mid)
    assert left + right == pytest.approx(slope * (hi - lo), abs=1e-6)


def test_cpu_of_a_process_seen_late_or_gone_early() -> None:
    late = [(10.0, 1.0), (11.0, 2.0)]      # appeared at 10 s with 1 s already used
    gone = [(0.0, 0.0), (2.0, 1.0)]        # exited after 2 s
    shares = bench.cpu_shares({1: late, 2: gone}, {1: "fakes", 2: "proxy"}, 0.0, 12.0)
    assert shares["fakes"] == pytest.approx(2.0 / 12)
    assert shares["proxy"] == pytest.approx(1.0 / 12)
    with pytest.raises(ValueError, match="window"):
        bench.cpu_shares({}, {}, 5.0, 5.0)


@pytest.mark.parametrize(
    ("argv", "role"),
    [
        (["/v/bin/python", "-m", "drill.cli", "gateway", "--config", "x"], "gateway"),
        (["/v/bin/python", "-m", "drill.cli", "fake-providers", "--seed", "1"], "fakes"),
        (["/v/bin/python", "-m", "drill.cli", "proxy", "--port", "0"], "proxy"),
        (["/usr/bin/toxiproxy-server", "-port", "1"], "proxy"),
        (["/v/bin/python", "-m", "locust", "-f", "drill/load/locustfile.py", "--worker"], "locust"),
        (["/v/bin/python", "-m", "drill.cli", "run", "s.yaml"], "runner"),
        (["/bin/sh", "-c", "true"], None),
        ([], None),
    ],
)
def test_roles_from_command_lines(argv: list[str], role: str | None) -> None:
    assert bench.role_of(argv) == role


def test_sampler_sees_its_own_children(tmp_path: Path) -> None:
    import subprocess

    child = subprocess.Popen([sys.executable, "-c", "import time\nt=time.time()\nwhile time.time()-t<1.5: pass"])
    try:
        sampler = bench.Sampler(__import__("os").getpid())
        sampler.roles[child.pid] = "gateway"
        for _ in range(6):
            sampler.sample_once()
            __import__("time").sleep(0.2)
    finally:
        child.wait(timeout=10)
    series = sampler.samples[child.pid]
    assert len(series) >= 2
    assert series[-1][1] >= series[0][1]
    assert not math.isnan(series[-1][1])


def test_tcp_counters_are_counts_that_only_grow() -> None:
    first = bench.tcp_counters()
    second = bench.tcp_counters()
    assert set(first) == {"ListenOverflows", "TCPSynRetrans"}
    assert all(isinstance(v, int) and v >= 0 for v in first.values())
    assert all(second[k] >= first[k] for k in first)


def test_bad_command_line_is_a_clear_error_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--rates", "100,50"], ["--rates", "abc"], ["--duration", "0"], ["--wait-quiet", "-1"]):
        with pytest.raises(SystemExit) as info:
            bench.main(argv)
        assert "bench_live_rate: --" in str(info.value.code)
