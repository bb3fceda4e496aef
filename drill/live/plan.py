"""What a live run will do, worked out from a scenario before anything starts.

Pure: no processes, no sockets.  Turning a scenario into the gateway's
overrides, the fakes' fault plan, the timeline of toxics and admin actions, the
load configuration and the report's ``RunInfo`` happens here, so a bad scenario
is refused before any process is started.  Each is validated once, here, and
the plan carries the validated values (``GatewayConfig``, ``FaultPlan``, typed
``sim.steps`` steps, the scaled scenario): the orchestrator and the twin use
them and re-read nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from fake_providers.faults import DEFAULT_BASELINE
from fake_providers.faults.plan import FaultPlan, FaultPlanError
from gateway.config import ConfigError, GatewayConfig, config_from_mapping
from gateway.outcomes import PROVIDERS
from reports.runinfo import FaultWindow, Phase, RunInfo
from scenarios.problems import Problem
from scenarios.scaling import run_per_minute
from scenarios.schema import Scenario
from sim.steps import AdminChange, ProxyDown, ProxyUp, Step, StepError, ToxicAdd, ToxicRemove, admin_step
from workload.gold_probe_cases import with_gold_probe

from .compression import DEFAULT_OVERHEAD_S, CompressionCheck, check_compression, max_rate_from_env
from .target import Target, run_info_target

#: The gateway's rate-limit window: its minute, compressed with the run (``gateway.core.stack``).
_GATEWAY_WINDOW_S = 60.0
#: Settings never written into run.json.
_SECRETS = ("api_key", "admin_token")


@dataclass(frozen=True, slots=True)
class LivePlan:
    scenario: Scenario             # as written (scenario seconds)
    run: Scenario                  # scaled: run seconds
    gateway_overrides: dict[str, Any]   # durations in scenario units (the gateway scales them), rates in run units
    gateway: GatewayConfig         # ``gateway_overrides`` validated: what the gateway runs with
    fault_plan: dict[str, Any]     # body of PUT /_control/faults, without epoch
    faults: FaultPlan              # ``fault_plan`` parsed, as the fakes parse it
    steps: tuple[Step, ...]        # sorted by time: what the timeline driver applies, in run seconds
    run_info: RunInfo
    compression: CompressionCheck  # before the run: with the estimated overhead
    target: Target | None = None   # a gateway run by someone else: we start none (``with_target``)

    @property
    def endpoint(self) -> str:
        """What the load sends: a target speaks OpenAI chat completions whatever the scenario says."""
        return "chat" if self.target is not None else self.scenario.load.endpoint


class PlanError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def make_plan(
    scenario: Scenario,
    mode: Literal["live", "sim"] = "live",
    *,
    max_rate_per_s: float | None = None,
    overhead_s: float = DEFAULT_OVERHEAD_S,
) -> LivePlan:
    """The plan of ``scenario`` (as written); ``max_rate_per_s`` None reads ``$LLMDRILL_MAX_RATE``."""
    problems: list[Problem] = []
    overrides = dict(scenario.stack_config())
    overrides["time_scale"] = scenario.time_scale
    overrides.setdefault("seed", scenario.seed)
    overrides = with_gold_probe(overrides, scenario)   # the gateway has no corpus: the harness hands it gold cases
    stack: GatewayConfig | None = None
    try:
        stack = config_from_mapping(overrides, "stack")
    except ConfigError as exc:
        for text in exc.problems:
            path, _, message = text.partition(": ")
            problems.append(scenario.problem(f"stack.{path}", message or text))
    run = scenario.scaled()
    # `run` is in run seconds with time_scale 1.0, so its rules "as written" are the run-unit plan
    # (what scenario.fault_plan() gives, without scaling the scenario a second time).
    fault_plan = run.fault_plan(as_written=True)
    # The fakes' no-fault latency is a duration like any other: compress it with the scenario.
    # (The plan goes out in run seconds with time_scale 1.0, so the fakes would not scale it.)
    # A scenario's own `baseline:` arrives already scaled with `run`.
    if "baseline" not in fault_plan:
        fault_plan["baseline"] = DEFAULT_BASELINE.scaled(scenario.time_scale).to_json()
    faults: FaultPlan | None = None
    try:
        faults = FaultPlan.parse(fault_plan)
    except FaultPlanError as exc:
        problems.append(scenario.problem(exc.field_path or "faults", exc.message))
    steps = _steps(run, problems)
    if problems:
        raise PlanError(problems)
    assert stack is not None and faults is not None  # no problems: both validated
    scenario_rpm = _quotas(stack)
    overrides = _with_run_rates(overrides, stack, scenario.time_scale)
    # our gateway talks to our fakes: it sends them each call's key, so a call meets the fate the twin draws
    # for the same request and attempt (``gateway.core.call_key``); a scenario may still turn it off
    overrides["harness"] = {"call_keys": True, **dict(overrides.get("harness") or {})}
    gateway = config_from_mapping(overrides, "stack")
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
        quotas_rpm=scenario_rpm,
        config=effective_config(stack, gateway),
    )
    try:
        max_rate = max_rate_from_env() if max_rate_per_s is None else max_rate_per_s
    except ValueError as exc:
        raise PlanError([Problem("environment", 0, "", str(exc))]) from None
    compression = check_compression(scenario, max_rate_per_s=max_rate, overhead_s=overhead_s)
    info = replace(info, compression=compression.to_dict())
    return LivePlan(scenario, run, overrides, gateway, fault_plan, faults, steps, info, compression)


def _steps(run: Scenario, problems: list[Problem]) -> tuple[Step, ...]:
    """The timeline of ``run`` (run seconds): its network faults per proxy, then its admin actions.

    Sorted by time, and at one instant by kind, as the run files have always listed them.
    """
    steps: list[Step] = []
    for index, net in enumerate(run.network):
        try:
            for proxy in net.proxies(PROVIDERS):
                label = net.label or f"network {net.toxic} on {proxy}"
                if net.is_down:
                    steps.append(ProxyDown(net.at_s, proxy, label))
                    if net.until_s is not None:
                        steps.append(ProxyUp(net.until_s, proxy, label))
                    continue
                add = ToxicAdd.from_body(net.at_s, proxy, net.to_toxiproxy(1.0), label)  # `run` is in run seconds
                steps.append(add)
                if net.until_s is not None:
                    steps.append(ToxicRemove(net.until_s, proxy, add.name, label))
        except StepError as exc:
            problems.append(Problem(run.source, net.line, f"network[{index}]", str(exc)))
    for index, action in enumerate(run.actions):
        try:
            # every provider the gateway knows: one disabled in this stack is refused by the gateway at run
            # time, and recorded, as an operator's PUT would be
            steps.append(admin_step(action.at_s, action.admin_body(), PROVIDERS))
        except StepError as exc:
            problems.append(Problem(run.source, action.line, f"actions[{index}]", str(exc)))
    return tuple(sorted(steps, key=lambda s: (s.at_s, s.kind)))


def _quotas(config: GatewayConfig) -> dict[str, float]:
    """The gateway's own limits per provider, in scenario requests per minute (what reports speak)."""
    return {name: float(p.rpm) for name, p in config.providers.items() if p.rpm is not None}


