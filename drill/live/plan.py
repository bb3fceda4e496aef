"""What a live run will do, worked out from a scenario before anything starts.

Pure: no processes, no sockets.  Turning a scenario into the gateway's
overrides, the fakes' fault plan, the timeline of toxics and admin actions, the
load configuration and the report's ``RunInfo`` happens here, so a bad scenario
is refused before any process is started.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from fake_providers.faults import DEFAULT_BASELINE
from fake_providers.faults.plan import FaultPlan, FaultPlanError
from gateway.config import ConfigError, config_from_mapping
from gateway.outcomes import PROVIDERS
from reports.runinfo import FaultWindow, Phase, RunInfo
from scenarios.problems import Problem
from scenarios.schema import Scenario


@dataclass(frozen=True, slots=True)
class Step:
    """One thing the timeline driver does at ``at_s`` run seconds."""

    at_s: float
    kind: str                      # "toxic_add" | "toxic_remove" | "proxy_down" | "proxy_up" | "admin"
    target: str                    # proxy name, or "gateway"
    body: dict[str, Any] = field(default_factory=dict)
    label: str = ""


@dataclass(frozen=True, slots=True)
class LivePlan:
    scenario: Scenario             # as written (scenario seconds)
    run: Scenario                  # scaled: run seconds
    gateway_overrides: dict[str, Any]
    fault_plan: dict[str, Any]     # body of PUT /_control/faults, without epoch
    steps: tuple[Step, ...]
    run_info: RunInfo


class PlanError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def make_plan(scenario: Scenario, mode: Literal["live", "sim"] = "live") -> LivePlan:
    problems: list[Problem] = []
    overrides = dict(scenario.stack_config())
    overrides["time_scale"] = scenario.time_scale
    overrides.setdefault("seed", scenario.seed)
    try:
        config_from_mapping(overrides, "stack")
    except ConfigError as exc:
        for text in exc.problems:
            path, _, message = text.partition(": ")
            problems.append(scenario.problem(f"stack.{path}", message or text))
    fault_plan = scenario.fault_plan()
    # The fakes' no-fault latency is a duration like any other: compress it with the scenario.
    # (The plan goes out in run seconds with time_scale 1.0, so the fakes would not scale it.)
    # A scenario's own `baseline:` arrives already scaled by fault_plan().
    if "baseline" not in fault_plan:
        fault_plan["baseline"] = DEFAULT_BASELINE.scaled(scenario.time_scale).to_json()
    try:
        FaultPlan.parse(fault_plan)
    except FaultPlanError as exc:
        problems.append(scenario.problem(exc.field_path or "faults", exc.message))
    if scenario.load.endpoint != "parse":
        problems.append(scenario.problem("load.endpoint", "the live runner drives the user journey "
                                         "(/v1/appointments/parse) only; 'chat' load is not supported yet"))
    if problems:
        raise PlanError(problems)
    run = scenario.scaled()
    steps: list[Step] = []
    for net in run.network:
        for proxy in net.proxies(PROVIDERS):
            body = net.to_toxiproxy(1.0)   # `run` is already in run seconds
            label = net.label or f"network {net.toxic} on {proxy}"
            if net.is_down:
                steps.append(Step(net.at_s, "proxy_down", proxy, body, label))
                if net.until_s is not None:
                    steps.append(Step(net.until_s, "proxy_up", proxy, {"enabled": True}, label))
            else:
                steps.append(Step(net.at_s, "toxic_add", proxy, body, label))
                if net.until_s is not None:
                    steps.append(Step(net.until_s, "toxic_remove", proxy, {"name": body["name"]}, label))
    for action in run.actions:
        steps.append(Step(action.at_s, "admin", "gateway", action.admin_body(), "admin action"))
    steps.sort(key=lambda s: (s.at_s, s.kind))
    info = RunInfo(
        scenario=scenario.name,
        description=scenario.description,
        mode=mode,
        seed=scenario.seed,
        time_scale=scenario.time_scale,
        duration_s=scenario.duration_s,
        faults=tuple(FaultWindow(w.index, w.at_s, w.until_s, w.provider, w.label) for w in scenario.windows()),
        phases=tuple(Phase(p.name, p.at_s, p.until_s) for p in scenario.phases),
        expectations=tuple(scenario.expect),
        quotas_rpm=_quotas(overrides),
    )
    return LivePlan(scenario, run, overrides, fault_plan, tuple(steps), info)


def _quotas(overrides: dict[str, Any]) -> dict[str, float]:
    config = config_from_mapping(overrides, "stack")
    return {name: float(p.rpm) for name, p in config.providers.items() if p.rpm is not None}
