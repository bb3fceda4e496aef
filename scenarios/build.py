"""Validation of a parsed scenario document into a :class:`~scenarios.schema.Scenario`.

This module assembles the sections, each checked in its own module (``scenarios.check_load``,
``check_stack``, ``check_faults``, ``check_network``, ``check_actions``, ``check_phases``,
``check_expect``) by one :class:`~scenarios.checker.Checker` that collects every problem of the
file. Provider-side effects and stack overrides are kept as written: the fakes' fault parser and
the gateway's config loader own their meaning.
"""

from __future__ import annotations

import re
from dataclasses import replace

from scenarios.check_actions import check_actions
from scenarios.check_expect import check_expectations
from scenarios.check_faults import check_baseline, check_faults
from scenarios.check_load import check_load
from scenarios.check_network import check_network
from scenarios.check_phases import check_phases
from scenarios.check_stack import check_stack
from scenarios.checker import Checker, describe
from scenarios.frozen import freeze
from scenarios.phases import derive_phases
from scenarios.problems import Problem, ScenarioError
from scenarios.schema import Scenario
from scenarios.vocabulary import TOP_LEVEL_KEYS
from scenarios.yamltree import Located, format_path

__all__ = ["build_scenario"]

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def build_scenario(doc: Located, file: str) -> Scenario:
    """Validate ``doc`` (from :func:`scenarios.yamltree.parse_yaml`).

    Raises :class:`ScenarioError` listing every problem found.
    """
    check = Checker(doc, file)
    top = doc.value
    if not isinstance(top, dict):
        raise ScenarioError(
            [
                Problem(
                    file,
                    doc.line(()),
                    "",
                    "the top level must be a mapping of scenario fields "
                    f"({', '.join(TOP_LEVEL_KEYS[:6])}, ...), got {describe(top)}",
                )
            ]
        )
    check.mapping((), top, TOP_LEVEL_KEYS, ("name", "duration", "load"))
    name = check.text(("name",), top["name"]) if "name" in top else None
    if name is not None and not _NAME.fullmatch(name):
        check.report(("name",), f"{name!r} must be lowercase letters, digits, '.', '_' or '-' (at most 64)")
    description = check.text(("description",), top.get("description", "")) or ""
    seed = check.integer(("seed",), top.get("seed", 42), 0, 2**63 - 1)
    time_scale = check.number(("time_scale",), top.get("time_scale", 1.0), 0.0, 10.0, low_open=True)
    duration = check.duration(("duration",), top["duration"]) if "duration" in top else None
    if duration is not None and duration <= 0:
        check.report(("duration",), "duration must be positive")
        duration = None
    load = check_load(check, top["load"], duration) if "load" in top else None
    stack = check_stack(check, top.get("stack"))
    rules, inline_nets = check_faults(check, top.get("faults"), duration)
    fault_count = (
        len(check.items(("faults",), top.get("faults"))) if isinstance(top.get("faults"), list) else 0
    )
    baseline = check_baseline(check, top["baseline"]) if top.get("baseline") is not None else None
    nets = inline_nets + check_network(check, top.get("network"), duration, fault_count)
    actions = check_actions(check, top.get("actions"), duration)
    phases = check_phases(check, top.get("phases"), duration)
    network_count = len(top["network"]) if isinstance(top.get("network"), list) else 0
    expect = check_expectations(check, top.get("expect"), fault_count + network_count)
    if check.problems:
        raise ScenarioError(check.problems)
    assert name is not None and duration is not None and load is not None  # guaranteed: no problems
    assert seed is not None and time_scale is not None
    scenario = Scenario(
        name=name,
        description=description.strip(),
        seed=seed,
        time_scale=time_scale,
        duration_s=duration,
        load=load,
        stack=freeze(stack),
        faults=tuple(rules),
        network=tuple(sorted(nets, key=lambda n: n.index)),
        actions=tuple(sorted(actions, key=lambda a: a.at_s)),
        phases=(),
        expect=tuple(expect),
        source=file,
        lines=freeze({format_path(path): line for path, line in doc.lines.items() if path}),
        baseline=baseline,
    )
    derived = tuple(phases) if phases is not None else derive_phases(scenario.windows(), duration)
    return replace(scenario, phases=derived)
