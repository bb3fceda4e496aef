"""The names a scenario file may use: its keys, providers, corpora, fault effects and admin fields.

Data only, so that the loader's checks, its "did you mean" suggestions, the JSON Schema and the
time-scaling read one list.
"""

from __future__ import annotations

__all__ = [
    "ADMIN_KEYS",
    "ARRIVALS",
    "CORPORA",
    "ENDPOINTS",
    "FAULT_EFFECTS",
    "FAULT_EFFECT_DURATION_KEYS",
    "FAULT_KEYS",
    "NETWORK_KEYS",
    "PROVIDERS",
    "TOP_LEVEL_KEYS",
]

#: The providers a fault, action or stack entry may name (gateway.outcomes.PROVIDERS; not imported by design).
PROVIDERS: tuple[str, ...] = ("qwen", "claude", "openai")
TOP_LEVEL_KEYS: tuple[str, ...] = (
    "name",
    "description",
    "seed",
    "time_scale",
    "duration",
    "load",
    "stack",
    "faults",
    "baseline",
    "network",
    "actions",
    "phases",
    "expect",
)
ARRIVALS: tuple[str, ...] = ("poisson", "uniform")
ENDPOINTS: tuple[str, ...] = ("parse", "chat")
CORPORA: tuple[str, ...] = ("appointments-es", "appointments-es-templated")
#: docs/contracts.md §4: exactly one of these per fault rule. ``network`` is the DESIGN.md sketch's form of a
#: network fault inside ``faults:``; it is routed to the proxy, never to the fakes.
FAULT_EFFECTS: tuple[str, ...] = (
    "latency",
    "error",
    "connection",
    "bad_json",
    "quality",
    "stream",
    "quota",
    "capacity",
    "service",
    "network",
)
FAULT_KEYS: tuple[str, ...] = (
    "at",
    "until",
    "provider",
    "probability",
    "match",
    "id",
    "label",
    *FAULT_EFFECTS,
)
#: Durations inside provider-side effects (contracts §4): checked by the loader, scaled by ``Scenario.scaled``.
FAULT_EFFECT_DURATION_KEYS: dict[str, frozenset[str]] = {
    "latency": frozenset({"value", "min", "max", "mean", "std", "p50", "p95", "values"}),
    "error": frozenset({"retry_after"}),
    "stream": frozenset({"ttft", "duration"}),
    "service": frozenset({"ttft"}),
}
NETWORK_KEYS: tuple[str, ...] = ("at", "until", "provider", "toxic", "stream", "toxicity", "label")
ADMIN_KEYS: tuple[str, ...] = ("provider", "conservation_mode", "degraded_mode")
