"""What a metric may look at in a run: the small protocol of columns that ``reports`` supplies.

A metric's evaluator (``scenarios.expectations.metrics``) says which requests, calls or samples it is
over; the run (``reports.expect_metrics.RunData``) counts them over its columns.  So the meaning of a
metric is written once, beside its name, and ``scenarios`` still imports nothing of ``reports``.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["RunView", "Samples", "Span", "Undefined", "Where", "samples_in"]

#: a window of the run, ``(start_s, end_s)`` on the report's time base (``end_s`` may be ``inf``)
Span = tuple[float, float]


class Undefined(Exception):
    """A metric with no value in its window (no data, unknown fault, division by zero)."""


@dataclass(frozen=True, slots=True)
class Where:
    """A population of a window's requests, as data: every condition that is set must hold."""

    sent: bool = False  # the request left the client
    outcome: str | None = None  # ``ok``, ``failed`` or ``lost``
    flag: str | None = None  # a flag column is set (``shed``, ``fallback``, ``json_error`` ...)
    known: str | None = None  # the field was recorded (not None)
    truthy: str | None = None  # the field is true, as ``bool(getattr(record, name))`` says
    asked_llm: bool = False  # the gateway made at least one provider attempt


class Samples(Protocol):
    """The raw values of one quantity in a window, in record order."""

    @property
    def size(self) -> int: ...

    def max(self) -> float: ...

    def mean(self) -> float: ...

    def percentile(self, q: float) -> float: ...


class RunView(Protocol):
    """The columns of a run that a metric's evaluator reads."""

    def count_requests(self, span: Span, where: Where) -> int: ...

    def count_calls(self, span: Span, provider: str | None) -> int: ...

    def samples(self, quantity: str, span: Span) -> Samples: ...

    def severity_max(self, span: Span) -> str: ...


def samples_in(run: RunView, quantity: str | None, span: Span) -> Samples:
    """The samples of ``quantity`` in the window; none at all leaves the metric undefined."""
    assert quantity is not None
    found = run.samples(quantity, span)
    if not found.size:
        raise Undefined(f"no {quantity} values in the window")
    return found
