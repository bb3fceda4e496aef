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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from scenarios.frozen import thaw
from scenarios.network import NetworkFault

if TYPE_CHECKING:
    from scenarios.problems import Problem

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
]

#: The providers a fault, action or stack entry may name (gateway.outcomes.PROVIDERS; not imported by design).
PROVIDERS: tuple[str, ...] = ("qwen", "claude", "openai")
TOP_LEVEL_KEYS: tuple[str, ...] = (
    "name",
    "description",
    "seed",
    "time_scale",
    "duration",
    "load",
    "stack",
    "faults",
    "baseline",
    "network",
    "actions",
    "phases",
    "expect",
)
ARRIVALS: tuple[str, ...] = ("poisson", "uniform")
ENDPOINTS: tuple[str, ...] = ("parse", "chat")
CORPORA: tuple[str, ...] = ("appointments-es", "appointments-es-templated")
#: docs/contracts.md §4: exactly one of these per fault rule. ``network`` is the DESIGN.md sketch's form of a
#: network fault inside ``faults:``; it is routed to the proxy, never to the fakes.
FAULT_EFFECTS: tuple[str, ...] = (
    "latency",
    "error",
    "connection",
    "bad_json",
    "quality",
    "stream",
    "quota",
    "capacity",
    "network",
)
FAULT_KEYS: tuple[str, ...] = (
    "at",
    "until",
    "provider",
    "probability",
    "match",
    "id",
    "label",
    *FAULT_EFFECTS,
)
NETWORK_KEYS: tuple[str, ...] = ("at", "until", "provider", "toxic", "stream", "toxicity", "label")
ADMIN_KEYS: tuple[str, ...] = ("provider", "conservation_mode", "degraded_mode")

Toggle = bool | Literal["auto"]


@dataclass(frozen=True, slots=True)
class Stage:
    """Until ``until_s`` (from the start of the run) users arrive at ``rate`` requests per second.

    Scenario units in a loaded scenario, run units in ``Scenario.scaled()``.
    """

    until_s: float
    rate: float


@dataclass(frozen=True, slots=True)
class Prompts:
    """Which prompts the load sends: the gold corpus of docs/contracts.md §3, generated from ``seed``."""

    corpus: str = "appointments-es"
    seed: int = 0
    n: int = 1000


@dataclass(frozen=True, slots=True)
class Load:
    """Open-model load: arrivals follow the stages whether or not earlier requests have finished."""

    stages: tuple[Stage, ...]
    model: Literal["open"] = "open"
    arrival: Literal["poisson", "uniform"] = "poisson"
    prompts: Prompts = field(default_factory=Prompts)
    endpoint: Literal["parse", "chat"] = "parse"
    client_timeout_s: float = 30.0

    def rate_at(self, t: float) -> float:
        """The arrival rate at run time ``t`` (0 after the last stage)."""
        for stage in self.stages:
            if t < stage.until_s:
                return stage.rate
        return 0.0

    def expected_requests(self) -> float:
        """Mean number of requests the stages send (the integral of the rate)."""
        total, start = 0.0, 0.0
        for stage in self.stages:
            total += stage.rate * (stage.until_s - start)
            start = stage.until_s
        return total


@dataclass(frozen=True, slots=True)
class FaultRule:
    """One provider-side fault rule (docs/contracts.md §4); ``rule`` as written, for the fakes' parser."""

    index: int
    at_s: float
    until_s: float | None
    provider: str
    effect: str
    label: str
    rule: Mapping[str, Any]
    line: int

    def plan_entry(self) -> dict[str, Any]:
        """A fresh plain copy of the rule for ``PUT /_control/faults`` (``label`` is ours and left out)."""
        entry: dict[str, Any] = thaw(self.rule)
        entry.pop("label", None)
        return entry


@dataclass(frozen=True, slots=True)
class AdminAction:
    """An operator's move at ``at_s``: ``PUT /admin/config`` of the fields set (None: unchanged)."""

    at_s: float
    provider: str | None
    conservation_mode: Toggle | None
    degraded_mode: Toggle | None
    line: int

    def admin_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for key in ADMIN_KEYS:
            value = getattr(self, key)
            if value is not None:
                body[key] = value
        return body


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    at_s: float
    until_s: float


@dataclass(frozen=True, slots=True)
class FaultWindow:
    """Where a fault is active, in the numbering expectations use (``fault N``); open ends run to the end."""

    index: int
    at_s: float
    until_s: float
    provider: str
    label: str
    kind: Literal["fault", "network"]


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
        from scenarios.problems import Problem

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
        """This scenario in run units: durations × ``time_scale``, rates ÷ it (see the module doc)."""
        from scenarios.scaling import scale_scenario

        return scale_scenario(self)


def _with_baseline(plan: dict[str, Any], baseline: str | float | Mapping[str, Any] | None) -> dict[str, Any]:
    if baseline is not None:
        plan["baseline"] = thaw(baseline)
    return plan
