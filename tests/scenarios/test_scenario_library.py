"""The shipped library: every file loads, is cheap enough for CI, and is tied to the runbook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import scenarios
from drill.live.compression import check_compression
from scenarios import ScenarioError, find, json_schema, library_dir, list_library, load_scenario
from scenarios.schema import TOP_LEVEL_KEYS

REQUIRED = {
    "high-latency",
    "quality-drop",
    "rate-limit-storm",
    "provider-down",
    "total-outage",
    "conservation-mode",
    "manual-failover",
    "degraded-pipeline",
    "circuit-breaker",
    "retry-storm",
    "fuzzy-cache-hazard",
    "recovery",
    "network-degradation",
    "flapping-provider",
    "gameday-composite",
}
FILES = sorted(library_dir().glob("*.yaml"))


def test_library_has_every_required_scenario() -> None:
    assert {path.stem for path in FILES} >= REQUIRED


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_library_file_loads_and_is_ci_sized(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert "runbook" in scenario.description.lower()
    assert scenario.expect, "a library scenario must say what it expects"
    run = scenario.scaled()
    assert run.duration_s <= 90.0  # wall seconds of a live run on the 2-core CI machine
    # rates are scenario rates: compressed, the load grows by 1/time_scale and must stay what the machine
    # sustains, with the overhead estimate small against every latency threshold the scenario checks
    check = check_compression(scenario)
    assert check.safe, check.message()
    assert run.load.expected_requests() <= 6000  # the live library tests' budget
    # expectations about fault windows refer to windows that exist
    assert scenario.phases and scenario.phases[-1].until_s == scenario.duration_s


def test_list_library_summarises_every_file() -> None:
    summaries = list_library()
    assert [s.file for s in sorted(summaries, key=lambda s: s.file)] == FILES
    for summary in summaries:
        assert summary.description and 0 < summary.wall_s <= 90


def test_find_by_name_path_and_suggestion(tmp_path: Path) -> None:
    assert find("high-latency") == library_dir() / "high-latency.yaml"
    assert find("high-latency.yaml") == library_dir() / "high-latency.yaml"
    own = tmp_path / "mine.yaml"
    own.write_text("name: mine\n", encoding="utf-8")
    assert find(own) == own
    with pytest.raises(ScenarioError, match="did you mean 'high-latency'"):
        find("high-latncy")
    with pytest.raises(ScenarioError, match="directory"):
        find(tmp_path)


def test_json_schema_is_json_and_names_every_top_level_field() -> None:
    schema = json.loads(json.dumps(json_schema()))
    assert schema["type"] == "object"
    assert set(schema["properties"]) == set(TOP_LEVEL_KEYS)
    assert set(schema["required"]) == {"name", "duration", "load"}
    toxics = {v["properties"]["toxic"]["const"] for v in schema["properties"]["network"]["items"]["oneOf"]}
    assert toxics == {
        "latency",
        "bandwidth",
        "slow_close",
        "timeout",
        "reset_peer",
        "slicer",
        "limit_data",
        "down",
    }


def test_public_surface_is_explicit() -> None:
    assert sorted(scenarios.__all__) == sorted(set(scenarios.__all__))
    for name in scenarios.__all__:
        assert hasattr(scenarios, name), name
