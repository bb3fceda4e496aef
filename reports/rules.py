"""The runbook's alert rules, as data.

Why this file is over 300 lines: most of it is one table, the runbook's ten rules (and the one it
lacks) written out field by field, beside the ``Rule`` type they are written in and the one way a
scenario may change them (``apply_overrides``).  Split, a reader could no longer check a threshold or
window against the runbook in one place.

Each rule says which records it reads (provider calls or user requests), how it aggregates them
over a sliding window, and what it compares against.  ``reports.evaluate`` is the only interpreter.

How the runbook's metrics map onto the records:

==============================  ===========================================================
``llm_request_duration``        ``CallRecord.latency_s`` of every provider attempt
``llm_timeout_rate``            share of calls whose result is ``timeout``
``agent_execution_duration``    ``RequestRecord.agent_s`` (the gateway's pipeline time) of every request the
                                gateway answered: errors, fallbacks and degraded answers included, sheds
                                (429, the pipeline never ran) left out
``parsing_confidence_avg``      mean ``RequestRecord.confidence`` where it is known
``parsing_json_error_rate``     share of requests with ``json_error`` among those that asked an
                                LLM (``attempts > 0``)
``validation_false_positive``   share of ``validation_fp`` among requests where it is known: the gateway's
                                validation agent said invalid (``validation_invalid``) where the gold is
                                a valid request (``workload.outcome``)
``llm_rate_limit_errors_total`` calls with status 429 or result rate_limited / quota_exhausted
``llm_429_errors_rate``         the same calls, as a share of all calls
``llm_connection_errors_total`` calls with result connection_refused / connection_reset
``llm_500_errors_rate``         share of calls with result server_error / overloaded
==============================  ===========================================================

``down.connection_errors_1m`` counts what the runbook's metric counts: provider *attempts* that could
not connect.  It is not widened to calls an open breaker short-circuited: the gateway makes no attempt
then and records nothing, and a count of attempts never made would be invented.  So the rule stays
silent once a dead provider's breaker opens, unless traffic is high enough for more than 50 attempts in
a minute before it does.  The runbook's intent — the user-facing symptom of a dead provider — shows in
severity and in the breaker's events, and the report says so plainly beside the rule
(``reports.notes``) whenever a breaker was open while it stayed silent.

A rule with no evaluable window (too few samples, or no records at all) has "no data", which the
report shows as such, never as "did not fire".

Beyond the runbook's ten (``DEFAULT_RULES``), ``ADDED_RULES`` holds the alert it lacks (issue 13):
``quality.gold_probe_correctness``, the gateway's ``parsing_gold_probe_correct_ratio`` < 0.9 over
5 min, read from its gold-probe events (``EventRecord(kind="gold_probe", detail={"correct": bool |
None, ...})``; a probe that got no answer is not judged).  A fast 200 with high confidence and the
wrong appointment trips none of the ten.  Its ``origin`` is ``"addition"``: the report marks it as
the harness's proposal, not the runbook's.  ``ALL_RULES`` is what a report evaluates.

Pure data and validation; no I/O.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from scenarios.expectations import parse_quantity

__all__ = [
    "ADDED_RULES",
    "ALL_RULES",
    "DEFAULT_RULES",
    "DEGRADED_THRESHOLDS",
    "GOLD_PROBE_EVENT",
    "GOLD_PROBE_RULE",
    "RULE_IDS",
    "Match",
    "Rule",
    "RuleConfigError",
    "apply_overrides",
]

Source = Literal["calls", "requests", "events"]
Aggregation = Literal["p95", "avg", "rate", "count"]
Population = Literal["all", "with_value", "llm_attempted", "answered"]


class RuleConfigError(ValueError):
    """A rules override that names an unknown rule or field, or a bad value."""


@dataclass(frozen=True, slots=True)
class Match:
    """Which records a rate/count rule counts: any listed call result or status, or a true flag."""

    results: frozenset[str] = frozenset()
    statuses: frozenset[int] = frozenset()
    flag: str | None = None  # a boolean RequestRecord field


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    metric: str  # the runbook's metric name
    source: Source
    aggregation: Aggregation
    comparison: Literal[">", "<"]
    threshold: float
    window_s: float
    severity: Literal["warning", "critical"]
    value: str | None = None  # field aggregated by p95/avg; for rates, the field whose
    #                                   presence defines the population when population="with_value"
    match: Match | None = None  # what rate/count rules count
    population: Population = "all"  # the denominator of a rate, the sample of p95/avg
    min_samples: int = 0  # below this many records in a window the rule does not fire
    degraded_threshold: float | None = None  # the runbook's relaxed threshold in degradation mode
    description: str = ""
    event_kind: str | None = None  # source "events": the EventRecord kind read (``value`` its detail key)
    origin: Literal["runbook", "addition"] = "runbook"  # one of the runbook's ten, or the harness's proposal

    def __post_init__(self) -> None:
        if self.window_s <= 0:
            raise RuleConfigError(f"rule {self.id}: window must be positive, not {self.window_s}")
        if self.aggregation in ("p95", "avg") and self.value is None:
            raise RuleConfigError(f"rule {self.id}: {self.aggregation} needs a value field")
        if self.aggregation in ("rate", "count") and self.match is None:
            raise RuleConfigError(f"rule {self.id}: {self.aggregation} needs a match")
        if self.min_samples < 0:
            raise RuleConfigError(f"rule {self.id}: min_samples must be >= 0")
        if (self.source == "events") != (self.event_kind is not None):
            raise RuleConfigError(f"rule {self.id}: an events rule, and only one, names its event_kind")

    def breached(self, value: float, degraded: bool = False) -> bool:
        threshold = self.threshold_for(degraded)
        return value > threshold if self.comparison == ">" else value < threshold

    def threshold_for(self, degraded: bool) -> float:
        if degraded and self.degraded_threshold is not None:
            return self.degraded_threshold
        return self.threshold

    @property
    def condition(self) -> str:
        return f"{self.metric} {self.aggregation} {self.comparison} {self.threshold:g}"


_MIN = 60.0
_RATE_LIMITED = Match(results=frozenset({"rate_limited", "quota_exhausted"}), statuses=frozenset({429}))

#: The runbook's relaxed thresholds in degradation mode.  ``error_rate`` (normal 5 %) has no rule of
#: its own among the ten; it is kept here so the report can show it.
DEGRADED_THRESHOLDS: Mapping[str, float] = {"latency_p95": 20.0, "error_rate": 0.10, "timeout_rate": 0.10}

DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        "latency.llm_p95",
        "llm_request_duration_seconds",
        "calls",
        "p95",
        ">",
        10.0,
        5 * _MIN,
        "warning",
        value="latency_s",
        min_samples=10,
        degraded_threshold=DEGRADED_THRESHOLDS["latency_p95"],
        description="LLM call latency p95 above 10 s",
    ),
    Rule(
        "latency.timeout_rate",
        "llm_timeout_rate",
        "calls",
        "rate",
        ">",
        0.05,
        5 * _MIN,
        "warning",
        match=Match(results=frozenset({"timeout"})),
        min_samples=20,
        degraded_threshold=DEGRADED_THRESHOLDS["timeout_rate"],
        description="more than 5 % of LLM calls time out",
    ),
    Rule(
        "latency.agent_p95",
        "agent_execution_duration_seconds",
        "requests",
        "p95",
        ">",
        15.0,
        5 * _MIN,
        "warning",
        value="agent_s",
        population="answered",
        min_samples=10,
        description="agent pipeline p95 above 15 s",
    ),
    Rule(
        "quality.confidence_avg",
        "parsing_confidence_avg",
        "requests",
        "avg",
        "<",
        0.7,
        5 * _MIN,
        "warning",
        value="confidence",
        population="with_value",
        min_samples=10,
        description="average parsing confidence below 0.7",
    ),
    Rule(
        "quality.json_error_rate",
        "parsing_json_error_rate",
        "requests",
        "rate",
        ">",
        0.10,
        5 * _MIN,
        "warning",
        match=Match(flag="json_error"),
        population="llm_attempted",
        min_samples=20,
        description="more than 10 % of LLM answers are not the JSON asked for",
    ),
    Rule(
        "quality.validation_fp_rate",
        "validation_false_positive_rate",
        "requests",
        "rate",
        ">",
        0.15,
        5 * _MIN,
        "warning",
        value="validation_fp",
        match=Match(flag="validation_fp"),
        population="with_value",
        min_samples=20,
        description="validation rejects more than 15 % of valid requests",
    ),
    Rule(
        "rate_limit.errors_5m",
        "llm_rate_limit_errors_total",
        "calls",
        "count",
        ">",
        10,
        5 * _MIN,
        "warning",
        match=_RATE_LIMITED,
        description="more than 10 rate-limit errors in 5 min",
    ),
    Rule(
        "rate_limit.429_rate",
        "llm_429_errors_rate",
        "calls",
        "rate",
        ">",
        0.01,
        5 * _MIN,
        "warning",
        match=_RATE_LIMITED,
        min_samples=20,
        description="more than 1 % of LLM calls get a 429",
    ),
    Rule(
        "down.connection_errors_1m",
        "llm_connection_errors_total",
        "calls",
        "count",
        ">",
        50,
        1 * _MIN,
        "critical",
        match=Match(results=frozenset({"connection_refused", "connection_reset"})),
        description="more than 50 connection errors in 1 min",
    ),
    Rule(
        "down.500_rate",
        "llm_500_errors_rate",
        "calls",
        "rate",
        ">",
        0.50,
        5 * _MIN,
        "critical",
        match=Match(results=frozenset({"server_error", "overloaded"})),
        min_samples=20,
        description="more than 50 % of LLM calls fail with a 5xx",
    ),
)

RULE_IDS: tuple[str, ...] = tuple(r.id for r in DEFAULT_RULES)

#: What the gateway's gold probe writes to its event log, one per probe (``gateway.core.gold_flow``).
GOLD_PROBE_EVENT = "gold_probe"

GOLD_PROBE_RULE = Rule(
    "quality.gold_probe_correctness",
    "parsing_gold_probe_correct_ratio",
    "events",
    "avg",
    "<",
    0.9,
    5 * _MIN,
    "warning",
    value="correct",
    # one probe every 15-30 s: a 5 min window holds 10-20; one wrong out of two is not a 50 % drop
    min_samples=5,
    description="fewer than 90 % of the gold probes (known prompts, sent down the users' path) answered right",
    event_kind=GOLD_PROBE_EVENT,
    origin="addition",
)

ADDED_RULES: tuple[Rule, ...] = (GOLD_PROBE_RULE,)
ALL_RULES: tuple[Rule, ...] = DEFAULT_RULES + ADDED_RULES

_OVERRIDABLE = {"threshold", "window", "window_s", "min_samples", "degraded_threshold", "severity"}


def apply_overrides(
    overrides: Mapping[str, Mapping[str, Any]] | None, rules: tuple[Rule, ...] = ALL_RULES
) -> tuple[Rule, ...]:
    """Rules with a scenario's overrides.

    E.g. ``{"latency.llm_p95": {"threshold": "8s", "window": "1m"}}``.
    """
    if not overrides:
        return rules
    if not isinstance(overrides, Mapping):
        raise RuleConfigError(f"rules overrides must be a mapping of rule id to fields, not {overrides!r}")
    by_id = {r.id: r for r in rules}
    for rule_id, fields_ in overrides.items():
        if rule_id not in by_id:
            near = difflib.get_close_matches(str(rule_id), list(by_id), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; known rules: {', '.join(by_id)}"
            raise RuleConfigError(f"rules.{rule_id}: unknown rule{hint}")
        if not isinstance(fields_, Mapping):
            raise RuleConfigError(f"rules.{rule_id}: expected a mapping of fields, not {fields_!r}")
        by_id[rule_id] = _override_one(by_id[rule_id], fields_)
    return tuple(by_id[r.id] for r in rules)


def _override_one(rule: Rule, fields_: Mapping[str, Any]) -> Rule:
    changes: dict[str, Any] = {}
    for key, raw in fields_.items():
        where = f"rules.{rule.id}.{key}"
        if key not in _OVERRIDABLE:
            near = difflib.get_close_matches(str(key), sorted(_OVERRIDABLE), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise RuleConfigError(f"{where}: not an overridable field{hint}")
        if key == "severity":
            if raw not in ("warning", "critical"):
                raise RuleConfigError(f"{where}: expected 'warning' or 'critical', not {raw!r}")
            changes["severity"] = raw
            continue
        try:
            value = parse_quantity(raw)
        except ValueError as exc:
            raise RuleConfigError(f"{where}: {exc}") from None
        if key in ("window", "window_s"):
            if value <= 0:
                raise RuleConfigError(f"{where}: a window must be positive, not {raw!r}")
            changes["window_s"] = value
        elif key == "min_samples":
            if value < 0 or not value.is_integer():
                raise RuleConfigError(f"{where}: expected a whole number >= 0, not {raw!r}")
            changes["min_samples"] = int(value)
        else:
            changes[key] = value
    return replace(rule, **changes)
