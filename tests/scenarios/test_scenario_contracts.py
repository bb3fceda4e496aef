"""The seams of the scenario format with the other packages, checked against their real parsers.

Library fault rules must be accepted by the fakes' plan parser (docs/contracts.md §4), and every
library expectation by the threshold-language parser.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_providers.faults import FaultPlan
from scenarios import library_dir, load_scenario
from scenarios.expectations import parse_expectation

FILES = sorted(library_dir().glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_library_fault_plans_parse_in_the_fakes(path: Path) -> None:
    scenario = load_scenario(path)
    for body in (scenario.fault_plan(), scenario.fault_plan(as_written=True)):
        plan = FaultPlan.parse(body)
        assert len(plan.rules) == len(scenario.faults)
    run_plan = FaultPlan.parse(scenario.fault_plan())
    written_plan = FaultPlan.parse(scenario.fault_plan(as_written=True))
    # both carry the same windows in real seconds; only the quota window differs
    for run_rule, written_rule, rule in zip(run_plan.rules, written_plan.rules, scenario.faults, strict=True):
        assert run_rule.at == pytest.approx(rule.at_s * scenario.time_scale)
        assert written_rule.at == pytest.approx(rule.at_s * scenario.time_scale)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_library_expectations_parse(path: Path) -> None:
    for text in load_scenario(path).expect:
        assert parse_expectation(text) is not None
