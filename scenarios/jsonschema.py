"""A JSON Schema (draft 2020-12) of scenario files, for editors and ``llmdrill schema``.

It describes shapes and units; the loader remains the authority for checks that
span fields (until after at, windows within the duration, stages ending at the
duration) and gives the clearer errors.
"""

from __future__ import annotations

from typing import Any

from scenarios.network import STREAMS, TOXICS
from scenarios.schema import (
    ADMIN_KEYS,
    ARRIVALS,
    CORPORA,
    ENDPOINTS,
    FAULT_EFFECTS,
    PROVIDERS,
    TOP_LEVEL_KEYS,
)
from units.durations import DURATION_PATTERN, RATE_PATTERN

__all__ = ["json_schema"]



def _duration(description: str) -> dict[str, Any]:
    return {
        "description": description + ' Duration: "500ms", "3s", "2m", "1h", "1m30s" or a number of seconds.',
        "oneOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": DURATION_PATTERN}],
    }


def _rate(description: str) -> dict[str, Any]:
    return {
        "description": description + ' Rate: "20/s", "600/m", "1200/min" or a number per second.',
        "oneOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": RATE_PATTERN}],
    }


def _size(description: str) -> dict[str, Any]:
    return {
        "description": description + ' Size: "512B", "100KB", "1MiB" or a number of bytes.',
        "type": ["number", "string"],
    }


def _window() -> dict[str, Any]:
    return {
        "at": _duration("Start, from the start of the run (default 0)."),
        "until": _duration("End (default: the end of the run); must be after at."),
        "label": {"type": "string", "description": "Name shown in reports."},
    }


def _network_entry(with_window: bool) -> dict[str, Any]:
    units = {
        "duration": _duration,
        "rate_bytes": lambda d: {"description": d + ' e.g. "100KB/s" or KB/s.', "type": ["number", "string"]},
        "bytes": _size,
    }
    variants = []
    for toxic, specs in TOXICS.items():
        properties: dict[str, Any] = {
            "toxic": {"const": toxic},
            "stream": {"enum": list(STREAMS), "default": "downstream"},
            "toxicity": {"type": "number", "minimum": 0, "maximum": 1, "default": 1.0},
            **{key: units[spec.unit](f"{toxic} {key}.") for key, spec in specs.items()},
        }
        if with_window:
            properties |= _window()
            properties["provider"] = {"enum": [*PROVIDERS, "*"]}
        required = ["toxic", *(key for key, spec in specs.items() if spec.default is None)]
        if with_window:
            required.append("provider")
        variants.append(
            {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
        )
    return {
        "description": "A Toxiproxy toxic in human units; toxic 'down' disables the proxy.",
        "oneOf": variants,
    }


def json_schema() -> dict[str, Any]:
    toggle = {"oneOf": [{"type": "boolean"}, {"const": "auto"}]}
    stage = {
        "type": "object",
        "required": ["until", "rate"],
        "additionalProperties": False,
        "properties": {
            "until": _duration("End of the stage."),
            "rate": _rate("User requests per second of run time (not scaled)."),
        },
    }
    fault_rule = {
        "type": "object",
        "description": "A provider-side fault rule (docs/contracts.md §4); exactly one effect.",
        "required": ["provider"],
        "properties": {
            **_window(),
            "provider": {"enum": [*PROVIDERS, "*"]},
            "id": {"type": "string", "description": "The fakes' rule id (also the default label)."},
            "probability": {"type": "number", "minimum": 0, "maximum": 1, "default": 1.0},
            "match": {"type": "object"},
            **{
                effect: {"description": f"The {effect} effect; validated by the fakes' fault parser."}
                for effect in FAULT_EFFECTS
                if effect != "network"
            },
            "network": _network_entry(with_window=False),
        },
        "oneOf": [{"required": [effect]} for effect in FAULT_EFFECTS],
        "additionalProperties": False,
    }
    properties: dict[str, Any] = {
        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,63}$"},
        "description": {
            "type": "string",
            "description": "What incident this rehearses and which runbook section.",
        },
        "seed": {"type": "integer", "minimum": 0, "default": 42},
        "time_scale": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 10,
            "default": 1.0,
            "description": "Multiplies every duration of the run; rates are kept as written.",
        },
        "duration": _duration("Length of the incident in scenario time."),
        "load": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "model": {
                    "const": "open",
                    "default": "open",
                    "description": "Open model only: closed-model load hides stalls (coordinated omission).",
                },
                "arrival": {"enum": list(ARRIVALS), "default": "poisson"},
                "stages": {
                    "type": "array",
                    "minItems": 1,
                    "items": stage,
                    "description": "Increasing ends; the last ends at duration.",
                },
                "rate": _rate("A constant rate for the whole duration (instead of stages)."),
                "prompts": {
                    "oneOf": [
                        {"enum": list(CORPORA)},
                        {
                            "type": "object",
                            "required": ["corpus"],
                            "additionalProperties": False,
                            "properties": {
                                "corpus": {"enum": list(CORPORA)},
                                "seed": {"type": "integer", "minimum": 0},
                                "n": {"type": "integer", "minimum": 1, "maximum": 100000},
                            },
                        },
                    ],
                    "default": "appointments-es",
                },
                "endpoint": {"enum": list(ENDPOINTS), "default": "parse"},
                "client_timeout": _duration("The user's timeout (default 30s, the runbook's)."),
            },
        },
        "stack": {
            "type": "object",
            "description": "Overrides of the gateway's runbook defaults "
            "(providers, breaker, retries, cache, conservation, degraded, timeout, deadline); "
            "validated by the gateway's config loader.",
            "properties": {"providers": {"type": "object", "propertyNames": {"enum": list(PROVIDERS)}}},
        },
        "faults": {"type": "array", "items": fault_rule},
        "baseline": {
            "description": "The fakes' no-fault latency (default: their lognormal p50 0.6 s, p95 1.5 s): "
            "a duration (constant) or a distribution as in a fault's latency:.",
            "oneOf": [
                _duration("A constant latency."),
                {"type": "object", "required": ["dist"], "properties": {"dist": {"type": "string"}}},
            ],
        },
        "network": {"type": "array", "items": _network_entry(with_window=True)},
        "actions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["at", "admin"],
                "additionalProperties": False,
                "properties": {
                    "at": _duration("When the operator acts."),
                    "label": {"type": "string"},
                    "admin": {
                        "type": "object",
                        "minProperties": 1,
                        "additionalProperties": False,
                        "propertyNames": {"enum": list(ADMIN_KEYS)},
                        "properties": {
                            "provider": {"enum": [*PROVIDERS, "auto"]},
                            "conservation_mode": toggle,
                            "degraded_mode": toggle,
                        },
                    },
                },
            },
        },
        "phases": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "at", "until"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "at": _duration("Start."),
                    "until": _duration("End."),
                },
            },
            "description": "Named phases; by default derived from the fault windows.",
        },
        "expect": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Expectations in llmdrill's threshold language, e.g. 'p95(latency) < 10s'.",
        },
    }
    assert tuple(properties) == TOP_LEVEL_KEYS
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "llmdrill:scenario",
        "title": "llmdrill scenario",
        "type": "object",
        "required": ["name", "duration", "load"],
        "additionalProperties": False,
        "patternProperties": {"^x-": {"description": "Ignored: a place for YAML anchors to reuse."}},
        "properties": properties,
    }
