"""``time_scale`` applied: a scenario in run seconds — a change of the unit of time.

With ``time_scale: s`` every duration is multiplied by s and every rate by 1/s
(DESIGN.md, "Time compression"), so everything dimensionless is the incident's:
requests, errors and calls per window, quota utilisation, concurrency. This
module is the one place that knows which figures are which:

- durations: ``duration``, stage ends, fault/network windows, the durations
  inside effects, toxic latencies, admin times, phases, the client timeout, the
  stack's duration keys and any stack text written with a time unit ("45s");
- rates: load stage rates, quota ``rpm``/``tpm`` (the fakes' and the stack's
  ``providers.*.rpm/tpm``), streaming ``tokens_per_s``, bandwidth toxics.

Sizes, counts and probabilities do not change. Capacity faults are counts
(slots, queue); their service time is learned from the (scaled) latencies.
Fault rules go out to the fakes in run seconds and run rates, with
``time_scale: 1.0``. Quotas are written per minute but enforced per window:
:func:`run_per_minute` picks the whole per-minute figure whose compressed window
holds exactly as many requests (or tokens) as the scenario's window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from scenarios.actions import AdminAction
from scenarios.faults import FaultRule
from scenarios.frozen import freeze, thaw
from scenarios.load import Load, Stage
from scenarios.network import TOXICS, NetworkFault
from scenarios.phases import Phase
from scenarios.vocabulary import FAULT_EFFECT_DURATION_KEYS
from units.durations import ValueSyntaxError, parse_duration
from units.quantity import parse_quantity

__all__ = [
    "STACK_DURATION_KEYS",
    "STACK_RATE_KEYS",
    "run_per_minute",
    "run_rate",
    "scale_action",
    "scale_baseline",
    "scale_load",
    "scale_network",
    "scale_phase",
    "scale_rule",
    "scale_stack",
    "window_holds",
]

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
#: Stack keys under ``providers.<name>`` that are rates per minute (the gateway's own rate limit).
STACK_RATE_KEYS: frozenset[str] = frozenset({"rpm", "tpm"})
#: A quota's window when the rule does not say (the providers' per-minute limits).
_MINUTE = 60.0


def run_rate(rate: float, k: float) -> float:
    """A rate per scenario second as a rate per run second (``time_scale`` ``k``)."""
    return rate / k


def window_holds(per_minute: float, window_s: float) -> int:
    """How many requests (or tokens) a window of ``window_s`` holds under a per-minute limit.

    The fakes' ``QuotaBuckets(per_minute=True)`` and the gateway's limiter both round this way.
    """
    return max(1, round(per_minute * window_s / _MINUTE))


def run_per_minute(per_minute: int, window_s: float, k: float) -> int:
    """The per-minute limit to enforce in run time so that the compressed window holds what the real one does.

    ``per_minute`` and ``window_s`` are in scenario units; the window is enforced as ``window_s * k`` run
    seconds. ``per_minute / k`` is the rate in run units; it is rounded to the whole number the fakes and
    the gateway accept, choosing, among the nearest, one whose window holds exactly the scenario's count.
    (That is always possible while ``window_s * k`` is at most a minute; past that, the nearest is used.)
    """
    if k == 1.0:
        return per_minute
    held = window_holds(per_minute, window_s)
    natural = max(1, round(per_minute / k))
    exact = held * _MINUTE / (window_s * k)
    for candidate in (natural, round(exact), math.floor(exact), math.ceil(exact)):
        if candidate >= 1 and window_holds(candidate, window_s * k) == held:
            return int(candidate)
    return natural


def _seconds(value: Any) -> float | None:
    try:
        return parse_duration(value, "")
    except ValueSyntaxError:
        return None


def _scale_stack(value: Any, k: float, key: str | None = None) -> Any:
    if isinstance(value, Mapping):
        out = {name: _scale_stack(item, k, name) for name, item in value.items()}
        if key == "providers":
            for name, conf in out.items():
                if isinstance(conf, dict):
                    out[name] = _scale_stack_rates(conf, k)
        return out
    if isinstance(value, tuple | list):
        return [_scale_stack(item, k, key) for item in value]
    if (key in STACK_DURATION_KEYS or _has_time_unit(value)) and not isinstance(value, bool):
        seconds = _seconds(value)
        if seconds is not None:
            return seconds * k
    return value


def _has_time_unit(value: Any) -> bool:
    """Text such as "45s" under a key not known to be a time is one still (a plain "45" is not)."""
    if not isinstance(value, str):
        return False
    try:
        return parse_quantity(value, "").kind == "duration"
    except ValueSyntaxError:
        return False


def _scale_stack_rates(provider: dict[str, Any], k: float) -> dict[str, Any]:
    # the gateway's limiter window is its fixed minute, compressed with the run
    for key in STACK_RATE_KEYS & provider.keys():
        value = provider[key]
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            provider[key] = run_per_minute(value, _MINUTE, k)
    return provider


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


def scale_stack(stack: Mapping[str, Any], k: float) -> Mapping[str, Any]:
    """The stack overrides in run units: duration keys (and any text with a time unit) × k, quotas ÷ k."""
    scaled: Mapping[str, Any] = freeze(_scale_stack(stack, k))
    return scaled


def scale_rule(rule: FaultRule, k: float) -> FaultRule:
    """A provider-side fault rule in run units, as the fakes receive it (their plan's ``time_scale`` 1.0)."""
    raw: dict[str, Any] = thaw(rule.rule)
    raw["at"] = rule.at_s * k
    if rule.until_s is not None:
        raw["until"] = rule.until_s * k
    keys = FAULT_EFFECT_DURATION_KEYS.get(rule.effect)
    if keys is not None:
        raw[rule.effect] = _scale_effect(raw[rule.effect], keys, k)
    if rule.effect == "quota" and isinstance(raw.get("quota"), dict):
        raw["quota"] = _scale_quota(raw["quota"], k)
    if rule.effect in ("stream", "service") and isinstance(raw.get(rule.effect), dict):
        rate = raw[rule.effect].get("tokens_per_s")
        if isinstance(rate, int | float) and not isinstance(rate, bool) and rate > 0:
            raw[rule.effect]["tokens_per_s"] = run_rate(rate, k)
    return replace(rule, at_s=rule.at_s * k, until_s=_until(rule.until_s, k), rule=freeze(raw))


def _scale_quota(quota: dict[str, Any], k: float) -> dict[str, Any]:
    """A quota's window compresses by ``k``; its per-minute limits grow by 1/k, so the window holds the same."""
    window = _seconds(quota.get("window", _MINUTE))
    if window is None or not window > 0:
        return quota   # as written: the fakes' parser names what is wrong with it
    out = dict(quota)
    for key in ("rpm", "tpm"):
        value = quota.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            out[key] = run_per_minute(value, window, k)
    out["window"] = window * k
    return out


def _scale_attribute(unit: str, value: float, k: float) -> float:
    if unit == "duration":
        return value * k
    if unit == "rate_bytes":
        return run_rate(value, k)
    return value


def scale_network(net: NetworkFault, k: float) -> NetworkFault:
    specs = TOXICS[net.toxic]
    attributes = {key: _scale_attribute(specs[key].unit, value, k) for key, value in net.attributes.items()}
    return replace(net, at_s=net.at_s * k, until_s=_until(net.until_s, k), attributes=freeze(attributes))


def scale_load(load: Load, k: float) -> Load:
    """Stage ends and the client timeout × k, stage rates ÷ k: the same requests per scenario window."""
    stages = tuple(Stage(stage.until_s * k, run_rate(stage.rate, k)) for stage in load.stages)
    return replace(load, stages=stages, client_timeout_s=load.client_timeout_s * k)


def scale_action(action: AdminAction, k: float) -> AdminAction:
    return replace(action, at_s=action.at_s * k)


def scale_phase(phase: Phase, k: float) -> Phase:
    return replace(phase, at_s=phase.at_s * k, until_s=_until(phase.until_s, k))


def scale_baseline(value: Any, k: float) -> Any:
    """The fakes' no-fault latency (a duration or a distribution) in run units."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return freeze(_scale_effect(value, FAULT_EFFECT_DURATION_KEYS["latency"], k))
    return _scaled_or_same(value, k)
