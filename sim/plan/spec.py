"""A capacity plan (``PLAN.yaml``): a base scenario, knobs held fixed or swept, an SLO and a target.

Pure: text in, a validated :class:`PlanSpec` out, or a ``ScenarioError`` whose
problems name the plan file, the line and the field (the scenario loader's own
YAML walker and problem type, so a plan reads its errors like a scenario does).

The shape::

    name: qwen-outage-claude-quota
    scenario: steady-traffic.yaml     # a library name, or a file relative to the plan
    seed: 7                           # optional: every point runs this seed (common random numbers)
    slo: {p95: 3s, errors: 1%, severity: P4}
    target: {traffic: 3}              # "the cheapest configuration that holds 3x"
    fixed: {outage: {provider: qwen, at: 2m, for: 1h}}
    sweep:                            # the cartesian product of these lists; values cheapest first
      traffic: [1, 2, 3]
      quota.claude: [100, 300, 600]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scenarios.problems import Problem, ScenarioError, suggest
from scenarios.yamltree import FieldPath, Located, format_path, parse_yaml
from units.durations import ValueSyntaxError, parse_duration

from .knobs import KNOB_NAMES, KnobError, check_knob

__all__ = ["MAX_POINTS", "MAX_REQUESTS", "SLO", "PlanSpec", "Point", "parse_plan"]

#: a plan beyond this many points is a typo or a job for a bigger tool: refused before it starts
MAX_POINTS = 2_000
#: simulated requests over all points; ~2 hours of one core at the twin's speed
MAX_REQUESTS = 20_000_000
_TOP = ("name", "description", "question", "scenario", "seed", "slo", "target", "fixed", "sweep")
_SLO_KEYS = ("p95", "errors", "severity")
_LEVELS = ("none", "P4", "P3", "P2", "P1")


@dataclass(frozen=True, slots=True)
class SLO:
    p95_s: float = 3.0
    errors: float = 0.01     # a share, 0..1
    severity: str = "P4"     # the worst level allowed

    def describe(self) -> str:
        return f"p95 < {self.p95_s:g} s, errors < {self.errors * 100:g} %, severity never above {self.severity}"


@dataclass(frozen=True, slots=True)
class Point:
    """One configuration to simulate: its index and its knob values (fixed ones first, then the swept)."""

    index: int
    knobs: tuple[tuple[str, Any], ...]
    swept: tuple[str, ...]

    def value(self, name: str, default: Any = None) -> Any:
        for key, value in self.knobs:
            if key == name:
                return value
        return default

    def label(self) -> str:
        return ", ".join(f"{k}={format_value(v)}" for k, v in self.knobs if k in self.swept) or "base"


@dataclass(frozen=True, slots=True)
class PlanSpec:
    file: str
    name: str
    question: str
    scenario: str
    seed: int | None
    slo: SLO
    target_traffic: float | None
    points: tuple[Point, ...]
    axes: tuple[tuple[str, tuple[Any, ...]], ...]
    #: the line of ``sweep:``, where a plan too costly as a whole is blamed
    sweep_line: int = 1


def format_value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{format_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class _Check:
    def __init__(self, doc: Located, file: str) -> None:
        self.doc, self.file = doc, file
        self.problems: list[Problem] = []

    def report(self, path: FieldPath, message: str) -> None:
        self.problems.append(Problem(self.file, self.doc.line(path), format_path(path), message))

    def mapping(self, path: FieldPath, value: Any, keys: tuple[str, ...] | None = None) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.report(path, f"expected a mapping, got {type(value).__name__}")
            return None
        for key in value:
            if not isinstance(key, str):
                self.report(path, f"keys must be text, got {key!r}")
                return None
            if keys is not None and key not in keys:
                self.report((*path, key), f"unknown field{suggest(key, keys)}; expected one of {', '.join(keys)}")
        return value

    def knob(self, path: FieldPath, name: str, value: Any) -> Any:
        try:
            return check_knob(name, value)
        except KnobError as exc:
            self.report((*path, *exc.subpath), str(exc))
            return None


def _slo(check: _Check, value: Any) -> SLO:
    if value is None:
        return SLO()
    raw = check.mapping(("slo",), value, _SLO_KEYS)
    if raw is None:
        return SLO()
    slo = SLO()
    p95, errors, severity = slo.p95_s, slo.errors, slo.severity
    if "p95" in raw:
        try:
            p95 = parse_duration(raw["p95"], "slo.p95")
            if p95 <= 0:
                check.report(("slo", "p95"), "must be a positive duration")
        except ValueSyntaxError as exc:
            check.report(("slo", "p95"), str(exc))
    if "errors" in raw:
        errors = _share(check, ("slo", "errors"), raw["errors"])
    if "severity" in raw:
        if raw["severity"] not in _LEVELS:
            check.report(("slo", "severity"), f"expected one of {', '.join(_LEVELS)}, got {raw['severity']!r}")
        else:
            severity = raw["severity"]
    return SLO(p95, errors, severity)


def _share(check: _Check, path: FieldPath, value: Any) -> float:
    """``1%`` or ``0.01``."""
    try:
        if isinstance(value, str) and value.strip().endswith("%"):
            share = float(value.strip()[:-1]) / 100
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            share = float(value)
        else:
            raise ValueError
    except ValueError:
        check.report(path, f"expected a share like 1% or 0.01, got {value!r}")
        return 0.01
    if not (math.isfinite(share) and 0 <= share <= 1):
        check.report(path, f"must be between 0% and 100%, got {value!r}")
    return share


def parse_plan(text: str, file: str) -> PlanSpec:
    """Validate a plan's text; every problem is reported at once, as ``file:line: field: message``."""
    doc = parse_yaml(text, file)
    check = _Check(doc, file)
    top = check.mapping((), doc.value, _TOP)
    if top is None:
        raise ScenarioError(check.problems)
    for key in ("name", "scenario", "sweep"):
        if key not in top:
            check.report((), f"missing field {key!r}")
    name = top.get("name", "plan")
    scenario = top.get("scenario", "")
    if not isinstance(name, str) or not name:
        check.report(("name",), "expected text")
    if not isinstance(scenario, str) or not scenario:
        check.report(("scenario",), "expected a library scenario name or a scenario file")
    seed = top.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        check.report(("seed",), f"expected an integer >= 0, got {seed!r}")
    slo = _slo(check, top.get("slo"))
    target: float | None = None
    if top.get("target") is not None:
        raw = check.mapping(("target",), top["target"], ("traffic",))
        if raw is not None and "traffic" in raw:
            target = check.knob(("target", "traffic"), "traffic", raw["traffic"])
    fixed: list[tuple[str, Any]] = []
    raw_fixed = check.mapping(("fixed",), top.get("fixed") or {}, None)
    for key, value in (raw_fixed or {}).items():
        if key not in KNOB_NAMES and not _prefixed(key):
            check.report(("fixed", key), f"unknown knob{suggest(key, KNOB_NAMES)}; expected one of "
                                          f"{', '.join(KNOB_NAMES)} (quota.P, services.P, weights)")
            continue
        fixed.append((key, check.knob(("fixed", key), key, value)))
    axes: list[tuple[str, tuple[Any, ...]]] = []
    raw_sweep = check.mapping(("sweep",), top.get("sweep", {}), None) if "sweep" in top else {}
    count = 1
    for key, values in (raw_sweep or {}).items():
        path: FieldPath = ("sweep", key)
        if key not in KNOB_NAMES and not _prefixed(key):
            check.report(path, f"unknown knob{suggest(key, KNOB_NAMES)}; expected one of {', '.join(KNOB_NAMES)}")
            continue
        if key in dict(fixed):
            check.report(path, f"{key} is both fixed and swept")
        if not isinstance(values, list) or not values:
            check.report(path, f"expected a non-empty list of values, got {type(values).__name__}")
            continue
        count *= len(values)
        if count > MAX_POINTS:
            check.report(path, f"the sweep reaches {count:,} points here, more than the {MAX_POINTS:,} a plan "
                               "may have; sweep fewer values")
            break
        axes.append((key, tuple(check.knob((*path, i), key, v) for i, v in enumerate(values))))
    if raw_sweep is not None and not raw_sweep and "sweep" in top:
        check.report(("sweep",), "expected at least one knob to sweep")
    if check.problems:
        raise ScenarioError(check.problems)
    swept = tuple(k for k, _ in axes)
    points = tuple(
        Point(i, (*fixed, *zip(swept, combo, strict=True)), swept)
        for i, combo in enumerate(itertools.product(*(values for _, values in axes)))
    )
    question = top.get("question") or top.get("description") or ""
    return PlanSpec(file, str(name), str(question).strip(), str(scenario), seed, slo, target, points, tuple(axes),
                    doc.line(("sweep",)))


def _prefixed(key: str) -> bool:
    head, dot, tail = key.partition(".")
    return bool(dot) and f"{head}.P" in KNOB_NAMES and bool(tail)
