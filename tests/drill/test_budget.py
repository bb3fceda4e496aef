"""A run's cost is estimated before it starts, and a run beyond the limits is refused (exit 2) by both
`validate` and `run`, naming each limit and the override flag."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from drill import commands
from drill.budget import DEFAULT_LIMITS, OVERRIDE_FLAG, Limits, estimate, over_limits
from drill.live.plan import make_plan
from scenarios.loader import load_scenario_text

BASE = {"name": "cost", "seed": 1, "time_scale": 1.0, "duration": "1m",
        "load": {"model": "open", "rate": "20/s", "prompts": "appointments-es"}}


def _scenario_text(**changes: object) -> str:
    return yaml.safe_dump({**BASE, **changes})


def _cost(**changes: object):
    return estimate(make_plan(load_scenario_text(_scenario_text(**changes))).run)


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_1000h_run_is_refused_before_it_starts(command: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(_scenario_text(duration="1000h"), encoding="utf-8")
    argv = [str(path)] if command == "validate" else [str(path), "--no-view", "--out", str(tmp_path / "run")]
    code = getattr(commands, command)(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    for flag in ("--max-requests", "--max-wall", "--max-memory", "--max-disk", OVERRIDE_FLAG):
        assert flag in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "run").exists(), "a refused run must not start anything"


def test_a_limit_flag_moves_the_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(_scenario_text(), encoding="utf-8")   # ~1200 requests
    assert commands.validate([str(path)]) == 0
    assert commands.validate([str(path), "--max-requests", "1000"]) == 2
    err = capsys.readouterr().err
    assert "--max-requests" in err and "--max-wall" not in err, err
    assert commands.validate([str(path), "--max-requests", "1000", OVERRIDE_FLAG]) == 0
    assert commands.validate([str(path), "--max-wall", "ten minutes"]) == 2
    assert "--max-wall" in capsys.readouterr().err


def test_the_library_fits_the_default_limits(capsys) -> None:
    from scenarios.library import list_library

    names = [s.name for s in list_library()]
    assert commands.validate(names) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert out.count("requests") == len(names), out


@settings(max_examples=40, deadline=None)
@given(minutes=st.integers(1, 600), rate=st.integers(1, 200), k=st.integers(2, 5))
def test_cost_grows_with_duration_and_rate(minutes: int, rate: int, k: int) -> None:
    one = _cost(duration=f"{minutes}m", load={**BASE["load"], "rate": f"{rate}/s"})
    longer = _cost(duration=f"{minutes * k}m", load={**BASE["load"], "rate": f"{rate}/s"})
    faster = _cost(duration=f"{minutes}m", load={**BASE["load"], "rate": f"{rate * k}/s"})
    assert one.requests == pytest.approx(minutes * 60 * rate)
    assert longer.requests == pytest.approx(k * one.requests) == pytest.approx(faster.requests)
    assert longer.wall_s > one.wall_s and longer.disk_b == pytest.approx(k * one.disk_b)
    assert faster.memory_b > one.memory_b and longer.memory_b > one.memory_b


@settings(max_examples=30, deadline=None)
@given(scale=st.sampled_from([0.01, 0.1, 0.5, 1.0]))
def test_time_scale_shortens_the_wall_not_the_requests_count_of_the_plan(scale: float) -> None:
    cost = _cost(time_scale=scale)
    plan = make_plan(load_scenario_text(_scenario_text(time_scale=scale)))
    assert cost.requests == pytest.approx(plan.run.load.expected_requests())
    assert cost.wall_s < 60 * scale + 120


def test_over_limits_names_exactly_the_limits_crossed() -> None:
    cost = _cost()
    assert over_limits(cost, DEFAULT_LIMITS) == []
    tight = Limits(requests=cost.requests - 1, wall_s=cost.wall_s + 1, memory_b=cost.memory_b + 1,
                   disk_b=cost.disk_b - 1)
    crossed = over_limits(cost, tight)
    assert len(crossed) == 2 and "(--max-requests)" in crossed[0] and "(--max-disk)" in crossed[1]
