"""time_scale is a change of units: the plans at s = 1 and s = 0.1 describe the same incident.

Everything dimensionless must agree per *scenario* window: arrivals, quota capacity (the fakes' and the
gateway's own), utilisation, tokens streamed, bytes through a bandwidth toxic, concurrency (N = λW).
The regression at the end feeds the scaled arrivals to the real fault engine's quota buckets and the
report's real evaluator: the 429 count rule fires at 0.1 where it fires at 1.0.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.live.plan import LivePlan, make_plan
from fake_providers.faults import FaultEngine, HttpError, Refuse, RequestInfo
from fake_providers.faults.plan import FaultPlan
from fake_providers.faults.quota import QuotaEffect
from gateway.clock import ManualClock
from gateway.config import config_from_mapping
from gateway.core.stack import Stack
from reports.evaluate import evaluate
from reports.records import CallRecord
from reports.rules import DEFAULT_RULES
from scenarios import Scenario, load_scenario_text
from workload.schedule import Stage, arrivals

SCALES = (1.0, 0.1)

TEMPLATE = """\
name: units
duration: {duration}s
seed: {seed}
load:
  stages:
    - {{until: {half}s, rate: {rate1}}}
    - {{until: {duration}s, rate: {rate2}}}
stack:
  providers: {{qwen: {{rpm: {stack_rpm}, tpm: {stack_tpm}, weight: 0.7}}}}
faults:
  - {{at: {at}s, provider: qwen, quota: {{rpm: {rpm}, tpm: {tpm}{window}}}}}
  - {{at: {at}s, provider: claude, stream: {{tokens_per_s: {tokens}, ttft: 2s}}}}
  - {{at: {at}s, provider: openai, service: {{concurrency: 3, queue: 5, tokens_per_s: {tokens}, ttft: 300ms}}}}
network:
  - {{at: {at}s, provider: openai, toxic: bandwidth, rate: {kbps}KB/s}}
