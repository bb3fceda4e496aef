"""The optional top-level ``baseline:``: the fakes' no-fault latency, scaled with the scenario."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.live.plan import PlanError, make_plan
from fake_providers.faults import DEFAULT_BASELINE
from fake_providers.faults.plan import FaultPlan
from scenarios import load_scenario_text
from scenarios.problems import ScenarioError

BASE = """\
name: bench
duration: 20s
time_scale: {scale}
load: {{rate: 5/s}}
"""


def _text(scale: float, baseline: str | None) -> str:
    return BASE.format(scale=scale) + (f"baseline: {baseline}\n" if baseline is not None else "")


def test_default_is_the_fakes_default_scaled() -> None:
    plan = make_plan(load_scenario_text(_text(0.5, None)))
    assert plan.fault_plan["baseline"] == DEFAULT_BASELINE.scaled(0.5).to_json()


@pytest.mark.parametrize("written", ["0", "0s", "{dist: constant, value: 0ms}"])
def test_zero_baseline_reaches_the_fakes_as_zero(written: str) -> None:
    plan = make_plan(load_scenario_text(_text(1.0, written)))
    parsed = FaultPlan.parse(plan.fault_plan)
    for provider in ("qwen", "claude", "openai"):
        dist = parsed.baseline_for(provider)
        assert dist is not None and dist.dist == "constant" and dist.params == (0.0,)


@settings(max_examples=40, deadline=None)
@given(
    scale=st.sampled_from([0.01, 0.1, 0.5, 1.0, 2.0]),
    p50_ms=st.integers(1, 5000),
    spread_ms=st.integers(0, 5000),
)
def test_baseline_durations_are_scaled_like_every_other_duration(
    scale: float, p50_ms: int, spread_ms: int
) -> None:
    written = f"{{dist: lognormal, p50: {p50_ms}ms, p95: {p50_ms + spread_ms}ms}}"
    scenario = load_scenario_text(_text(scale, written))
    parsed = FaultPlan.parse(make_plan(scenario).fault_plan).baseline_for("qwen")
    assert parsed is not None and parsed.dist == "lognormal"
    assert parsed.params == pytest.approx((p50_ms / 1000 * scale, (p50_ms + spread_ms) / 1000 * scale))
    # as written: the declared durations with the scenario's own time_scale
    declared = FaultPlan.parse(scenario.fault_plan(as_written=True)).baseline_for("qwen")
    assert declared is not None and declared.params == pytest.approx(parsed.params)


@pytest.mark.parametrize(
    ("written", "field", "words"),
    [
        ("soon", "baseline", "duration"),
        ("{value: 0s}", "baseline", "dist"),
        ("{dist: constant, value: later}", "baseline.value", "duration"),
    ],
)
def test_bad_baseline_is_reported_at_its_line(written: str, field: str, words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(_text(1.0, written), "bench.yaml")
    problems = info.value.problems
    assert any(p.field_path == field and p.line == 5 and words in p.message for p in problems), problems


def test_unknown_distribution_is_refused_by_the_plan_naming_the_field() -> None:
    scenario = load_scenario_text(_text(1.0, "{dist: gamma, value: 1s}"), "bench.yaml")
    with pytest.raises(PlanError) as info:
        make_plan(scenario)
    assert any(p.field_path.startswith("baseline") and p.line == 5 for p in info.value.problems), info.value.problems
