"""The timeline's steps: what a run does to the network and to the gateway, and when.

One vocabulary for both clocks: ``drill.live.timeline`` applies these steps on
the wall clock, ``sim.timeline`` at ``env.now``, and both dispatch on the type
(``match``).  Each step is a frozen value checked once, when it is built — a
toxic in Toxiproxy's wire units, an admin change already parsed by the
gateway's own ``parse_admin_change`` — so no driver re-reads a body.

It lives in ``sim/`` rather than in ``workload/`` because an admin step holds
the gateway's ``AdminChange``, and ``workload/`` may not import ``gateway``
(pyproject.toml's import-linter contracts: the load generator sees the
gateway only over HTTP).  ``drill/`` may import ``sim/``; ``sim/`` never
imports ``drill/``.

Pure: no I/O, no clock.  ``step_record`` renders an applied step as the
``EventRecord`` both drivers write, in the fields run files always had
(``step``, ``target``, ``body``, ``label``, ``planned_s``).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from gateway.service import admin
from gateway.service.inputs import BadInput
from reports.records import EventRecord

__all__ = [
    "STREAMS",
    "AdminChange",
    "ProxyDown",
    "ProxyUp",
    "Step",
    "StepError",
    "ToxicAdd",
    "ToxicRemove",
    "admin_step",
    "due",
    "step_record",
]

Stream = Literal["upstream", "downstream"]
STREAMS: tuple[Stream, ...] = ("upstream", "downstream")
#: what an admin step's record names as its target
GATEWAY = "gateway"


class StepError(ValueError):
    """A step that cannot be built or applied; the message names the field or the target."""


def _check_time(at_s: float) -> None:
    if isinstance(at_s, bool) or not isinstance(at_s, int | float) or not (math.isfinite(at_s) and at_s >= 0):
        raise StepError(f"at_s: expected a finite number of seconds >= 0, got {at_s!r}")


def _check_name(what: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise StepError(f"{what}: expected a non-empty name, got {value!r}")


@dataclass(frozen=True, slots=True)
class ToxicAdd:
    """Add a toxic to ``proxy``: Toxiproxy's ``POST /proxies/{proxy}/toxics``, attributes in its units."""

    kind: ClassVar[str] = "toxic_add"
    at_s: float
    proxy: str
    name: str
    type: str
    stream: Stream = "downstream"
    toxicity: float = 1.0
    #: Toxiproxy's attributes are integers on the wire (ms, µs, KB/s, bytes): a Go server refuses 3000.0
    attributes: Mapping[str, int] = field(default_factory=dict)
    label: str = ""

    def __post_init__(self) -> None:
        _check_time(self.at_s)
        _check_name("proxy", self.proxy)
        _check_name("name", self.name)
        _check_name("type", self.type)
        if self.stream not in STREAMS:
            raise StepError(f"stream: expected upstream or downstream, got {self.stream!r}")
        t = self.toxicity
        if isinstance(t, bool) or not isinstance(t, int | float) or not 0.0 <= t <= 1.0:
            raise StepError(f"toxicity: expected a number in [0, 1], got {t!r}")
        if not isinstance(self.attributes, Mapping):
            raise StepError(f"attributes: expected an object, got {self.attributes!r}")
        for key, value in self.attributes.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise StepError(f"attributes.{key}: expected an integer >= 0, got {value!r}")
        # a copy of its own, so that the caller's dict changing later cannot change the step (a plain dict,
        # not a MappingProxyType: a setup crosses process boundaries by pickle)
        object.__setattr__(self, "attributes", dict(self.attributes))

    @classmethod
    def from_body(cls, at_s: float, proxy: str, body: Mapping[str, Any], label: str = "") -> ToxicAdd:
        """The step of a Toxiproxy toxic body (``name``, ``type``, ``stream``, ``toxicity``, ``attributes``)."""
        kind: Any = body.get("type")   # every field is checked in __post_init__
        stream: Any = body.get("stream", "downstream")
        return cls(at_s, proxy, body.get("name", f"{kind}_{stream}"), kind, stream, body.get("toxicity", 1.0),
                   body.get("attributes", {}), label)

    @property
    def target(self) -> str:
        return self.proxy

    def body(self) -> dict[str, Any]:
        """Toxiproxy's body, in the field order the run files have always had."""
        return {"name": self.name, "type": self.type, "stream": self.stream, "toxicity": self.toxicity,
                "attributes": dict(self.attributes)}


