"""Bad plans are refused before anything runs, naming the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drill.plan.command import plan as plan_command
from scenarios.problems import ScenarioError
from sim.plan.knobs import apply_knobs
from sim.plan.spec import MAX_POINTS, parse_plan

GOOD = """\
name: tiny
scenario: today.yaml
sweep:
  traffic: [1, 2]
  quota.claude: [100, {rpm: 200, tpm: 1000}]
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_plan(text, "p.yaml")
    return [str(p) for p in info.value.problems]


def test_a_good_plan_is_the_product_of_its_sweeps() -> None:
    spec = parse_plan(GOOD, "p.yaml")
    assert len(spec.points) == 4
    assert [p.value("traffic") for p in spec.points] == [1.0, 1.0, 2.0, 2.0]
    assert spec.points[1].value("quota.claude") == {"rpm": 200, "tpm": 1000}
    assert spec.slo.p95_s == 3.0 and spec.slo.errors == 0.01 and spec.slo.severity == "P4"


def test_negative_traffic_names_line_and_field() -> None:
    problems = _problems(GOOD.replace("[1, 2]", "[1, -2]"))
    assert problems == ["p.yaml:4: sweep.traffic[1]: traffic: must be > 0 and <= 1000, got -2"]


def test_zero_quota_names_line_and_field() -> None:
    text = "name: z\nscenario: today.yaml\nfixed:\n  quota.qwen: 0\nsweep:\n  traffic: [1]\n"
    (problem,) = _problems(text)
    assert problem.startswith("p.yaml:4: fixed.quota.qwen") and "whole number >= 1" in problem


def test_a_million_points_is_refused_at_the_sweep_that_crosses_the_limit() -> None:
    values = ", ".join(str(i + 1) for i in range(1000))
    text = f"name: big\nscenario: today.yaml\nsweep:\n  traffic: [{values}]\n  timeout: [{', '.join(['1s'] * 1000)}]\n"
    (problem,) = _problems(text)
    assert problem.startswith("p.yaml:5: sweep.timeout: the sweep reaches 1,000,000 points")
    assert f"{MAX_POINTS:,}" in problem


def test_unknown_knob_suggests_the_near_one() -> None:
    (problem,) = _problems(GOOD.replace("traffic:", "trafic:"))
    assert problem.startswith("p.yaml:4: sweep.trafic: unknown knob (did you mean 'traffic'?)")


def test_bad_slo_and_unknown_provider() -> None:
    text = GOOD + "slo: {p95: -3s, errors: 150%, severity: P7}\n" + "fixed:\n  quota.gemini: 10\n"
    problems = _problems(text)
    assert any("slo.errors" in p and "between 0% and 100%" in p for p in problems)
    assert any("slo.severity" in p for p in problems)
    assert any("slo.p95" in p for p in problems)
    assert any("fixed.quota.gemini" in p and "unknown provider" in p for p in problems)


def test_command_exits_2_on_a_bad_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "bad.yaml"
    plan.write_text(GOOD.replace("[1, 2]", "[1, -2]"), encoding="utf-8")
    assert plan_command([str(plan), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{plan}:4: sweep.traffic[1]" in err
    assert not (tmp_path / "out").exists()


def test_command_exits_2_on_a_missing_plan_and_a_missing_scenario(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_command([str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    plan = tmp_path / "p.yaml"
    plan.write_text(GOOD.replace("today.yaml", "no-such-scenario"), encoding="utf-8")
    assert plan_command([str(plan)]) == 2
    assert "no library scenario 'no-such-scenario'" in capsys.readouterr().err


def test_a_point_the_scenario_loader_refuses_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the outage ends after the scenario: the scenario loader's own check, blamed on the plan's point
    plan = tmp_path / "p.yaml"
    plan.write_text("name: late\nscenario: rate-limit-storm\nsweep:\n"
                    "  outage: [{provider: qwen, at: 20m, for: 1m}]\n", encoding="utf-8")
    assert plan_command([str(plan), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{plan} point 0 (outage=" in err and "faults[" in err


@given(st.floats(min_value=0.01, max_value=50), st.floats(min_value=0.01, max_value=50))
def test_traffic_scales_every_stage_and_nothing_else(a: float, b: float) -> None:
    base = {"duration": "10m", "load": {"stages": [{"until": "2m", "rate": "2/s"}, {"until": "10m", "rate": 3}]},
            "expect": ["count(lost) == 0"]}
    doc = apply_knobs(base, (("traffic", a),))
    again = apply_knobs(doc, (("traffic", b),))
    assert [s["rate"] for s in again["load"]["stages"]] == pytest.approx([2 * a * b, 3 * a * b])
    assert [s["until"] for s in again["load"]["stages"]] == ["2m", "10m"]
    assert doc["expect"] == [] and base["expect"] == ["count(lost) == 0"]   # the base is not changed


def test_a_plan_too_costly_as_a_whole_is_refused_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import time

    plan = tmp_path / "p.yaml"
    traffic = ", ".join(str(100 + i) for i in range(40))
    plan.write_text(f"name: costly\nscenario: rate-limit-storm\nfixed:\n  duration: 100h\nsweep:\n"
                    f"  traffic: [{traffic}]\n", encoding="utf-8")
    started = time.monotonic()
    assert plan_command([str(plan), "--out", str(tmp_path / "out")]) == 2
    assert time.monotonic() - started < 20
    err = capsys.readouterr().err
    assert f"{plan}:5: sweep: the plan simulates" in err and "more than 20,000,000" in err


def test_a_point_the_gateway_config_refuses_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "p.yaml"
    plan.write_text("name: cfg\nscenario: rate-limit-storm\nsweep:\n  retries: [{max: 3}, {max: -1}]\n",
                    encoding="utf-8")
    assert plan_command([str(plan), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{plan} point 1 (retries={{max:-1}})" in err and "retries.max" in err
    assert not (tmp_path / "out").exists()
