"""What people type during a game day, parsed and checked before anything changes.

``inject`` takes one entry in the grammar of a scenario's ``faults:`` or ``network:`` lists (YAML or
JSON), or the short flag form (``--provider qwen --latency lognormal:8s,12s --for 5m``), which is turned
into that same entry.  The entry is validated and scaled by the scenario loader itself, inside a
one-entry scenario, so an inject accepts exactly what a scenario file accepts and errors name the
field as a scenario's would.  Times in an inject (``at``, ``until``, ``for``) count from the moment it is
applied.  ``action`` flags become the gateway's ``PUT /admin/config`` body.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from fake_providers.faults.plan import FaultPlan, FaultPlanError
from gateway.outcomes import PROVIDERS
from scenarios.loader import load_scenario_text
from scenarios.network import NetworkFault
from scenarios.problems import ScenarioError
from units.durations import ValueSyntaxError, parse_duration

__all__ = [
    "ActError",
    "Injection",
    "action_body",
    "check_note",
    "check_who",
    "flags_to_entry",
    "parse_injection",
    "parse_snippet",
]

#: how far ahead an inject may reach (its one-entry scenario must hold it)
_HORIZON = "1000h"
BREAKER_ACTIONS = ("force_open", "disable", "reset")
_TOGGLES = {"on": True, "true": True, "off": False, "false": False, "auto": None}


class ActError(ValueError):
    """Bad input to an act; the message names the field and what is wrong.  Nothing was changed."""


@dataclass(frozen=True, slots=True)
class Injection:
    """One validated inject, in run units relative to the moment it is applied."""

    kind: str                             # "fault" (a fakes' plan rule) | "network" (a toxic / proxy down)
    provider: str
    label: str
    at_s: float                           # run seconds from now
    until_s: float | None                 # run seconds from now; None: until cleared
    rule: dict[str, Any] | None           # kind "fault": the plan entry (at/until to be made absolute)
    network: NetworkFault | None          # kind "network"
    entry: dict[str, Any]                 # as typed (scenario units), for the timeline


def parse_snippet(text: str) -> dict[str, Any]:
    """A YAML or JSON mapping (``- `` list item form accepted: a line copied from a scenario)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise ActError(f"inject: not YAML or JSON{where}: {getattr(exc, 'problem', None) or exc}") from None
    if isinstance(doc, list) and len(doc) == 1:
        doc = doc[0]
    if not isinstance(doc, dict):
        raise ActError(f"inject: expected one mapping such as {{provider: qwen, error: {{status: 503}}}}, "
                       f"got {type(doc).__name__}")
    return {str(k): v for k, v in doc.items()}


def _strip(problem_path: str) -> str:
    return re.sub(r"^(faults|network)\[0\]\.?", "", problem_path)


def parse_injection(entry: dict[str, Any], time_scale: float) -> Injection:
    """Validate ``entry`` as a scenario would and return it scaled to run units."""
    raw = dict(entry)
    if "for" in raw:
        if "until" in raw:
            raise ActError("inject: give 'for' or 'until', not both")
        try:
            at = parse_duration(raw.get("at", 0), "at")
            span = parse_duration(raw.pop("for"), "for")
        except ValueSyntaxError as exc:
            raise ActError(f"inject: {exc}") from None
        if span <= 0:
            raise ActError(f"inject: for: must be a positive duration, got {span:g} s")
        raw["until"] = at + span
    section = "network" if "toxic" in raw else "faults"
    doc = {"name": "inject", "duration": _HORIZON, "time_scale": time_scale,
           "load": {"stages": [{"until": _HORIZON, "rate": "1/s"}]}, section: [raw]}
    try:
        scenario = load_scenario_text(json.dumps(doc, ensure_ascii=False, default=str), "inject")
    except ScenarioError as exc:
        lines = [f"inject: {_strip(p.field_path) or '(entry)'}: {p.message}" for p in exc.problems]
        raise ActError("\n".join(lines)) from None
    run = scenario.scaled()
    if run.faults:
        rule = run.faults[0]
        plan_entry = rule.plan_entry()
        try:   # the fakes' own parser has the last word on an effect's values (e.g. an HTTP status)
            FaultPlan.parse({"faults": [plan_entry], "time_scale": 1.0})
        except FaultPlanError as exc:
            raise ActError(f"inject: {_strip(exc.field_path or '')}: {exc.message}") from None
        return Injection("fault", rule.provider, rule.label, rule.at_s, rule.until_s, plan_entry, None, entry)
    net = run.network[0]
    return Injection("network", net.provider, net.label, net.at_s, net.until_s, None, net, entry)


