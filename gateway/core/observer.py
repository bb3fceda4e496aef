"""What the request path reports as it goes: the seam to metrics and records.

Three kinds of report: every upstream call (``CallEvent``), every state change
(``StateEvent``) and every finished parse request (``ParseOutcome``).

The live shell plugs in Prometheus metrics and an event log; the twin plugs in
record writers.  Observers must not raise into the request path: ``Observers``
isolates a failing one, as resilience4j's event publisher does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from units.frozen_init import frozen_init

from .parse_outcome import ParseOutcome


@frozen_init   # one per provider call (``frozen_init``)
@dataclass(frozen=True, slots=True)
class CallEvent:
    provider: str
    started_at: float
    latency_s: float
    result: str               # "ok" or a FailureKind value
    status: int | None
    probe: bool = False
    #: the user request's id (``x-llmdrill-request-id``, the twin's arrival id); None: a client that sent none
    request_id: int | None = None


@frozen_init   # one per shed call and state change (``frozen_init``)
@dataclass(frozen=True, slots=True)
class StateEvent:
    at: float
    kind: str                 # "breaker" | "mode" | "shed" | "admin"
    detail: dict[str, Any]


class Observer(Protocol):
    def on_call(self, event: CallEvent) -> None: ...
    def on_state(self, event: StateEvent) -> None: ...
    def on_request(self, summary: ParseOutcome) -> None: ...


class NullObserver:
    __slots__ = ()

    def on_call(self, event: CallEvent) -> None:
        pass

    def on_state(self, event: StateEvent) -> None:
        pass

    def on_request(self, summary: ParseOutcome) -> None:
        pass


class Observers:
    """Fan out to several observers; one that raises is counted, not propagated."""

    __slots__ = ("_observers", "errors")

    def __init__(self, *observers: Observer) -> None:
        self._observers = list(observers)
        self.errors = 0

    def add(self, observer: Observer) -> None:
        self._observers.append(observer)

    def on_call(self, event: CallEvent) -> None:
        for o in self._observers:
            try:
                o.on_call(event)
            except Exception:
                self.errors += 1

    def on_state(self, event: StateEvent) -> None:
        for o in self._observers:
            try:
                o.on_state(event)
            except Exception:
                self.errors += 1

    def on_request(self, summary: ParseOutcome) -> None:
        for o in self._observers:
            try:
                o.on_request(summary)
            except Exception:
                self.errors += 1
