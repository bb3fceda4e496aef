"""Validation of a parsed scenario document into a :class:`~scenarios.schema.Scenario`.

Every check reports a :class:`~scenarios.problems.Problem` at the line of the
field it is about and carries on, so that one run of the loader lists every
mistake in the file, not just the first. Unknown keys get the nearest valid
name. Provider-side effects and stack overrides are kept as written: the fakes'
fault parser and the gateway's config loader own their meaning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, cast

from scenarios.expectations import ExpectationSyntaxError, parse_expectation
from scenarios.frozen import freeze
from scenarios.network import STREAMS, TOXICS, NetworkFault
from scenarios.phases import derive_phases
from scenarios.problems import Problem, ScenarioError, suggest
from scenarios.schema import (
    ADMIN_KEYS,
    ARRIVALS,
    CORPORA,
    ENDPOINTS,
    FAULT_EFFECTS,
    FAULT_KEYS,
    NETWORK_KEYS,
    PROVIDERS,
    TOP_LEVEL_KEYS,
    AdminAction,
    FaultRule,
    Load,
    Phase,
    Prompts,
    Scenario,
    Stage,
)
from scenarios.vocabulary import FAULT_EFFECT_DURATION_KEYS
from scenarios.yamltree import FieldPath, Located, format_path
from units.durations import ValueSyntaxError, parse_duration, parse_rate, parse_size

__all__ = ["build_scenario"]

Path_ = FieldPath
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_FAULT_REF = re.compile(r"\bfault\s+(\d+)")
_LOAD_KEYS = ("model", "arrival", "stages", "rate", "prompts", "endpoint", "client_timeout")
_PROMPT_KEYS = ("corpus", "seed", "n")
# per scenario second: a sanity bound on the file; what this machine sustains once compressed (rate ÷
# time_scale) is checked before a run (drill/live/compression.py)
_MAX_RATE = 10_000.0
_MAX_PROMPTS = 100_000


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


class _Checker:
    def __init__(self, doc: Located, file: str) -> None:
        self.doc = doc
        self.file = file
        self.problems: list[Problem] = []

    # -- reporting and primitive checks ------------------------------------------------------------

    def report(self, path: Path_, message: str) -> None:
        self.problems.append(Problem(self.file, self.doc.line(path), format_path(path), message))

    def mapping(
        self, path: Path_, value: Any, allowed: Sequence[str], required: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.report(path, f"expected a mapping, got {_kind(value)}")
            return None
        for key in value:
            # `x-...` keys at the top level hold YAML anchors to reuse (as in docker-compose); ignored.
            if key not in allowed and not (not path and key.startswith("x-")):
                self.report(
                    (*path, key),
                    f"unknown key {key!r}{suggest(key, allowed)}; valid keys: " + ", ".join(allowed),
                )
        for key in required:
            if key not in value:
                self.report((*path, key), "required field is missing")
        return value

    def items(self, path: Path_, value: Any) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.report(path, f"expected a list, got {_kind(value)}")
            return []
        return value

    def _unit(self, parse: Callable[[object, str], float], path: Path_, value: Any) -> float | None:
        try:
            return parse(value, format_path(path))
        except ValueSyntaxError as exc:
            self.report(path, exc.message)
            return None

    def duration(self, path: Path_, value: Any) -> float | None:
        return self._unit(parse_duration, path, value)

    def rate(self, path: Path_, value: Any) -> float | None:
        return self._unit(parse_rate, path, value)

    def size(self, path: Path_, value: Any) -> float | None:
        return self._unit(parse_size, path, value)

    def number(
        self, path: Path_, value: Any, low: float, high: float, *, low_open: bool = False
    ) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.report(path, f"expected a number, got {_kind(value)}")
            return None
        if value < low or (low_open and value == low) or value > high:
            bracket = "(" if low_open else "["
            self.report(path, f"must be in {bracket}{low:g}, {high:g}], got {value!r}")
            return None
        return float(value)

    def integer(self, path: Path_, value: Any, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.report(path, f"expected an integer, got {_kind(value)}")
            return None
        if not low <= value <= high:
            self.report(path, f"must be between {low} and {high}, got {value}")
            return None
        return value

    def text(self, path: Path_, value: Any) -> str | None:
        if not isinstance(value, str):
            self.report(path, f"expected text, got {_kind(value)}")
            return None
        return value

    def choice(self, path: Path_, value: Any, options: Sequence[str], what: str) -> str | None:
        if not isinstance(value, str) or value not in options:
            hint = suggest(value, options) if isinstance(value, str) else ""
            self.report(path, f"unknown {what} {value!r}{hint}; expected one of: " + ", ".join(options))
            return None
        return value

    def window(
        self, path: Path_, entry: dict[str, Any], duration: float | None, *, at_default: bool
    ) -> tuple[float | None, float | None, bool]:
        """``at``/``until`` of an entry, checked against each other and the scenario's duration."""
        ok = True
        if "at" in entry:
            at = self.duration((*path, "at"), entry["at"])
        elif at_default:
            at = 0.0
        else:
            self.report((*path, "at"), "required field is missing")
            at = None
        until = self.duration((*path, "until"), entry["until"]) if "until" in entry else None
        if at is None or ("until" in entry and until is None):
            return at, until, False
        if until is not None and until <= at:
            self.report((*path, "until"), f"until ({until:g}s) must be after at ({at:g}s)")
            ok = False
        if duration is not None:
            if at >= duration:
                self.report(
                    (*path, "at"), f"at ({at:g}s) is not within the scenario's duration ({duration:g}s)"
                )
                ok = False
            if until is not None and until > duration:
                self.report(
                    (*path, "until"), f"until ({until:g}s) is past the scenario's duration ({duration:g}s)"
                )
                ok = False
        return at, until, ok

    # -- sections ----------------------------------------------------------------------------------

    def load(self, value: Any, duration: float | None) -> Load | None:
        path: Path_ = ("load",)
        load = self.mapping(path, value, _LOAD_KEYS)
        if load is None:
            return None
        model = load.get("model", "open")
        if model == "closed":
            self.report(
                (*path, "model"),
                "closed-model load is not supported: users that wait for answers send "
                "less exactly when the stack stalls (coordinated omission); use model: open",
            )
        elif model != "open":
            self.choice((*path, "model"), model, ("open",), "load model")
        arrival = load.get("arrival", "poisson")
        self.choice((*path, "arrival"), arrival, ARRIVALS, "arrival process")
        endpoint = load.get("endpoint", "parse")
        self.choice((*path, "endpoint"), endpoint, ENDPOINTS, "endpoint")
        timeout = self.duration((*path, "client_timeout"), load.get("client_timeout", "30s"))
        if timeout is not None and timeout <= 0:
            self.report((*path, "client_timeout"), "client_timeout must be positive")
        stages = self.stages(load, duration)
        prompts = self.prompts(load.get("prompts", "appointments-es"))
        if stages is None or prompts is None or timeout is None:
            return None
        return Load(
            stages=stages,
            model="open",
            arrival=cast(Any, arrival),
            prompts=prompts,
            endpoint=cast(Any, endpoint),
            client_timeout_s=timeout,
        )

    def stages(self, load: dict[str, Any], duration: float | None) -> tuple[Stage, ...] | None:
        path: Path_ = ("load",)
        if ("stages" in load) == ("rate" in load):
            self.report((*path, "stages"), "give either stages: [{until, rate}, ...] or one constant rate:")
            return None
        if "rate" in load:
            rate = self.rate((*path, "rate"), load["rate"])
            if rate is None or duration is None:
                return None
            return (Stage(duration, rate),) if self.rate_bound((*path, "rate"), rate) else None
        raw = load["stages"]
        if not isinstance(raw, list) or not raw:
            self.report((*path, "stages"), f"expected a non-empty list of {{until, rate}}, got {_kind(raw)}")
            return None
        out: list[Stage] = []
        ok = True
        previous = 0.0
        for i, item in enumerate(raw):
            spath: Path_ = (*path, "stages", i)
            stage = self.mapping(spath, item, ("until", "rate"), ("until", "rate"))
            if stage is None or "until" not in stage or "rate" not in stage:
                ok = False
                continue
            until = self.duration((*spath, "until"), stage["until"])
            rate = self.rate((*spath, "rate"), stage["rate"])
            if until is None or rate is None or not self.rate_bound((*spath, "rate"), rate):
                ok = False
                continue
            if until <= previous:
                self.report(
                    (*spath, "until"), f"stage ends must increase: {until:g}s is not after {previous:g}s"
                )
                ok = False
            previous = max(previous, until)
            out.append(Stage(until, rate))
        if ok and duration is not None and not math.isclose(out[-1].until_s, duration, abs_tol=1e-9):
            self.report(
                (*path, "stages", len(raw) - 1, "until"),
                f"the last stage must end at the scenario's duration ({duration:g}s), "
                f"not {out[-1].until_s:g}s",
            )
            ok = False
        return tuple(out) if ok else None

    def rate_bound(self, path: Path_, rate: float) -> bool:
        if rate > _MAX_RATE:
            self.report(
                path, f"rate {rate:g}/s is above {_MAX_RATE:g}/s, more than any load generator here can offer"
            )
            return False
        return True

    def prompts(self, value: Any) -> Prompts | None:
        path: Path_ = ("load", "prompts")
        if isinstance(value, str):
            corpus = self.choice(path, value, CORPORA, "prompt corpus")
            return Prompts(corpus) if corpus else None
        spec = self.mapping(path, value, _PROMPT_KEYS, ("corpus",))
        if spec is None or "corpus" not in spec:
            return None
        corpus = self.choice((*path, "corpus"), spec["corpus"], CORPORA, "prompt corpus")
        seed = self.integer((*path, "seed"), spec.get("seed", 0), 0, 2**63 - 1)
        n = self.integer((*path, "n"), spec.get("n", 1000), 1, _MAX_PROMPTS)
        if corpus is None or seed is None or n is None:
            return None
        return Prompts(corpus, seed, n)

    def stack(self, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.report(("stack",), f"expected a mapping of gateway config overrides, got {_kind(value)}")
            return {}
        stack = value
        providers = stack.get("providers")
        if providers is not None:
            section = self.mapping(("stack", "providers"), providers, PROVIDERS)
            if section is not None:
                for name, conf in section.items():
                    if name in PROVIDERS and not isinstance(conf, dict | type(None)):
                        self.report(("stack", "providers", name), f"expected a mapping, got {_kind(conf)}")
        return stack

    def provider(self, path: Path_, value: Any, *, wildcard: bool) -> str | None:
        options = (*PROVIDERS, "*") if wildcard else PROVIDERS
        return self.choice(path, value, options, "provider")

    def faults(self, value: Any, duration: float | None) -> tuple[list[FaultRule], list[NetworkFault]]:
        rules: list[FaultRule] = []
        nets: list[NetworkFault] = []
        for i, item in enumerate(self.items(("faults",), value)):
            path: Path_ = ("faults", i)
            entry = self.mapping(path, item, FAULT_KEYS, ("provider",))
            if entry is None:
                continue
            at, until, ok = self.window(path, entry, duration, at_default=True)
            provider = (
                self.provider((*path, "provider"), entry.get("provider"), wildcard=True)
                if "provider" in entry
                else None
            )
            if "probability" in entry:
                ok &= self.number((*path, "probability"), entry["probability"], 0.0, 1.0) is not None
            effects = [key for key in FAULT_EFFECTS if key in entry]
            if len(effects) != 1:
                found = ", ".join(effects) if effects else "none"
                self.report(
                    path,
                    f"a fault rule needs exactly one effect ({', '.join(FAULT_EFFECTS)}); found: {found}",
                )
                continue
            effect = effects[0]
            label = entry.get("label", entry.get("id", f"{effect} on {provider}"))
            if not isinstance(label, str):
                self.report((*path, "label"), f"expected text, got {_kind(label)}")
                ok = False
            if effect == "network":
                net = self.network_entry((*path, "network"), entry["network"], i, at, until, provider, label)
                if net is not None and ok:
                    nets.append(net)
                continue
            ok &= self.effect_durations((*path, effect), effect, entry[effect])
            if ok and at is not None and provider is not None:
                rules.append(
                    FaultRule(i, at, until, provider, effect, label, freeze(entry), self.doc.line(path))
                )
        return rules, nets

    def effect_durations(self, path: Path_, effect: str, value: Any) -> bool:
        keys = FAULT_EFFECT_DURATION_KEYS.get(effect)
        if keys is None or not isinstance(value, dict):
            return True
        ok = True
        for key, item in value.items():
            if isinstance(item, dict):
                ok &= self.effect_durations((*path, key), effect, item)
            elif key in keys:
                for j, one in enumerate(item) if isinstance(item, list) else [(None, item)]:
                    where = (*path, key) if j is None else (*path, key, j)
                    ok &= self.duration(where, one) is not None
        return ok

    def baseline(self, value: Any) -> Any:
        """The fakes' no-fault latency: a duration, or a distribution as in a ``latency:`` effect."""
        path: Path_ = ("baseline",)
        if isinstance(value, dict):
            if "dist" not in value:
                self.report(
                    path, "a baseline mapping needs dist: (constant, uniform, normal, lognormal or empirical)"
                )
                return None
            return freeze(value) if self.effect_durations(path, "latency", value) else None
        return value if self.duration(path, value) is not None else None

    def network(self, value: Any, duration: float | None, first_index: int) -> list[NetworkFault]:
        nets: list[NetworkFault] = []
        for i, item in enumerate(self.items(("network",), value)):
            path: Path_ = ("network", i)
            if not isinstance(item, dict):
                self.report(path, f"expected a mapping, got {_kind(item)}")
                continue
            at, until, ok = self.window(path, item, duration, at_default=True)
            if "provider" not in item:
                self.report((*path, "provider"), "required field is missing")
                continue
            provider = self.provider((*path, "provider"), item["provider"], wildcard=True)
            label = item.get("label", f"{item.get('toxic')} on {provider}")
            body = {k: v for k, v in item.items() if k not in ("at", "until", "provider", "label")}
            net = self.network_entry(path, body, first_index + i, at, until, provider, str(label))
            if net is not None and ok:
                nets.append(net)
        return nets

    def network_entry(
        self,
        path: Path_,
        value: Any,
        index: int,
        at: float | None,
        until: float | None,
        provider: str | None,
        label: str,
    ) -> NetworkFault | None:
        if not isinstance(value, dict):
            self.report(path, f"expected a mapping, got {_kind(value)}")
            return None
        if "toxic" not in value:
            self.report((*path, "toxic"), "required field is missing; one of: " + ", ".join(TOXICS))
            return None
        toxic = self.choice((*path, "toxic"), value["toxic"], tuple(TOXICS), "toxic")
        if toxic is None:
            return None
        specs = TOXICS[toxic]
        allowed = (*NETWORK_KEYS, *specs)
        for key in value:
            # `x-...` keys at the top level hold YAML anchors to reuse (as in docker-compose); ignored.
            if key not in allowed and not (not path and key.startswith("x-")):
                self.report(
                    (*path, key),
                    f"unknown key {key!r} for toxic {toxic}{suggest(key, allowed)}; "
                    f"valid keys: " + ", ".join(allowed),
                )
        stream = self.choice((*path, "stream"), value.get("stream", "downstream"), STREAMS, "stream")
        toxicity = self.number((*path, "toxicity"), value.get("toxicity", 1.0), 0.0, 1.0)
        attributes: dict[str, float] = {}
        ok = stream is not None and toxicity is not None
        for key, spec in specs.items():
            if key not in value:
                if spec.default is None:
                    self.report((*path, key), f"required for toxic {toxic}")
                    ok = False
                else:
                    attributes[key] = spec.default
                continue
            parse = {"duration": self.duration, "rate_bytes": self.byte_rate, "bytes": self.size}[spec.unit]
            parsed = parse((*path, key), value[key])
            if parsed is None:
                ok = False
            else:
                attributes[key] = parsed
        if not ok or at is None or provider is None:
            return None
        return NetworkFault(
            index,
            at,
            until,
            provider,
            toxic,
            cast(str, stream),
            cast(float, toxicity),
            freeze(attributes),
            label,
            self.doc.line(path),
        )

    def byte_rate(self, path: Path_, value: Any) -> float | None:
        """Bytes per second from ``"100KB/s"`` (a plain number is KB/s, Toxiproxy's own unit)."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            size = self.size(path, value)
            return None if size is None else size * 1000
        if isinstance(value, str) and value.strip().endswith("/s"):
            return self.size(path, value.strip()[:-2])
        self.report(path, f'expected a bandwidth such as "100KB/s" or a number of KB/s, got {_kind(value)}')
        return None

    def actions(self, value: Any, duration: float | None) -> list[AdminAction]:
        out: list[AdminAction] = []
        for i, item in enumerate(self.items(("actions",), value)):
            path: Path_ = ("actions", i)
            entry = self.mapping(path, item, ("at", "admin", "label"), ("at", "admin"))
            if entry is None or "at" not in entry or "admin" not in entry:
                continue
            at = self.duration((*path, "at"), entry["at"])
            if at is not None and duration is not None and at > duration:
                self.report((*path, "at"), f"at ({at:g}s) is past the scenario's duration ({duration:g}s)")
                at = None
            admin = self.mapping((*path, "admin"), entry["admin"], ADMIN_KEYS)
            if admin is None:
                continue
            if not admin:
                self.report(
                    (*path, "admin"), "an admin action must set at least one of: " + ", ".join(ADMIN_KEYS)
                )
                continue
            provider = None
            if "provider" in admin:
                provider = self.choice(
                    (*path, "admin", "provider"), admin["provider"], (*PROVIDERS, "auto"), "provider"
                )
                if provider is None:
                    continue
            toggles: dict[str, bool | str | None] = {}
            for key in ("conservation_mode", "degraded_mode"):
                flag = admin.get(key)
                if flag is not None and not isinstance(flag, bool) and flag != "auto":
                    self.report((*path, "admin", key), f"expected true, false or auto, got {_kind(flag)}")
                    flag = "invalid"
                toggles[key] = flag
            if at is None or "invalid" in toggles.values():
                continue
            out.append(
                AdminAction(
                    at,
                    provider,
                    cast(Any, toggles["conservation_mode"]),
                    cast(Any, toggles["degraded_mode"]),
                    self.doc.line(path),
                )
            )
        return out

    def phases(self, value: Any, duration: float | None) -> list[Phase] | None:
        if value is None:
            return None
        out: list[Phase] = []
        names: dict[str, int] = {}
        for i, item in enumerate(self.items(("phases",), value)):
            path: Path_ = ("phases", i)
            entry = self.mapping(path, item, ("name", "at", "until"), ("name", "at", "until"))
            if entry is None or not {"name", "at", "until"} <= entry.keys():
                continue
            name = self.text((*path, "name"), entry["name"])
            at, until, ok = self.window(path, entry, duration, at_default=False)
            if name is not None and name in names:
                self.report((*path, "name"), f"phase name {name!r} is already used by phases[{names[name]}]")
                ok = False
            if name is not None:
                names.setdefault(name, i)
            if ok and name is not None and at is not None and until is not None:
                out.append(Phase(name, at, until))
        return out

    def expectations(self, value: Any, window_count: int) -> list[str]:
        out: list[str] = []
        for i, item in enumerate(self.items(("expect",), value)):
            path: Path_ = ("expect", i)
            if not isinstance(item, str) or not item.strip():
                self.report(path, f"expected an expectation such as 'p95(latency) < 10s', got {_kind(item)}")
                continue
            text = item.strip()
            for ref in _FAULT_REF.finditer(text):
                if int(ref.group(1)) >= window_count:
                    self.report(
                        path,
                        f"{ref.group(0)!r} does not exist: this scenario has {window_count} fault "
                        "window(s), numbered from 0 (faults first, then network)",
                    )
            try:
                parse_expectation(text)
            except ExpectationSyntaxError as exc:
                self.report(path, f"{exc.message} at column {exc.column}: {text}")
            out.append(text)
        return out


def build_scenario(doc: Located, file: str) -> Scenario:
    """Validate ``doc`` (from :func:`scenarios.yamltree.parse_yaml`).

    Raises :class:`ScenarioError` listing every problem found.
    """
    check = _Checker(doc, file)
    top = doc.value
    if not isinstance(top, dict):
        raise ScenarioError(
            [
                Problem(
                    file,
                    doc.line(()),
                    "",
                    "the top level must be a mapping of scenario fields "
                    f"({', '.join(TOP_LEVEL_KEYS[:6])}, ...), got {_kind(top)}",
                )
            ]
        )
    check.mapping((), top, TOP_LEVEL_KEYS, ("name", "duration", "load"))
    name = check.text(("name",), top["name"]) if "name" in top else None
    if name is not None and not _NAME.fullmatch(name):
        check.report(("name",), f"{name!r} must be lowercase letters, digits, '.', '_' or '-' (at most 64)")
    description = check.text(("description",), top.get("description", "")) or ""
    seed = check.integer(("seed",), top.get("seed", 42), 0, 2**63 - 1)
    time_scale = check.number(("time_scale",), top.get("time_scale", 1.0), 0.0, 10.0, low_open=True)
    duration = check.duration(("duration",), top["duration"]) if "duration" in top else None
    if duration is not None and duration <= 0:
        check.report(("duration",), "duration must be positive")
        duration = None
    load = check.load(top["load"], duration) if "load" in top else None
    stack = check.stack(top.get("stack"))
    rules, inline_nets = check.faults(top.get("faults"), duration)
    fault_count = (
        len(check.items(("faults",), top.get("faults"))) if isinstance(top.get("faults"), list) else 0
    )
    baseline = check.baseline(top["baseline"]) if top.get("baseline") is not None else None
    nets = inline_nets + check.network(top.get("network"), duration, fault_count)
    actions = check.actions(top.get("actions"), duration)
    phases = check.phases(top.get("phases"), duration)
    network_count = len(top["network"]) if isinstance(top.get("network"), list) else 0
    expect = check.expectations(top.get("expect"), fault_count + network_count)
    if check.problems:
        raise ScenarioError(check.problems)
    assert name is not None and duration is not None and load is not None  # guaranteed: no problems
    assert seed is not None and time_scale is not None
    scenario = Scenario(
        name=name,
        description=description.strip(),
        seed=seed,
        time_scale=time_scale,
        duration_s=duration,
        load=load,
        stack=freeze(stack),
        faults=tuple(rules),
        network=tuple(sorted(nets, key=lambda n: n.index)),
        actions=tuple(sorted(actions, key=lambda a: a.at_s)),
        phases=(),
        expect=tuple(expect),
        source=file,
        lines=freeze({format_path(path): line for path, line in doc.lines.items() if path}),
        baseline=baseline,
    )
    derived = tuple(phases) if phases is not None else derive_phases(scenario.windows(), duration)
    return replace(scenario, phases=derived)
