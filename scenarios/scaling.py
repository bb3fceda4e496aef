"""``time_scale`` applied: a scenario in run seconds.

Every duration is multiplied by the scale; rates, quotas, sizes, counts and
probabilities are not (see ``scenarios.schema``). Fault rules are rewritten
for the fakes: ``at``/``until`` and the durations inside their effects become
scaled numbers of seconds, so the plan goes out with ``time_scale: 1.0``. Stack
overrides get the same treatment for the keys the gateway reads as durations
and for any text written with a time unit ("45s").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from scenarios.build import FAULT_EFFECT_DURATION_KEYS
from scenarios.durations import ValueSyntaxError, parse_duration
from scenarios.frozen import freeze, thaw
from scenarios.network import TOXICS, NetworkFault
from scenarios.schema import AdminAction, FaultRule, Load, Phase, Scenario, Stage

__all__ = ["STACK_DURATION_KEYS", "scale_scenario"]

#: Stack keys whose numbers are seconds (the gateway's config; plain numbers under other keys are not times).
STACK_DURATION_KEYS: frozenset[str] = frozenset(
    {
        "timeout",
        "deadline",
        "recovery_timeout",
        "ttl",
        "max_wait",
        "probe_interval",
        "interval",
        "window",
        "sampling_duration",
        "slow_call_duration",
        "cooldown",
        "base_delay",
        "max_delay",
        "backoff_base",
        "backoff_max",
        "retry_after_cap",
        "break_duration",
    }
)
_UNIT_TEXT = re.compile(r"\s*(\d+(\.\d*)?(h|ms|us|µs|m|s))+\s*")


def _seconds(value: Any) -> float | None:
    try:
        return parse_duration(value, "")
    except ValueSyntaxError:
        return None


def _scale_stack(value: Any, k: float, key: str | None = None) -> Any:
    if isinstance(value, Mapping):
        return {name: _scale_stack(item, k, name) for name, item in value.items()}
    if isinstance(value, tuple | list):
        return [_scale_stack(item, k, key) for item in value]
    is_time = key in STACK_DURATION_KEYS or (isinstance(value, str) and _UNIT_TEXT.fullmatch(value))
    if is_time and not isinstance(value, bool):
        seconds = _seconds(value)
        if seconds is not None:
            return seconds * k
    return value


def _scale_effect(value: Any, keys: frozenset[str], k: float) -> Any:
    if isinstance(value, Mapping):
        out = {}
        for name, item in value.items():
            if isinstance(item, Mapping):
                out[name] = _scale_effect(item, keys, k)
            elif name in keys and isinstance(item, list | tuple):
                out[name] = [_scaled_or_same(one, k) for one in item]
            elif name in keys:
                out[name] = _scaled_or_same(item, k)
            else:
                out[name] = item
        return out
    return value


def _scaled_or_same(value: Any, k: float) -> Any:
    seconds = None if isinstance(value, bool) else _seconds(value)
    return value if seconds is None else seconds * k


def _until(value: float | None, k: float) -> float | None:
    return None if value is None else value * k


def _scale_rule(rule: FaultRule, k: float) -> FaultRule:
    raw: dict[str, Any] = thaw(rule.rule)
    raw["at"] = rule.at_s * k
    if rule.until_s is not None:
        raw["until"] = rule.until_s * k
    keys = FAULT_EFFECT_DURATION_KEYS.get(rule.effect)
    if keys is not None:
        raw[rule.effect] = _scale_effect(raw[rule.effect], keys, k)
    if rule.effect == "quota" and isinstance(raw.get("quota"), dict):
        # A quota's window is a duration (60 s unless written): it compresses with the run, while
        # rpm/tpm stay rates, so the fakes hold rpm * window / 60 requests per (scaled) window.
        window = _seconds(raw["quota"].get("window", 60.0))
        raw["quota"]["window"] = (60.0 if window is None else window) * k
    return replace(rule, at_s=rule.at_s * k, until_s=_until(rule.until_s, k), rule=freeze(raw))


def _scale_network(net: NetworkFault, k: float) -> NetworkFault:
    specs = TOXICS[net.toxic]
    attributes = {
        key: value * k if specs[key].unit == "duration" else value for key, value in net.attributes.items()
    }
    return replace(net, at_s=net.at_s * k, until_s=_until(net.until_s, k), attributes=freeze(attributes))


def scale_scenario(scenario: Scenario) -> Scenario:
    """``scenario`` with every duration multiplied by its ``time_scale``; ``time_scale`` becomes 1.0."""
    k = scenario.time_scale  # 1.0 still rewrites fault rules and stack durations into plain seconds
    load: Load = replace(
        scenario.load,
        stages=tuple(Stage(stage.until_s * k, stage.rate) for stage in scenario.load.stages),
        client_timeout_s=scenario.load.client_timeout_s * k,
    )
    return replace(
        scenario,
        time_scale=1.0,
        applied_scale=scenario.applied_scale * k,
        duration_s=scenario.duration_s * k,
        load=load,
        stack=freeze(_scale_stack(scenario.stack, k)),
        faults=tuple(_scale_rule(rule, k) for rule in scenario.faults),
        network=tuple(_scale_network(net, k) for net in scenario.network),
        actions=tuple(
            AdminAction(a.at_s * k, a.provider, a.conservation_mode, a.degraded_mode, a.line)
            for a in scenario.actions
        ),
        phases=tuple(Phase(p.name, p.at_s * k, p.until_s * k) for p in scenario.phases),
        baseline=_scale_baseline(scenario.baseline, k),
    )


def _scale_baseline(value: Any, k: float) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return freeze(_scale_effect(value, FAULT_EFFECT_DURATION_KEYS["latency"], k))
    return _scaled_or_same(value, k)