def _dist(text: str) -> dict[str, Any]:
    """``3s``, ``constant:3s``, ``uniform:1s,2s``, ``normal:2s,300ms``, ``lognormal:8s,12s``, ``empirical:1s,2s``."""
    name, sep, args = text.partition(":")
    if not sep:
        return {"dist": "constant", "value": text}
    values = [v.strip() for v in args.split(",") if v.strip()]
    shapes = {"constant": ("value",), "uniform": ("min", "max"), "normal": ("mean", "std"),
              "lognormal": ("p50", "p95")}
    if name == "empirical":
        return {"dist": "empirical", "values": values}
    keys = shapes.get(name)
    if keys is None:
        raise ActError(f"--latency: unknown distribution {name!r}; expected one of "
                       f"{', '.join([*shapes, 'empirical'])}")
    if len(values) != len(keys):
        raise ActError(f"--latency {name}: expected {len(keys)} value(s) ({', '.join(keys)}), got {len(values)}")
    return {"dist": name, **dict(zip(keys, values, strict=True))}


def _pairs(flag: str, text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in (p for p in text.split(",") if p.strip()):
        key, sep, value = item.partition("=")
        if not sep:
            raise ActError(f"{flag}: expected KEY=VALUE[,KEY=VALUE], got {item!r}")
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value.strip()
    return out


def flags_to_entry(*, provider: str | None, latency: str | None = None, error: str | None = None,
                   connection: str | None = None, bad_json: str | None = None, quality: str | None = None,
                   quota: str | None = None, toxic: str | None = None, down: bool = False,
                   probability: float | None = None, after: str | None = None, for_: str | None = None,
                   label: str | None = None) -> dict[str, Any]:
    """The short flag form as a scenario entry (one effect, or one network toxic)."""
    if provider is None:
        raise ActError("inject: --provider is required (qwen, claude, openai or '*')")
    effects: dict[str, Any] = {}
    if latency is not None and toxic is None:
        effects["latency"] = _dist(latency)
    if error is not None:
        status, _, code = error.partition(":")
        if not status.isdigit():
            raise ActError(f"--error: expected STATUS[:CODE] such as 503 or 429:insufficient_quota, got {error!r}")
        effects["error"] = {"status": int(status), **({"code": code} if code else {})}
    if connection is not None:
        effects["connection"] = connection
    if bad_json is not None:
        effects["bad_json"] = bad_json
    if quality is not None:
        effects["quality"] = _pairs("--quality", quality)
    if quota is not None:
        effects["quota"] = _pairs("--quota", quota)
    entry: dict[str, Any] = {"provider": provider}
    if toxic is not None or down:
        if effects:
            raise ActError("inject: a network toxic cannot be combined with " + ", ".join(f"--{k}" for k in effects))
        entry["toxic"] = "down" if down else toxic
        if latency is not None and not down:
            value, _, jitter = latency.partition(",")
            entry["latency"] = value
            if jitter:
                entry["jitter"] = jitter
    elif len(effects) != 1:
        found = ", ".join(f"--{k.replace('_', '-')}" for k in effects) or "none"
        raise ActError("inject: give exactly one effect (--latency, --error, --connection, --bad-json, --quality, "
                       f"--quota, --toxic or --down); found: {found}")
    else:
        entry.update(effects)
        if probability is not None:
            entry["probability"] = probability
    if after is not None:
        entry["at"] = after
    if for_ is not None:
        entry["for"] = for_
    if label is not None:
        entry["label"] = label
    return entry


def action_body(*, provider: str | None = None, conservation: str | None = None, degraded: str | None = None,
                breakers: list[str] | None = None) -> dict[str, Any]:
    """The ``PUT /admin/config`` body of an ``llmdrill action``."""
    body: dict[str, Any] = {}
    if provider is not None:
        if provider != "auto" and provider not in PROVIDERS:
            raise ActError(f"--provider: unknown provider {provider!r}; expected auto or one of {', '.join(PROVIDERS)}")
        body["provider"] = provider
    for flag, key, value in (("--conservation", "conservation_mode", conservation),
                             ("--degraded", "degraded_mode", degraded)):
        if value is None:
            continue
        if value.lower() not in _TOGGLES:
            raise ActError(f"{flag}: expected on, off or auto, got {value!r}")
        body[key] = _TOGGLES[value.lower()]
    if breakers:
        forced: dict[str, str] = {}
        for item in breakers:
            name, sep, what = item.partition("=")
            if not sep or name not in PROVIDERS or what not in BREAKER_ACTIONS:
                raise ActError(f"--breaker: expected PROVIDER=ACTION with PROVIDER one of {', '.join(PROVIDERS)} "
                               f"and ACTION one of {', '.join(BREAKER_ACTIONS)}; got {item!r}")
            forced[name] = what
        body["breakers"] = forced
    if not body:
        raise ActError("action: nothing to do; give --provider, --conservation, --degraded or --breaker")
    return body


def check_note(text: str) -> str:
    text = text.strip()
    if not text:
        raise ActError("note: the note is empty")
    if len(text) > 4000:
        raise ActError(f"note: {len(text)} characters; keep a note under 4000")
    return text


def check_who(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or not name.isprintable():
        raise ActError(f"--as: a name of 1 to 64 printable characters, got {name!r}")
    return name
