"""The typed model of a scenario file.

A scenario scripts one incident: the load (open model), the stack's config
overrides, the providers' faults, the network's faults, the operator's admin
actions, named phases and the expectations that decide pass or fail.

Time and ``time_scale``
    Every figure in a file is in *scenario units* (the incident as it would
    happen). ``time_scale: s`` is a change of the unit of time: a run
    multiplies every duration by s — ``duration``, stage ends, fault and
    network windows, injected latencies, Retry-After, toxic latencies, admin
    action times, phase bounds, the client timeout and the stack's durations —
    and every rate by 1/s: load stage rates, provider quotas ``rpm``/``tpm``
    (the fakes' and the stack's), bandwidth, streaming tokens/s.
    :meth:`Scenario.scaled` gives the same scenario in run units
    (``time_scale`` 1.0, ``applied_scale`` remembering the factor); the rules
    live in ``scenarios.scaling``.

    So everything dimensionless is the incident's: requests, errors and calls
    per (scenario) window, quota utilisation, concurrency. Count rules such as
    the runbook's "> 50 connection errors in 1 min" keep their thresholds, and
    expectation strings stay in scenario units. What does not scale is the
    fixed overhead per request of the stack and the harness; a live run
    measures it and refuses a scale at which it would distort a verdict.

Fault windows
    ``fault N`` in expectations numbers the ``faults:`` entries in file order,
    then the ``network:`` entries after them (see :meth:`Scenario.windows`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from scenarios.actions import AdminAction, Toggle
from scenarios.faults import FaultRule, FaultWindow
from scenarios.frozen import thaw
from scenarios.load import Load, Prompts, Stage
from scenarios.network import NetworkFault
from scenarios.phases import Phase
from scenarios.problems import Problem
from scenarios.scaling import (
    scale_action,
    scale_baseline,
    scale_load,
    scale_network,
    scale_phase,
    scale_rule,
    scale_stack,
)
from scenarios.vocabulary import (
    ADMIN_KEYS,
    ARRIVALS,
    CORPORA,
    ENDPOINTS,
    FAULT_EFFECTS,
    FAULT_KEYS,
    NETWORK_KEYS,
    PROVIDERS,
    TOP_LEVEL_KEYS,
)

# The parts are defined one concept per module and re-exported here, where the model of a file is read.
__all__ = [
    "ADMIN_KEYS",
    "ARRIVALS",
    "CORPORA",
    "ENDPOINTS",
    "FAULT_EFFECTS",
    "FAULT_KEYS",
    "NETWORK_KEYS",
    "PROVIDERS",
    "TOP_LEVEL_KEYS",
    "AdminAction",
    "FaultRule",
    "FaultWindow",
    "Load",
    "NetworkFault",
    "Phase",
    "Prompts",
    "Scenario",
    "Stage",
    "Toggle",
]


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated scenario. Build one with ``scenarios.load_scenario``; times are seconds."""

    name: str
    description: str
    seed: int
    time_scale: float
    duration_s: float
    load: Load
    stack: Mapping[str, Any]
    faults: tuple[FaultRule, ...]
    network: tuple[NetworkFault, ...]
    actions: tuple[AdminAction, ...]
    phases: tuple[Phase, ...]
    expect: tuple[str, ...]
    source: str = "<scenario>"
    lines: Mapping[str, int] = field(default_factory=dict)
    applied_scale: float = 1.0
    #: The fakes' no-fault latency (a duration, or a ``latency:`` distribution mapping with ``dist``);
    #: None keeps the fakes' default. Kept as written: the fakes' parser owns its meaning.
    baseline: str | float | Mapping[str, Any] | None = None

    def line_of(self, field_path: str) -> int:
        """The file line of ``field_path`` (``stack.breaker.recovery_timeout``) or of its nearest parent."""
        path = field_path
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return 1

    def problem(self, field_path: str, message: str) -> Problem:
        """A :class:`Problem` located in this scenario's file, for later validators (gateway config)."""
        return Problem(self.source, self.line_of(field_path), field_path, message)

    def stack_config(self) -> dict[str, Any]:
        """A fresh plain copy of the stack overrides, for the gateway's config loader."""
        config: dict[str, Any] = thaw(self.stack)
        return config

    def fault_plan(self, *, as_written: bool = False) -> dict[str, Any]:
        """The body of the fakes' ``PUT /_control/faults`` (without ``epoch``, which the run sets).

        By default in run units: every duration multiplied by ``time_scale``, every rate (quota
        ``rpm``/``tpm``, ``tokens_per_s``) divided by it, and the plan's ``time_scale`` 1.0 (see the
        module doc). ``as_written=True`` gives the rules as in the file with this scenario's
        ``time_scale``, for tools that apply the scale themselves.
        """
        if as_written:
            plan = {"faults": [rule.plan_entry() for rule in self.faults], "time_scale": self.time_scale}
            return _with_baseline(plan, self.baseline)
        run = self.scaled()
        return _with_baseline({"faults": [rule.plan_entry() for rule in run.faults], "time_scale": 1.0}, run.baseline)

    def windows(self) -> tuple[FaultWindow, ...]:
        """Every fault window, numbered as ``fault N`` in expectations: fault rules, then network faults."""
        out = [
            FaultWindow(
                rule.index,
                rule.at_s,
                self.duration_s if rule.until_s is None else rule.until_s,
                rule.provider,
                rule.label,
                "fault",
            )
            for rule in self.faults
        ]
        out += [
            FaultWindow(
                net.index,
                net.at_s,
                self.duration_s if net.until_s is None else net.until_s,
                net.provider,
                net.label,
                "network",
            )
            for net in self.network
        ]
        return tuple(sorted(out, key=lambda w: w.index))

    def scaled(self) -> Scenario:
        """This scenario in run units: durations × ``time_scale``, rates ÷ it (``scenarios.scaling``)."""
        k = self.time_scale  # 1.0 still rewrites fault rules and stack durations into plain seconds
        return replace(
            self,
            time_scale=1.0,
            applied_scale=self.applied_scale * k,
            duration_s=self.duration_s * k,
            load=scale_load(self.load, k),
            stack=scale_stack(self.stack, k),
            faults=tuple(scale_rule(rule, k) for rule in self.faults),
            network=tuple(scale_network(net, k) for net in self.network),
            actions=tuple(scale_action(action, k) for action in self.actions),
            phases=tuple(scale_phase(phase, k) for phase in self.phases),
            baseline=scale_baseline(self.baseline, k),
        )


def _with_baseline(plan: dict[str, Any], baseline: str | float | Mapping[str, Any] | None) -> dict[str, Any]:
    if baseline is not None:
        plan["baseline"] = thaw(baseline)
    return plan
