"""Checking a plan's recommendation: the recommendation as data, the SLO verdict of a live report, bad input."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from drill.plan.check_command import plan_check
from sim.plan.check import judge_point, recommendation_doc, slo_of
from sim.plan.recommend import recommend
from sim.plan.result import PointResult
from sim.plan.spec import SLO, parse_plan

PLAN = """\
name: t
scenario: x
target: {traffic: 2}
sweep:
  traffic: [1, 2]
  quota.claude: [100, 300]
"""

REPORT: dict[str, Any] = {"requests": {"total": 100}, "latency_s": {"p50": 0.5, "p95": 1.5, "p99": 2.0},
                          "rates": {"rate(failed)": 0.002}, "severity": {"max": "P4"}, "alerts": []}


def _result(i: int, traffic: float, rpm: int, p95: float) -> PointResult:
    return PointResult(i, f"point {i}", (("traffic", traffic), ("quota.claude", {"rpm": rpm})), 1000, 0.1, p95,
                       p95, 0.0, "none", (), 0.0, 0.0, 1.0)


def test_the_recommendation_names_the_cheapest_point_at_the_target() -> None:
    spec = parse_plan(PLAN, "t.yaml")
    # 100 rpm breaks at 2x (p95 5 s), 300 rpm holds: the point at 2x of 300 rpm is the one to check
    results = [_result(0, 1, 100, 1.0), _result(1, 2, 100, 5.0), _result(2, 1, 300, 1.0), _result(3, 2, 300, 1.2)]
    doc = recommendation_doc(spec, recommend(spec, results))
    assert doc["point"] == 3 and doc["config"] == "quota.claude={rpm:300}" and doc["target_traffic"] == 2
    assert slo_of(json.loads(json.dumps(doc))) == spec.slo
    nothing = recommendation_doc(spec, recommend(spec, [_result(1, 2, 100, 5.0), _result(3, 2, 300, 6.0)]))
    assert nothing["point"] is None


@pytest.mark.parametrize(("change", "failing"), [
    ({}, set()),
    ({"latency_s": {"p50": 0.5, "p95": 3.2, "p99": 4.0}}, {"p95"}),
    ({"rates": {"rate(failed)": 0.05}}, {"error rate"}),
    ({"severity": {"max": "P3"}}, {"max severity"}),
])
def test_each_part_of_the_slo_is_judged_on_the_live_report(change: dict[str, Any], failing: set[str]) -> None:
    live = {**copy.deepcopy(REPORT), **change}
    verdict = judge_point(SLO(), REPORT, live)
    assert {c.name for c in verdict.checks if not c.ok} == failing
    assert verdict.twin_holds and verdict.live_holds == (not failing) and verdict.agrees == (not failing)


def test_a_bad_slo_is_named() -> None:
    with pytest.raises(ValueError, match="slo"):
        slo_of({"slo": {"p95_s": "fast"}})
    with pytest.raises(ValueError, match="unknown severity"):
        slo_of({"slo": {"p95_s": 3, "errors": 0.01, "severity": "P9"}})


def _write(root: Path, doc: Any) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "recommendation.json").write_text(json.dumps(doc), encoding="utf-8")


@pytest.mark.parametrize(("doc", "argv", "message"), [
    (None, [], "not a plan output directory (no recommendation.json)"),
    ({"slo": {"p95_s": 3, "errors": 0.01, "severity": "P4"}, "point": None}, [], "name one with --point N"),
    ({"slo": {"p95_s": 3, "errors": 0.01, "severity": "P4"}, "point": 4}, [], "point-0004/report.json: no such file"),
    ({"slo": {"p95_s": 3, "errors": 0.01, "severity": "P4"}, "point": 0}, ["--point", "-1"], "--point must be >= 0"),
    ({"slo": {"p95_s": 3}, "point": 0}, [], "slo:"),
    ([1, 2], [], "expected a JSON object"),
])
def test_bad_input_exits_2_before_any_run(doc: Any, argv: list[str], message: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "plan"
    if doc is not None:
        _write(root, doc)
    assert plan_check([str(root), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_unsafe_time_scale_is_refused_before_any_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "plan"
    _write(root, {"slo": {"p95_s": 3, "errors": 0.01, "severity": "P4"}, "point": 0})
    point = root / "point-0000"
    point.mkdir()
    (point / "report.json").write_text(json.dumps(REPORT), encoding="utf-8")
    (point / "scenario.yaml").write_text("name: p\nduration: 1m\nload: {rate: 2/s}\n", encoding="utf-8")
    assert plan_check([str(root), "--time-scale", "20"]) == 2
    assert "--time-scale must be in (0, 10]" in capsys.readouterr().err
    assert not (point / "live").exists()