@dataclass(frozen=True, slots=True)
class ToxicRemove:
    kind: ClassVar[str] = "toxic_remove"
    at_s: float
    proxy: str
    name: str
    label: str = ""

    def __post_init__(self) -> None:
        _check_time(self.at_s)
        _check_name("proxy", self.proxy)
        _check_name("name", self.name)

    @property
    def target(self) -> str:
        return self.proxy

    def body(self) -> dict[str, Any]:
        return {"name": self.name}


@dataclass(frozen=True, slots=True)
class _ProxySwitch:
    """Turn ``proxy`` off or on: how Toxiproxy takes a link down (connections refused) and back up."""

    at_s: float
    proxy: str
    label: str = ""

    def __post_init__(self) -> None:
        _check_time(self.at_s)
        _check_name("proxy", self.proxy)

    @property
    def target(self) -> str:
        return self.proxy


@dataclass(frozen=True, slots=True)
class ProxyDown(_ProxySwitch):
    kind: ClassVar[str] = "proxy_down"

    def body(self) -> dict[str, Any]:
        return {"enabled": False}


@dataclass(frozen=True, slots=True)
class ProxyUp(_ProxySwitch):
    kind: ClassVar[str] = "proxy_up"

    def body(self) -> dict[str, Any]:
        return {"enabled": True}


@dataclass(frozen=True, slots=True)
class AdminChange:
    """An operator's change to the gateway (``PUT /admin/config``), parsed whole by ``admin_step``."""

    kind: ClassVar[str] = "admin"
    at_s: float
    change: admin.AdminChange
    label: str = "admin action"

    def __post_init__(self) -> None:
        _check_time(self.at_s)
        if not isinstance(self.change, admin.AdminChange):
            raise StepError(f"change: expected a parsed admin change, got {self.change!r}")

    @property
    def target(self) -> str:
        return GATEWAY

    def body(self) -> dict[str, Any]:
        """The admin API's body: the change in its own field names ("auto" for a mode handed back)."""
        return self.change.as_event()

    def providers(self) -> tuple[str, ...]:
        """The providers this change names: whoever applies it must have them all."""
        pinned = () if isinstance(self.change.provider, admin.Unset) or self.change.provider is None \
            else (self.change.provider,)
        return pinned + tuple(name for name, _ in self.change.breakers)


Step = ToxicAdd | ToxicRemove | ProxyDown | ProxyUp | AdminChange


def admin_step(at_s: float, body: Mapping[str, Any], providers: Collection[str],
               label: str = "admin action") -> AdminChange:
    """The admin step of ``body``, parsed as the gateway's API parses it; ``StepError`` names a bad field."""
    try:
        change = admin.parse_admin_change(dict(body), providers)
    except BadInput as exc:
        raise StepError(f"admin.{exc.field}: {exc.message}") from None
    return AdminChange(at_s, change, label)


def due(steps: Sequence[Step], now: float) -> tuple[Step, ...]:
    """The steps whose time has come by ``now``: the prefix of ``steps`` (sorted by ``at_s``) at or before it."""
    return tuple(steps[:bisect.bisect_right(steps, now, key=_at)])


def _at(step: Step) -> float:
    return step.at_s


def step_record(step: Step, t_s: float, error: str | None = None) -> EventRecord:
    """The event an applied step (or its failure, ``error``) leaves in ``events.jsonl``."""
    detail: dict[str, Any] = {"step": step.kind, "target": step.target, "body": step.body(),
                              "label": step.label, "planned_s": step.at_s}
    if error is not None:
        detail["error"] = error
    return EventRecord(round(t_s, 6), "action" if isinstance(step, AdminChange) else "toxic", detail)