def _with_run_rates(overrides: dict[str, Any], stack: GatewayConfig, k: float) -> dict[str, Any]:
    """``overrides`` with every provider's rpm/tpm (its defaults included) in run units.

    The gateway scales its own durations by ``time_scale`` but reads rpm/tpm as written; so that its
    compressed window holds what the scenario's minute holds, the rates go out multiplied by 1/k.
    """
    out = dict(overrides)
    providers = {name: dict(entry or {}) for name, entry in (overrides.get("providers") or {}).items()}
    for name, settings in stack.providers.items():
        for key in ("rpm", "tpm"):
            value = getattr(settings, key)
            if value is not None:
                providers.setdefault(name, {})[key] = run_per_minute(value, _GATEWAY_WINDOW_S, k)
    if providers:
        out["providers"] = providers
    return out


def _public(config: GatewayConfig) -> dict[str, Any]:
    data: dict[str, Any] = config.model_dump(mode="json")
    data.pop("admin_token", None)
    for entry in data.get("providers", {}).values():
        for key in _SECRETS:
            entry.pop(key, None)
    return data


def effective_config(stack: GatewayConfig, gateway: GatewayConfig) -> dict[str, Any]:
    """What run.json records: the provider pin and every stack setting, validated, without secrets.

    ``stack`` is in scenario units; ``gateway`` is what the gateway is given (its durations still in
    scenario units, which it multiplies by ``time_scale``; its rpm/tpm per run minute). Provider URLs
    and keys come from the run's environment and are not recorded.
    """
    return {
        "provider": stack.provider,
        "time_scale": stack.time_scale,
        "stack": _public(stack),
        "gateway": _public(gateway),
    }


def with_target(plan: LivePlan, target: Target) -> LivePlan:
    """``plan`` against a gateway that is not ours: no admin steps (the target has no llmdrill admin
    API; each skipped one is listed in run.json), and run.json's ``target`` says what is unavailable."""
    skipped = [{"at_s": s.at_s, "body": s.body()} for s in plan.steps if isinstance(s, AdminChange)]
    info = dict(run_info_target(target))
    info["skipped_admin_actions"] = skipped
    steps = tuple(s for s in plan.steps if not isinstance(s, AdminChange))
    # the scenario's stack (its quotas included) configures our gateway, not the target: no quota line is drawn
    return replace(plan, steps=steps, target=target, run_info=replace(plan.run_info, target=info, quotas_rpm={}))
