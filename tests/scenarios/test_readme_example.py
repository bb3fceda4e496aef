"""The scenario a new user copies from the README must load and plan as it is."""

from __future__ import annotations

import re
from pathlib import Path

from drill.live.plan import make_plan
from scenarios.loader import load_scenario_text

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_scenario_is_valid() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Writing a scenario"):]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match is not None, "the README's scenario guide lost its example"
    scenario = load_scenario_text(match.group(1), "README.md")
    plan = make_plan(scenario)
    assert [w.index for w in scenario.windows()] == [0, 1, 2]
    assert {s.kind for s in plan.steps} == {"toxic_add", "toxic_remove", "admin"}
