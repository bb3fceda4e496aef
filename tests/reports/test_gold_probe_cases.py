"""The harness hands the gateway its gold-probe cases; a wrong answer's record keeps its evidence."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from drill.live.plan import make_plan
from gateway.config import config_from_mapping
from scenarios import load_scenario
from workload.corpus import corpus_rows
from workload.gold_probe_cases import gold_probe_cases, with_gold_probe
from workload.outcome import answered
from workload.prompts import Gold

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"
HAZARD = LIBRARY / "fuzzy-cache-hazard.yaml"
GOLD = Gold("Dr. Pérez", "2026-01-23", "10:00")


def _write(tmp_path: Path, stack: str) -> Path:
    text = HAZARD.read_text(encoding="utf-8")
    cut = text.index("stack:")
    path = tmp_path / "s.yaml"
    path.write_text(text[:cut] + stack + "\nexpect:\n  - count(lost) == 0\n", encoding="utf-8")
    return path


def test_cases_are_the_loads_own_prompts_one_per_probe_chosen_by_seed() -> None:
    scenario = load_scenario(HAZARD)
    corpus = {row["prompt"]: row for row in corpus_rows(scenario.load.prompts)}
    cases = gold_probe_cases(scenario, 10.0)
    assert len(cases) == min(len(corpus), math.ceil(scenario.duration_s / 10.0) + 1)
    assert len({c["prompt"] for c in cases}) == len(cases)
    for case in cases:
        row = corpus[case["prompt"]]   # a prompt the fakes know the gold of
        assert (case["contacto"], case["fecha"], case["hora"]) == (row["contacto"], row["fecha_iso"], row["hora_hhmm"])
    assert gold_probe_cases(scenario, 10.0) == cases
    assert gold_probe_cases(replace(scenario, seed=scenario.seed + 1), 10.0) != cases
    assert json.loads(json.dumps(cases)) == cases   # what run.json records


def test_the_plan_hands_the_gateway_valid_cases_at_the_scenarios_interval() -> None:
    plan = make_plan(load_scenario(HAZARD))
    probe = plan.gateway_overrides["gold_probe"]
    assert probe["cases"] and probe["interval"] in ("10s", 10, 10.0)
    config = config_from_mapping(plan.gateway_overrides, "stack")
    assert len(config.gold_probe.cases) == len(probe["cases"]) and config.gold_probe.interval == 10.0


def test_a_scenarios_own_cases_are_kept_and_an_empty_list_switches_the_probe_off(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, "stack:\n  gold_probe: {cases: []}\n"))
    assert with_gold_probe(scenario.stack_config(), scenario)["gold_probe"]["cases"] == []
    assert make_plan(scenario).gateway_overrides["gold_probe"]["cases"] == []


def test_a_bad_gold_probe_block_is_named_by_the_plan(tmp_path: Path) -> None:
    from drill.live.plan import PlanError

    with pytest.raises(PlanError, match="gold_probe"):
        make_plan(load_scenario(_write(tmp_path, "stack:\n  gold_probe: {interval: -5s}\n")))


def _body(hora: str) -> bytes:
    return json.dumps({"entities": {"contacto": "Dr. Pérez", "fecha": {"text": "mañana", "resolved": "2026-01-23"},
                                    "hora": {"text": hora, "resolved": hora}},
                       "confidence": 0.95, "meta": {"cache_hit": True}}).encode()


def test_a_wrong_answer_keeps_what_was_served_and_what_gold_says() -> None:
    wrong = answered(1, 0.0, 0.0, 0.1, 200, _body("11:00"), "p1", GOLD)
    assert wrong.correct is False and wrong.wrong
    assert wrong.served == {"contacto": "Dr. Pérez", "fecha": "2026-01-23", "hora": "11:00"}
    assert wrong.gold == {"contacto": "Dr. Pérez", "fecha": "2026-01-23", "hora": "10:00"}
    right = answered(2, 0.0, 0.0, 0.1, 200, _body("10:00"), "p1", GOLD)
    assert right.correct is True and right.served is None and right.gold is None and not right.wrong
