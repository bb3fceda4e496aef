"""The recommendation's pure parts: the knee, what each configuration holds, the cheapest, the fix."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sim.plan.recommend import knee, recommend
from sim.plan.result import PointResult
from sim.plan.spec import parse_plan

PLAN = """\
name: t
scenario: x
target: {traffic: 3}
sweep:
  traffic: [1, 2, 3, 4]
  quota.claude: [100, 300]
"""


def _result(i: int, traffic: float, rpm: int, p95: float, errors: float) -> PointResult:
    knobs = (("traffic", traffic), ("quota.claude", {"rpm": rpm}))
    return PointResult(i, "", knobs, 1000, 0.1, p95, p95 * 1.2, errors, "P4", (), 0.0, 0.0, 1.0)


def test_cheapest_holding_config_and_max_traffic() -> None:
    spec = parse_plan(PLAN, "t.yaml")
    results = [_result(0, 1, 100, 1.0, 0.0), _result(1, 2, 100, 1.2, 0.0), _result(2, 3, 100, 4.0, 0.0),
               _result(3, 4, 100, 9.0, 0.2), _result(4, 1, 300, 1.0, 0.0), _result(5, 2, 300, 1.0, 0.0),
               _result(6, 3, 300, 1.1, 0.0), _result(7, 4, 300, 2.0, 0.0)]
    rec = recommend(spec, results)
    held = {c.label: c.max_traffic for c in rec.configs}
    assert held == {"quota.claude={rpm:100}": 2.0, "quota.claude={rpm:300}": 4.0}
    assert rec.cheapest is not None and rec.cheapest.label == "quota.claude={rpm:300}"
    assert "at 3×: p95 4.00 s" in rec.text
    assert "multi-LLM load balancing" in rec.fix   # the quota moved the answer


def test_no_config_holds_the_target() -> None:
    spec = parse_plan(PLAN, "t.yaml")
    results = [_result(i, t, q, 5.0, 0.0) for i, (t, q) in enumerate((t, q) for t in (1, 2, 3, 4) for q in (100, 300))]
    rec = recommend(spec, results)
    assert rec.cheapest is None and "No configuration swept holds 3× traffic" in rec.text
    assert all(c.max_traffic is None for c in rec.configs)


def test_knee_of_a_hockey_stick() -> None:
    assert knee([1, 2, 3, 4, 5], [1.0, 1.0, 1.0, 5.0, 9.0]) == 3
    assert knee([1, 2, 3], [1.0, 1.0, 1.0]) is None     # flat
    assert knee([1, 2, 3], [2.0, 1.5, 1.0]) is None     # falling
    assert knee([1, 2], [1.0, 9.0]) is None              # too few points


@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=3, max_size=12))
def test_the_knee_is_one_of_the_traffics_swept(p95: list[float]) -> None:
    traffic = [float(i + 1) for i in range(len(p95))]
    found = knee(traffic, p95)
    assert found is None or found in traffic
