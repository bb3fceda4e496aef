"""What a report needs to know about a run besides its records (``run.json`` in the run directory).

Times here are on the *scenario's* time base (as written in the scenario file).  A live run with
``time_scale`` 0.1 records wall-clock seconds; ``reports.report`` divides those by the time scale so
that the whole report speaks the scenario's seconds.  A sim run records scenario seconds already.
Pure data and validation; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from scenarios.faults import FaultWindow
from scenarios.phases import Phase

# FaultWindow and Phase are the scenario's own (one definition); run.json writes them without ``kind``.
__all__ = ["FaultWindow", "Phase", "RunInfo", "RunInfoError"]


class RunInfoError(ValueError):
    """A ``run.json`` that does not describe a run: names the field that is wrong."""


@dataclass(frozen=True, slots=True)
class RunInfo:
    scenario: str
    description: str = ""
    mode: Literal["live", "sim"] = "live"
    seed: int | None = None
    time_scale: float = 1.0
    duration_s: float | None = None
    faults: tuple[FaultWindow, ...] = ()
    phases: tuple[Phase, ...] = ()
    expectations: tuple[str, ...] = ()
    rules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    degradation_mode: bool = False  # relaxed thresholds for the whole run
    # what severity counts as failed: "wrong_answers" (errors and wrong answers against gold, the
    # default) or "errors" (the runbook's letter); the report shows the other reading beside it
    severity_reading: str = "wrong_answers"
    # a severity window with fewer resolved requests than this is "insufficient data", not P1
    severity_min_requests: int = 5
    quotas_rpm: Mapping[str, float] = field(default_factory=dict)  # provider -> requests/min
    # written by the live runner when a process of the harness died: which, when, and what is unknown
    harness_failure: tuple[Mapping[str, Any], ...] = ()
    merge: Mapping[str, Any] = field(default_factory=dict)  # the load merge's counters (drill/load/merge.py)
    sim: Mapping[str, Any] = field(default_factory=dict)  # what the twin modelled rather than ran (mode sim)
    # the live runner's: stack+harness overhead per request (real seconds: p50_s, p99_s, n, method),
    # the compression safety check's figures, the effective configuration (provider pin, stack settings)
    overhead: Mapping[str, Any] = field(default_factory=dict)
    compression: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    # a drill of a gateway that is not ours (``llmdrill run --target``): {url, model, calls_from,
    # unavailable: [figure ids], skipped_admin_actions}; empty for our own gateway (``reports.target``)
    target: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in ("live", "sim"):
            raise RunInfoError(f"mode: expected 'live' or 'sim', not {self.mode!r}")
        if not self.time_scale > 0:
            raise RunInfoError(f"time_scale: must be positive, not {self.time_scale!r}")
        if self.duration_s is not None and self.duration_s < 0:
            raise RunInfoError(f"duration_s: must not be negative, not {self.duration_s!r}")
        if self.severity_reading not in ("wrong_answers", "errors"):
            raise RunInfoError(
                f"severity_reading: expected 'wrong_answers' or 'errors', not {self.severity_reading!r}"
            )
        n = self.severity_min_requests
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise RunInfoError(f"severity_min_requests: expected a whole number >= 1, not {n!r}")

    def fault(self, index: int) -> FaultWindow | None:
        for f in self.faults:
            if f.index == index:
                return f
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "description": self.description,
            "mode": self.mode,
            "seed": self.seed,
            "time_scale": self.time_scale,
            "duration_s": self.duration_s,
            "faults": [
                {
                    "index": f.index,
                    "at_s": f.at_s,
                    "until_s": f.until_s,
                    "provider": f.provider,
                    "label": f.label,
                }
                for f in self.faults
            ],
            "phases": [{"name": p.name, "at_s": p.at_s, "until_s": p.until_s} for p in self.phases],
            "expectations": list(self.expectations),
            "rules": {k: dict(v) for k, v in self.rules.items()},
            "degradation_mode": self.degradation_mode,
            "severity_reading": self.severity_reading,
            "severity_min_requests": self.severity_min_requests,
            "quotas_rpm": dict(self.quotas_rpm),
            "harness_failure": [dict(f) for f in self.harness_failure],
            "merge": dict(self.merge),
            "sim": dict(self.sim),
            "overhead": dict(self.overhead),
            "compression": dict(self.compression),
            "config": dict(self.config),
            "target": dict(self.target),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunInfo:
        if not isinstance(data, Mapping):
            raise RunInfoError(f"expected a JSON object, not {type(data).__name__}")
        known = {
            "scenario",
            "description",
            "mode",
            "seed",
            "time_scale",
            "duration_s",
            "faults",
            "phases",
            "expectations",
            "rules",
            "degradation_mode",
            "severity_reading",
            "severity_min_requests",
            "quotas_rpm",
            "harness_failure",
            "merge",
            "sim",
            "overhead",
            "compression",
            "config",
            "target",
        }
        unknown = sorted(set(data) - known)
        if unknown:
            raise RunInfoError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        scenario = data.get("scenario")
        if not isinstance(scenario, str) or not scenario:
            raise RunInfoError("scenario: a non-empty string is required")
        return cls(
            scenario=scenario,
            description=_typed(data, "description", str, ""),
            mode=_typed(data, "mode", str, "live"),  # checked in __post_init__
            seed=_opt_int(data, "seed"),
            time_scale=_number(data, "time_scale", 1.0),
            duration_s=_opt_number(data.get("duration_s"), "duration_s"),
            faults=tuple(_fault(i, f) for i, f in enumerate(_typed(data, "faults", list, []))),
            phases=tuple(_phase(i, p) for i, p in enumerate(_typed(data, "phases", list, []))),
            expectations=tuple(_expectations(data.get("expectations", []))),
            rules=_typed(data, "rules", dict, {}),
            degradation_mode=_typed(data, "degradation_mode", bool, False),
            severity_reading=_typed(data, "severity_reading", str, "wrong_answers"),
            severity_min_requests=_typed(data, "severity_min_requests", int, 5),
            quotas_rpm={
                str(k): _number({"v": v}, "v", 0.0, f"quotas_rpm.{k}")
                for k, v in _typed(data, "quotas_rpm", dict, {}).items()
            },
            harness_failure=tuple(_harness_failure(data.get("harness_failure", []))),
            merge=_typed(data, "merge", dict, {}),
            sim=_typed(data, "sim", dict, {}),
            overhead=_typed(data, "overhead", dict, {}),
            compression=_typed(data, "compression", dict, {}),
            config=_typed(data, "config", dict, {}),
            target=_typed(data, "target", dict, {}),
        )


def _typed(data: Mapping[str, Any], key: str, kind: type, default: Any) -> Any:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise RunInfoError(f"{key}: expected {kind.__name__}, not {value!r}")
    return value


def _number(data: Mapping[str, Any], key: str, default: float, where: str | None = None) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RunInfoError(f"{where or key}: expected a number, not {value!r}")
    return float(value)


def _opt_number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RunInfoError(f"{where}: expected a number of seconds or null, not {value!r}")
    return float(value)


def _opt_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RunInfoError(f"{key}: expected an integer, not {value!r}")
    return value


def _fault(i: int, raw: Any) -> FaultWindow:
    if not isinstance(raw, Mapping):
        raise RunInfoError(f"faults[{i}]: expected an object, not {raw!r}")
    at = _opt_number(raw.get("at_s", 0.0), f"faults[{i}].at_s")
    index = raw.get("index", i)
    if isinstance(index, bool) or not isinstance(index, int):
        raise RunInfoError(f"faults[{i}].index: expected an integer, not {index!r}")
    try:
        return FaultWindow(
            index=index,
            at_s=at or 0.0,
            until_s=_opt_number(raw.get("until_s"), f"faults[{i}].until_s"),
            provider=str(raw.get("provider", "*")),
            label=str(raw.get("label", "")),
        )
    except ValueError as exc:  # until before at: named as the run.json field it is
        raise RunInfoError(str(exc)) from None


def _phase(i: int, raw: Any) -> Phase:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
        raise RunInfoError(f"phases[{i}]: expected an object with a name, not {raw!r}")
    at = _opt_number(raw.get("at_s", 0.0), f"phases[{i}].at_s")
    return Phase(raw["name"], at or 0.0, _opt_number(raw.get("until_s"), f"phases[{i}].until_s"))


def _expectations(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(e, str) for e in raw):
        raise RunInfoError(f"expectations: expected a list of strings, not {raw!r}")
    return list(raw)


def _harness_failure(raw: object) -> list[Mapping[str, Any]]:
    if not isinstance(raw, list) or not all(isinstance(f, dict) and isinstance(f.get("process"), str) for f in raw):
        raise RunInfoError("harness_failure: expected a list of objects, each naming its 'process'")
    return raw
