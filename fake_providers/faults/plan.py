"""Fault rules and plans: parsed, validated, scaled in time, written back.

A plan is what a scenario's ``faults:`` list and the fakes' control API carry
(contracts §4).  Durations in a parsed plan are real seconds: ``time_scale``
is already applied to every duration (at/until, latencies, retry_after, ttft,
stalls, baselines), and recorded in ``FaultPlan.time_scale`` because *rates*
(``quota`` rpm/tpm, ``stream`` tokens_per_s) stay per *scaled* minute/second:
the engine reads them against ``time_scale``.  ``to_json()`` writes the plan
as declared (durations divided back by ``time_scale``), which ``parse`` reads
back to an equal plan (exactly when ``time_scale`` is a power of two, else to
float rounding).  Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

# Importing the effect modules registers their kinds.
from fake_providers.faults import (  # noqa: F401
    bad_json,
    capacity,
    connection,
    http_error,
    latency,
    quality,
    quota,
    service,
    stream,
)
from fake_providers.faults.durations import parse_duration
from fake_providers.faults.latency import LatencyDist
from fake_providers.faults.problems import (
    FaultPlanError,
    check_keys,
    expect_mapping,
    join,
    read_bool,
    read_number,
    read_probability,
    read_str,
)
from fake_providers.faults.registry import Effect, effect_names, parse_effect

__all__ = ["PROVIDER_NAMES", "FaultPlan", "FaultPlanError", "FaultRule", "Match"]

#: The providers a rule may name; ``*`` is every provider.
PROVIDER_NAMES: tuple[str, ...] = ("qwen", "claude", "openai", "*")
_RULE_KEYS = ("at", "until", "provider", "probability", "match", "id")
_PLAN_KEYS = ("faults", "time_scale", "epoch", "baseline")


@dataclass(frozen=True, slots=True)
class Match:
    """Which requests a rule applies to; None matches anything."""

    stream: bool | None = None
    prompt_contains: str | None = None
    model: str | None = None

    @classmethod
    def parse(cls, value: object, where: str) -> Match:
        body = expect_mapping(value, where)
        check_keys(body, ("stream", "prompt_contains", "model"), where)
        stream_ = read_bool(body["stream"], join(where, "stream")) if "stream" in body else None
        contains = None
        if "prompt_contains" in body:
            contains = read_str(body["prompt_contains"], join(where, "prompt_contains"))
        model = read_str(body["model"], join(where, "model")) if "model" in body else None
        return cls(stream_, contains, model)

    def matches(self, model: str, is_stream: bool, prompt: str) -> bool:
        return (
            (self.stream is None or self.stream == is_stream)
            and (self.model is None or self.model == model)
            and (self.prompt_contains is None or self.prompt_contains in prompt)
        )

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.stream is not None:
            out["stream"] = self.stream
        if self.prompt_contains is not None:
            out["prompt_contains"] = self.prompt_contains
        if self.model is not None:
            out["model"] = self.model
        return out


@dataclass(frozen=True, slots=True)
class FaultRule:
    """One fault: an effect on one provider (or ``*``) during ``[at, until)``, with a probability."""

    effect: Effect
    at: float = 0.0
    until: float | None = None
    provider: str = "*"
    probability: float = 1.0
    match: Match | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        if self.provider not in PROVIDER_NAMES:
            raise ValueError(f"provider must be one of {PROVIDER_NAMES}, got {self.provider!r}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be within [0, 1], got {self.probability}")
        if self.until is not None and self.until <= self.at:
            raise ValueError(f"until ({self.until}) must be after at ({self.at})")

    @property
    def kind(self) -> str:
        return self.effect.kind

    def active(self, t: float) -> bool:
        return self.at <= t and (self.until is None or t < self.until)

    def applies_to(self, provider: str) -> bool:
        return self.provider == "*" or self.provider == provider

    @classmethod
    def parse(cls, value: object, where: str) -> FaultRule:
        body = expect_mapping(value, where)
        if "network" in body:
            raise FaultPlanError(
                join(where, "network"),
                "network faults are Toxiproxy toxics for the proxy, not fake-provider rules",
            )
        kinds = [k for k in body if k in effect_names()]
        allowed = (*_RULE_KEYS, *effect_names())
        check_keys(body, allowed, where)
        if len(kinds) != 1:
            what = "no effect" if not kinds else f"{len(kinds)} effects ({', '.join(kinds)})"
            names = ", ".join(effect_names())
            raise FaultPlanError(where, f"a rule needs exactly one effect of {names}; got {what}")
        kind = kinds[0]
        effect = parse_effect(kind, body[kind], join(where, kind))
        at = parse_duration(body.get("at", 0), join(where, "at"))
        until = None
        if body.get("until") is not None:
            until = parse_duration(body["until"], join(where, "until"))
            if until <= at:
                raise FaultPlanError(join(where, "until"), f"must be after at ({at} s), got {until} s")
        provider = read_str(body.get("provider", "*"), join(where, "provider"), PROVIDER_NAMES)
        probability = read_probability(body.get("probability", 1.0), join(where, "probability"))
        if effect.slot in ("quota", "capacity", "service") and probability != 1.0:
            raise FaultPlanError(
                join(where, "probability"), f"a {kind} rule acts on every request; probability must be 1"
            )
        match = Match.parse(body["match"], join(where, "match")) if body.get("match") is not None else None
        if effect.slot == "service" and match is not None:
            # one provider's slots serve all of its requests: a queue for some of them is no provider
            raise FaultPlanError(join(where, "match"), "a service rule models the whole provider; it takes no match")
        rule_id = read_str(body["id"], join(where, "id")) if "id" in body else None
        return cls(effect, at, until, provider, probability, match, rule_id)

    def scaled(self, factor: float) -> FaultRule:
        until = None if self.until is None else self.until * factor
        return replace(self, effect=self.effect.scaled(factor), at=self.at * factor, until=until)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"at": self.at}
        if self.until is not None:
            out["until"] = self.until
        out["provider"] = self.provider
        if self.probability != 1.0:
            out["probability"] = self.probability
        if self.match is not None:
            out["match"] = self.match.to_json()
        if self.id is not None:
            out["id"] = self.id
        out[self.kind] = self.effect.to_json()
        return out


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Rules in plan order, plus how to read them in time.

    ``epoch`` is the CLOCK_MONOTONIC second of the plan's t = 0 (None: when it
    is applied).  ``baseline`` overrides the no-fault latency per provider
    (``*`` for all).
    """

    rules: tuple[FaultRule, ...] = ()
    time_scale: float = 1.0
    epoch: float | None = None
    baseline: tuple[tuple[str, LatencyDist], ...] = field(default=())

    def __post_init__(self) -> None:
        if not (math.isfinite(self.time_scale) and self.time_scale > 0):
            raise ValueError(f"time_scale must be > 0, got {self.time_scale}")

    @classmethod
    def parse(cls, obj: object, *, skip_network: bool = False) -> FaultPlan:
        """A plan from a control-API body (a mapping with ``faults``) or a bare list of rules.

        ``skip_network`` drops a scenario's ``network:`` entries (they go to the proxy) instead of
        rejecting them.  Raises :class:`FaultPlanError` naming the exact field.
        """
        if isinstance(obj, list):
            obj = {"faults": obj}
        body = expect_mapping(obj, "")
        check_keys(body, _PLAN_KEYS, "")
        raw = body.get("faults", [])
        if not isinstance(raw, list):
            raise FaultPlanError("faults", "expected a list of fault rules")
        rules = tuple(
            FaultRule.parse(item, f"faults[{i}]")
            for i, item in enumerate(raw)
            if not (skip_network and isinstance(item, Mapping) and "network" in item)
        )
        # Past 1000x either way a replay is no longer the incident; an epoch is a CLOCK_MONOTONIC reading.
        time_scale = read_number(body.get("time_scale", 1.0), "time_scale", minimum=0.001, maximum=1000.0)
        epoch = None
        if body.get("epoch") is not None:
            epoch = read_number(body["epoch"], "epoch", minimum=0.0, maximum=1e12)
        baseline = _parse_baseline(body.get("baseline"), "baseline")
        return cls(rules, 1.0, epoch, baseline).scaled(time_scale)

    def scaled(self, time_scale: float) -> FaultPlan:
        """Every duration multiplied by ``time_scale``; rates stay per scaled minute/second."""
        if not (math.isfinite(time_scale) and time_scale > 0):
            raise ValueError(f"time_scale must be > 0, got {time_scale}")
        return FaultPlan(
            tuple(rule.scaled(time_scale) for rule in self.rules),
            self.time_scale * time_scale,
            self.epoch,
            tuple((name, dist.scaled(time_scale)) for name, dist in self.baseline),
        )

    def baseline_for(self, provider: str) -> LatencyDist | None:
        found = dict(self.baseline)
        return found.get(provider, found.get("*"))

    def to_json(self) -> dict[str, object]:
        declared = self.scaled(1.0 / self.time_scale)
        out: dict[str, object] = {
            "faults": [rule.to_json() for rule in declared.rules],
            "time_scale": self.time_scale,
        }
        if self.epoch is not None:
            out["epoch"] = self.epoch
        if self.baseline:
            out["baseline"] = {name: dist.to_json() for name, dist in declared.baseline}
        return out


def _parse_baseline(value: object, where: str) -> tuple[tuple[str, LatencyDist], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping) or "dist" in value:
        return (("*", LatencyDist.parse(value, where)),)
    body = expect_mapping(value, where)
    check_keys(body, PROVIDER_NAMES, where)
    return tuple((name, LatencyDist.parse(spec, join(where, name))) for name, spec in body.items())
