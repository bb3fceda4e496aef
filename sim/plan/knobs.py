"""The knobs a plan turns, each a check of its value and a change to the base scenario's plain mapping.

A point's scenario is the base scenario's YAML mapping with its knobs applied,
then validated by the scenario loader like any scenario file; so a knob is
never a second definition of what a scenario means, only an edit of one.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from typing import Any

from sim.service_flag import ServiceFlagError, parse_service_flag
from units.durations import ValueSyntaxError, parse_duration, parse_rate

__all__ = ["KNOB_NAMES", "PROVIDERS", "KnobError", "apply_knobs", "check_knob"]

PROVIDERS = ("qwen", "claude", "openai")
KNOB_NAMES = ("traffic", "duration", "quota.P", "weights", "services.P", "outage", "timeout", "retries",
              "cache", "distinct_prompts", "stack")
#: one simulated request per ~5 µs of wall time is far beyond the twin: a bigger multiplier is a typo
_MAX_TRAFFIC = 1000.0
_OUTAGE_KINDS = ("refuse", "reset", "hang")


class KnobError(ValueError):
    def __init__(self, message: str, *subpath: str | int) -> None:
        super().__init__(message)
        self.subpath = subpath


def _number(value: Any, what: str, low: float, *, low_open: bool = False, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise KnobError(f"{what}: expected a number, got {value!r}")
    if value < low or (low_open and value == low) or value > high:
        bound = f"> {low:g}" if low_open else f">= {low:g}"
        raise KnobError(f"{what}: must be {bound}" + (f" and <= {high:g}" if high < math.inf else "")
                        + f", got {value!r}")
    return float(value)


def _duration(value: Any, what: str) -> float:
    try:
        seconds = parse_duration(value, what)
    except ValueSyntaxError as exc:
        raise KnobError(str(exc)) from None
    if seconds <= 0:
        raise KnobError(f"{what}: must be a positive duration, got {value!r}")
    return seconds


def _provider(value: Any, what: str) -> str:
    if value not in PROVIDERS:
        raise KnobError(f"{what}: unknown provider {value!r}; expected one of {', '.join(PROVIDERS)}")
    return str(value)


def _quota(value: Any) -> dict[str, float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = {"rpm": value}
    if not isinstance(value, dict) or not value or set(value) - {"rpm", "tpm"}:
        raise KnobError(f"expected requests per minute (a number) or {{rpm: N, tpm: N}}, got {value!r}")
    out: dict[str, float] = {}
    for key, raw in value.items():
        number = _number(raw, key, 0.0)
        if number < 1 or number != int(number):
            raise KnobError(f"{key}: a quota is a whole number >= 1, got {raw!r} (zero quota: no request could "
                            "be answered; to leave a provider out, give it weight 0)", key)
        out[key] = int(number)
    return out


def _weights(value: Any) -> dict[str, float]:
    if not isinstance(value, dict) or not value:
        raise KnobError(f"expected a mapping provider: weight, got {value!r}")
    out = {_provider(k, "weights"): _number(v, f"weights.{k}", 0.0) for k, v in value.items()}
    if sum(out.values()) <= 0:
        raise KnobError("weights: at least one provider needs a weight above 0")
    return out


def _service(value: Any) -> str:
    if isinstance(value, dict):
        value = ",".join(f"{k}={v}" for k, v in value.items())
    if not isinstance(value, str):
        raise KnobError(f"expected 'concurrency=N[,queue=N,tokens_per_s=X,ttft=D]', got {value!r}")
    try:
        parse_service_flag(f"qwen:{value}")
    except (ServiceFlagError, ValueError) as exc:
        raise KnobError(str(exc).replace("--service 'qwen:", "'")) from None
    return value


def _outage(value: Any) -> dict[str, Any] | None:
    if value is None or value == "none":
        return None
    if not isinstance(value, dict) or set(value) - {"provider", "at", "for", "kind"} or "provider" not in value:
        raise KnobError(f"expected none or {{provider: P, at: D, for: D, kind: refuse|reset|hang}}, got {value!r}")
    kind = value.get("kind", "refuse")
    if kind not in _OUTAGE_KINDS:
        raise KnobError(f"kind: expected one of {', '.join(_OUTAGE_KINDS)}, got {kind!r}", "kind")
    try:
        at = 0.0 if "at" not in value else parse_duration(value["at"], "at")
    except ValueSyntaxError as exc:
        raise KnobError(str(exc), "at") from None
    return {"provider": _provider(value["provider"], "provider"), "at": at,
            "for": _duration(value["for"], "for") if "for" in value else None, "kind": kind}


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise KnobError(f"expected a mapping of gateway settings, got {value!r}")
    return value


def _check(name: str) -> Callable[[Any], Any]:
    head = name.partition(".")[0]
    checks: dict[str, Callable[[Any], Any]] = {
        "traffic": lambda v: _number(v, "traffic", 0.0, low_open=True, high=_MAX_TRAFFIC),
        "duration": lambda v: _duration(v, "duration"),
        "quota": _quota,
        "weights": _weights,
        "services": _service,
        "outage": _outage,
        "timeout": lambda v: _duration(v, "timeout"),
        "retries": _mapping,
        "cache": _mapping,
        "distinct_prompts": lambda v: int(_number(v, "distinct_prompts", 1.0)),
        "stack": _mapping,
    }
    return checks[head]


def check_knob(name: str, value: Any) -> Any:
    """The knob's value, normalised; ``KnobError`` says what is wrong with it."""
    head, _, tail = name.partition(".")
    if head in ("quota", "services"):
        _provider(tail, name)
    return _check(name)(value)


