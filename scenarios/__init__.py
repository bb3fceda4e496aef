"""The scenario format of llmdrill (schema, loader) and its library of rehearsed incidents.

Imports no other project package but ``units`` (DESIGN.md, "Layout"). Inside it, imports form a tree:
``pyproject.toml``'s import-linter contract refuses any circle among its modules.
"""

from scenarios.jsonschema import json_schema
from scenarios.library import ScenarioSummary, find, library_dir, list_library
from scenarios.loader import load_scenario, load_scenario_text
from scenarios.network import NetworkFault
from scenarios.problems import Problem, ScenarioError
from scenarios.schema import (
    PROVIDERS,
    AdminAction,
    FaultRule,
    FaultWindow,
    Load,
    Phase,
    Prompts,
    Scenario,
    Stage,
)
from units.durations import ValueSyntaxError, format_duration, parse_duration, parse_rate, parse_size

__all__ = [
    "PROVIDERS",
    "AdminAction",
    "FaultRule",
    "FaultWindow",
    "Load",
    "NetworkFault",
    "Phase",
    "Problem",
    "Prompts",
    "Scenario",
    "ScenarioError",
    "ScenarioSummary",
    "Stage",
    "ValueSyntaxError",
    "find",
    "format_duration",
    "json_schema",
    "library_dir",
    "list_library",
    "load_scenario",
    "load_scenario_text",
    "parse_duration",
    "parse_rate",
    "parse_size",
]
