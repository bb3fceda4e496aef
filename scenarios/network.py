"""Network faults of a scenario: Toxiproxy toxics written in human units.

A scenario says ``{toxic: latency, latency: 3s, jitter: 500ms}``; Toxiproxy wants
``{"type": "latency", "attributes": {"latency": 3000, "jitter": 500}}``. The
table :data:`TOXICS` says, per toxic, which attributes exist, their unit in the
file, their unit on the wire and their default: adding a toxic is one row.
``down`` is not a toxic: it disables the proxy (``enabled: false``), which is how
Toxiproxy takes a link down.

Time-valued attributes scale with ``time_scale`` and bandwidth by its inverse
(``scenarios.scaling`` does that); sizes do not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "STREAMS",
    "TOXICS",
    "AttributeSpec",
    "NetworkFault",
]

STREAMS: tuple[str, ...] = ("upstream", "downstream")

Unit = Literal["duration", "rate_bytes", "bytes"]
Wire = Literal["ms", "us", "kb_per_s", "bytes"]


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """One attribute of a toxic: how it is written (``unit``), sent (``wire``), its default in file units."""

    unit: Unit
    wire: Wire
    default: float | None = None  # None: required


TOXICS: Mapping[str, Mapping[str, AttributeSpec]] = {
    "latency": {"latency": AttributeSpec("duration", "ms"), "jitter": AttributeSpec("duration", "ms", 0.0)},
    "bandwidth": {"rate": AttributeSpec("rate_bytes", "kb_per_s")},
    "slow_close": {"delay": AttributeSpec("duration", "ms")},
    # Toxiproxy: a timeout of 0 holds the connection open forever.
    "timeout": {"timeout": AttributeSpec("duration", "ms", 0.0)},
    "reset_peer": {"timeout": AttributeSpec("duration", "ms", 0.0)},
    "slicer": {
        "average_size": AttributeSpec("bytes", "bytes"),
        "size_variation": AttributeSpec("bytes", "bytes", 0.0),
        "delay": AttributeSpec("duration", "us", 0.0),
    },
    "limit_data": {"bytes": AttributeSpec("bytes", "bytes")},
    "down": {},
}


def _wire_value(spec: AttributeSpec, value: float, time_scale: float) -> int:
    if spec.wire == "ms":
        return round(value * time_scale * 1000)
    if spec.wire == "us":
        return round(value * time_scale * 1_000_000)
    if spec.wire == "kb_per_s":
        # Toxiproxy's rate is an integer of KB/s; 0 would mean "unlimited" nowhere, so keep at least 1.
        return max(1, round(value / 1000))
    return round(value)


@dataclass(frozen=True, slots=True)
class NetworkFault:
    """A degradation of the link to one provider (or ``*``: every provider) between ``at_s`` and ``until_s``.

    ``attributes`` are in file units normalised to SI: seconds, bytes, bytes/second.
    ``index`` is the fault-window number that expectations use (``during fault N``).
    """

    index: int
    at_s: float
    until_s: float | None
    provider: str
    toxic: str
    stream: str
    toxicity: float
    attributes: Mapping[str, float]
    label: str
    line: int

    @property
    def is_down(self) -> bool:
        return self.toxic == "down"

    @property
    def toxic_name(self) -> str:
        """Unique per scenario entry: two overlapping entries never collide (Toxiproxy answers 409)."""
        return f"llmdrill{self.index}_{self.toxic}_{self.stream}"

    def proxies(self, providers: tuple[str, ...]) -> tuple[str, ...]:
        """Names of the proxies this fault applies to (one per provider; ``*`` is all of ``providers``)."""
        return providers if self.provider == "*" else (self.provider,)

    def to_toxiproxy(self, time_scale: float = 1.0) -> dict[str, Any]:
        """The JSON body for Toxiproxy, in its units (ms, µs, KB/s, bytes), times scaled by ``time_scale``.

        Rates are not touched here: give a ``Scenario.scaled()`` fault and ``time_scale`` 1.0 for a run.

        A toxic gives the body of ``POST /proxies/{proxy}/toxics``; ``down`` gives
        the body of ``POST /proxies/{proxy}`` that disables the proxy.
        """
        if self.is_down:
            return {"enabled": False}
        specs = TOXICS[self.toxic]
        return {
            "name": self.toxic_name,
            "type": self.toxic,
            "stream": self.stream,
            "toxicity": self.toxicity,
            "attributes": {
                key: _wire_value(spec, self.attributes[key], time_scale) for key, spec in specs.items()
            },
        }