def _scale_rate(value: Any, factor: float) -> float:
    return parse_rate(value, "load.rate") * factor


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def apply_knobs(base: Mapping[str, Any], knobs: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """The base scenario mapping with ``knobs`` applied (duration first: the others speak in its seconds).

    A plan's point judges capacity, not the scenario's own expectations: those are dropped.
    """
    doc: dict[str, Any] = copy.deepcopy(dict(base))
    doc["expect"] = []
    doc.pop("phases", None)   # derived from the faults again, which knobs may have added
    ordered = sorted(knobs, key=lambda kv: kv[0] != "duration")
    for name, value in ordered:
        _APPLY[name.partition(".")[0]](doc, name, value)
    return doc


def _set_duration(doc: dict[str, Any], _name: str, seconds: float) -> None:
    """Stretch the load's stages, the faults and the actions to the new window, keeping their proportions."""
    old = parse_duration(doc.get("duration", seconds), "duration")
    factor = seconds / old
    doc["duration"] = f"{seconds:g}s"
    load = doc.setdefault("load", {})
    for stage in load.get("stages") or ():
        stage["until"] = f"{parse_duration(stage['until'], 'until') * factor:g}s"
    for section in ("faults", "network", "actions"):
        for item in doc.get(section) or ():
            for key in ("at", "until"):
                if isinstance(item, dict) and key in item:
                    item[key] = f"{parse_duration(item[key], key) * factor:g}s"


def _traffic(doc: dict[str, Any], _name: str, factor: float) -> None:
    load = doc.setdefault("load", {})
    if "rate" in load:
        load["rate"] = _scale_rate(load["rate"], factor)
    for stage in load.get("stages") or ():
        stage["rate"] = _scale_rate(stage["rate"], factor)


def _providers(doc: dict[str, Any]) -> dict[str, Any]:
    stack = doc.setdefault("stack", {})
    providers: dict[str, Any] = stack.setdefault("providers", {})
    return providers


def _quota_knob(doc: dict[str, Any], name: str, quota: dict[str, float]) -> None:
    """The provider's real quota for the whole run, and the gateway's limiter told the truth about it."""
    provider = name.partition(".")[2]
    settings = _providers(doc).setdefault(provider, {})
    settings.update({k: v for k, v in quota.items()})
    faults = doc.setdefault("faults", [])
    faults.append({"at": "0s", "provider": provider, "label": f"{provider} quota (plan)", "quota": dict(quota)})


def _weights_knob(doc: dict[str, Any], _name: str, weights: dict[str, float]) -> None:
    providers = _providers(doc)
    for provider, weight in weights.items():
        providers.setdefault(provider, {})["weight"] = weight


def _outage_knob(doc: dict[str, Any], _name: str, outage: dict[str, Any] | None) -> None:
    if outage is None:
        return
    fault: dict[str, Any] = {"at": f"{outage['at']:g}s", "provider": outage["provider"],
                             "label": f"{outage['provider']} outage (plan)", "connection": outage["kind"]}
    if outage["for"] is not None:
        fault["until"] = f"{outage['at'] + outage['for']:g}s"
    doc.setdefault("faults", []).append(fault)


def _stack_part(key: str | None) -> Callable[[dict[str, Any], str, Any], None]:
    def apply(doc: dict[str, Any], _name: str, value: Any) -> None:
        stack = doc.setdefault("stack", {})
        _merge(stack, {key: value} if key else value)
    return apply


def _prompts(doc: dict[str, Any], _name: str, n: int) -> None:
    load = doc.setdefault("load", {})
    prompts = load.get("prompts", "appointments-es")
    load["prompts"] = {"corpus": prompts, "n": n} if isinstance(prompts, str) else {**prompts, "n": n}


def _services(_doc: dict[str, Any], _name: str, _value: str) -> None:
    """The service model is the twin's, not the scenario's: the point runner passes it on."""


_APPLY: dict[str, Callable[[dict[str, Any], str, Any], None]] = {
    "traffic": _traffic, "duration": _set_duration, "quota": _quota_knob, "weights": _weights_knob,
    "services": _services, "outage": _outage_knob, "timeout": _stack_part("timeout"),
    "retries": _stack_part("retries"), "cache": _stack_part("cache"), "distinct_prompts": _prompts,
    "stack": _stack_part(None),
}