"""


@st.composite
def incidents(draw: st.DrawFn) -> Scenario:
    duration = draw(st.integers(120, 3600))
    values = {
        "duration": duration,
        "half": draw(st.integers(10, duration - 10)),
        "at": draw(st.integers(0, duration - 10)),
        "seed": draw(st.integers(0, 2**31)),
        "rate1": draw(st.floats(0.0, 30.0, allow_nan=False).map(lambda x: round(x, 2))),
        "rate2": draw(st.floats(0.1, 30.0, allow_nan=False).map(lambda x: round(x, 2))),
        "rpm": draw(st.integers(1, 5000)),
        "tpm": draw(st.integers(1000, 2_000_000)),
        "window": draw(st.sampled_from(["", ", window: 10s", ", window: 30s", ", window: 2m"])),
        "stack_rpm": draw(st.integers(1, 5000)),
        "stack_tpm": draw(st.integers(1000, 2_000_000)),
        "tokens": draw(st.integers(1, 200)),
        "kbps": draw(st.integers(1, 5000)),
    }
    return load_scenario_text(TEMPLATE.format(**values), "units.yaml")


def _at(scenario: Scenario, s: float) -> LivePlan:
    return make_plan(replace(scenario, time_scale=s), max_rate_per_s=1e9)


def _expected_between(stages: tuple[Stage, ...], t0: float, t1: float) -> float:
    total, start = 0.0, 0.0
    for stage in stages:
        lo, hi = max(start, t0), min(stage.until_s, t1)
        if hi > lo:
            total += stage.rate_per_s * (hi - lo)
        start = stage.until_s
    return total


def _load_stages(plan: LivePlan) -> tuple[Stage, ...]:
    return tuple(Stage(s.until_s, s.rate) for s in plan.run.load.stages)


def _fake_quota(plan: LivePlan) -> QuotaEffect:
    (quota,) = [r.effect for r in FaultPlan.parse(plan.fault_plan).rules if isinstance(r.effect, QuotaEffect)]
    return quota


def _gateway_limit(plan: LivePlan) -> tuple[int | None, int | None, float]:
    limiter = Stack(config_from_mapping(plan.gateway_overrides), ManualClock()).limiters["qwen"].config
    return limiter.rpm, limiter.tpm, limiter.window_s


@given(incidents(), st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=4))
@settings(max_examples=40, deadline=None)
def test_plans_at_two_scales_agree_per_scenario_window(scenario: Scenario, spans: list[tuple[float, float]]) -> None:
    plans = {s: _at(scenario, s) for s in SCALES}
    d = scenario.duration_s
    for a, b in spans:
        t0, t1 = sorted((a * d, b * d))
        counts = [_expected_between(_load_stages(p), t0 * s, t1 * s) for s, p in plans.items()]
        assert counts[0] == pytest.approx(counts[1], rel=1e-9, abs=1e-9)

    fakes = {s: _fake_quota(p) for s, p in plans.items()}
    held = {s: q.buckets() for s, q in fakes.items()}
    # the fakes' quota window holds as many requests and tokens in compressed time as in real time
    assert held[1.0].rpm == held[0.1].rpm and held[1.0].tpm == held[0.1].tpm
    assert fakes[0.1].window_s / 0.1 == pytest.approx(fakes[1.0].window_s)
    # and so does the gateway's own limiter (its defaults and the stack's override)
    limits = {s: _gateway_limit(p) for s, p in plans.items()}
    assert limits[1.0][:2] == limits[0.1][:2]
    assert limits[0.1][2] / 0.1 == pytest.approx(limits[1.0][2])
    # utilisation: the load one quota window sees over what it holds
    window = {s: q.window_s for s, q in fakes.items()}
    peak = {s: max(st.rate for st in p.run.load.stages) for s, p in plans.items()}
    assert peak[0.1] * window[0.1] / held[0.1].rpm == pytest.approx(peak[1.0] * window[1.0] / held[1.0].rpm)  # type: ignore[operator]

    tokens = {s: p.run.faults[1].rule["stream"] for s, p in plans.items()}
    # tokens per stream: rate × its duration (the time to first token scales like every duration)
    per_ttft = {s: t["tokens_per_s"] * t["ttft"] for s, t in tokens.items()}
    assert per_ttft[0.1] == pytest.approx(per_ttft[1.0])
    # a provider's service model: its slots and queue are counts, its ttft a duration, its tokens/s a rate,
    # so a slot serves as many tokens per scenario second at any scale
    service = {s: p.run.faults[2].rule["service"] for s, p in plans.items()}
    assert service[0.1]["concurrency"] == service[1.0]["concurrency"] == 3
    assert service[0.1]["queue"] == service[1.0]["queue"] == 5
    assert service[0.1]["ttft"] / 0.1 == pytest.approx(service[1.0]["ttft"])
    assert service[0.1]["tokens_per_s"] * 0.1 == pytest.approx(service[1.0]["tokens_per_s"])
    rates = {s: p.run.network[0].attributes["rate"] for s, p in plans.items()}
    assert rates[0.1] * 0.1 == pytest.approx(rates[1.0])  # bytes per scenario second
    # Little's law: concurrency = arrival rate (×1/s) × time in the system (×s)
    baseline_p50 = {s: p.fault_plan["baseline"]["p50"] for s, p in plans.items()}
    assert peak[0.1] * baseline_p50[0.1] == pytest.approx(peak[1.0] * baseline_p50[1.0])


@given(st.integers(0, 2**31), st.floats(0.5, 20.0), st.sampled_from([0.5, 0.25, 0.15, 0.1, 0.05]))
@settings(max_examples=30, deadline=None)
def test_arrivals_are_the_same_points_in_scenario_time(seed: int, rate: float, s: float) -> None:
    # the time-change construction maps unit points through the cumulative intensity, which compression
    # leaves unchanged in scenario time: the same seed gives the same arrivals, only the unit differs
    stages = f"[{{until: 2m, rate: {rate}}}, {{until: 5m, rate: 1}}]"
    text = f"name: a\nduration: 5m\nseed: {seed}\nload: {{stages: {stages}}}\n"
    scenario = load_scenario_text(text, "a.yaml")
    one = [a.t_s for a in arrivals(_load_stages(_at(scenario, 1.0)), seed)]
    other = [a.t_s / s for a in arrivals(_load_stages(_at(scenario, s)), seed)]
    assert len(one) == len(other)
    assert other == pytest.approx(one, rel=1e-6, abs=1e-6)


# -- regressions: count rules fire at 0.1 where they fire at 1.0 ---------------------------------------------

STORM = """\
name: storm
duration: 10m
seed: 7
load: {rate: 1.9/s}
faults:
  - {at: 2m, until: 8m, provider: qwen, quota: {rpm: 100, tpm: 1000000}}
"""
OUTAGE = """\
name: outage
duration: 5m
seed: 7
load: {rate: 1.5/s}
faults:
  - {at: 1m, until: 4m, provider: qwen, connection: refuse}
"""


def _calls(text: str, s: float) -> list[CallRecord]:
    """Every scheduled arrival sent to qwen through the real fault engine; the calls in scenario time."""
    scenario = load_scenario_text(text, "x.yaml")
    plan = _at(scenario, s)
    engine = FaultEngine(FaultPlan.parse(plan.fault_plan), seed=1)
    calls = []
    for arrival in arrivals(_load_stages(plan), scenario.seed):
        decision = engine.decide(arrival.t_s, "qwen", RequestInfo("qwen-plus", False, "hola", 200))
        response = decision.response
        status = response.status if isinstance(response, HttpError) else None if isinstance(response, Refuse) else 200
        result = {429: "rate_limited", None: "connection_refused"}.get(status, "ok")
        # the report's time base: run seconds divided by the time scale
        calls.append(CallRecord(arrival.t_s / s, "qwen", decision.latency_s / s, result, status))
    return calls


def _per_minute(calls: list[CallRecord], result: str, end_s: float) -> list[int]:
    return [sum(1 for c in calls if t0 <= c.t_s < t0 + 60 and c.result == result) for t0 in range(0, int(end_s), 60)]


@pytest.mark.parametrize(
    ("text", "rule_id", "result", "end_s"),
    [
        (STORM, "rate_limit.errors_5m", "rate_limited", 600.0),
        (OUTAGE, "down.connection_errors_1m", "connection_refused", 300.0),
    ],
)
def test_count_rule_fires_at_01_where_it_fires_at_1(text: str, rule_id: str, result: str, end_s: float) -> None:
    (rule,) = [r for r in DEFAULT_RULES if r.id == rule_id]
    by_scale = {s: _calls(text, s) for s in SCALES}
    for s, calls in by_scale.items():
        evaluation = evaluate([], calls, end_s=end_s, rules=[rule])
        found = evaluation.rule(rule.id)
        assert found is not None and found.intervals, f"time_scale {s}: {rule.id} never fired"
    # the same arrivals meet the same buckets in scenario time: the same count in every scenario minute
    assert _per_minute(by_scale[1.0], result, end_s) == _per_minute(by_scale[0.1], result, end_s)


def test_rate_limit_storm_library_quota_holds_the_same_per_window() -> None:
    from scenarios import find, load_scenario

    scenario = load_scenario(find("rate-limit-storm"))
    quotas = {s: _fake_quota(_at(scenario, s)).buckets() for s in (scenario.time_scale, 1.0)}
    assert {(q.rpm, q.tpm) for q in quotas.values()} == {(100, 60000)}


def test_capacity_rules_are_counts_and_do_not_change() -> None:
    text = (
        "name: c\nduration: 5m\nload: {rate: 5/s}\n"
        "faults:\n  - {provider: qwen, capacity: {concurrency: 4, queue: 8}}\n"
    )
    scenario = load_scenario_text(text, "c.yaml")
    bodies = {s: _at(scenario, s).fault_plan["faults"][0]["capacity"] for s in SCALES}
    assert bodies[1.0] == bodies[0.1] == {"concurrency": 4, "queue": 8}


@given(
    st.integers(1, 2_000_000),
    st.sampled_from([1.0, 10.0, 30.0, 60.0, 120.0]),
    st.floats(0.001, 1.0, allow_nan=False, exclude_min=False),
)
@settings(max_examples=300, deadline=None)
def test_run_per_minute_keeps_what_the_window_holds(per_minute: int, window_s: float, k: float) -> None:
    from scenarios.scaling import run_per_minute, window_holds

    run = run_per_minute(per_minute, window_s, k)
    assert isinstance(run, int) and run >= 1
    if window_s * k <= 60.0:
        assert window_holds(run, window_s * k) == window_holds(per_minute, window_s)
    if window_holds(per_minute, window_s) >= 10:   # then it is the rate × 1/k, up to that rounding
        assert run == pytest.approx(per_minute / k, rel=0.06, abs=1.0)


@pytest.mark.parametrize("window", ["banana", "0s"])
def test_a_bad_quota_window_is_named_not_replaced_by_a_minute(window: str) -> None:
    from drill.live.plan import PlanError

    text = (
        "name: q\nduration: 5m\ntime_scale: 0.1\nload: {rate: 1/s}\n"
        f"faults:\n  - {{provider: qwen, quota: {{rpm: 100, window: {window}}}}}\n"
    )
    with pytest.raises(PlanError, match=r"q\.yaml:6: faults\[0\]\.quota\.window"):
        make_plan(load_scenario_text(text, "q.yaml"))
