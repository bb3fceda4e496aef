"""One metric of the expectation language: its name, what it takes, the kind of its value and its meaning.

A module of ``scenarios.expectations.metrics`` declares its metrics as :class:`MetricDef` values; the
parser, the formatter's units and the report's evaluation all read them there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from scenarios.expectations.measure import RunView, Span

__all__ = ["Evaluator", "MetricDef", "MetricKind"]

MetricKind = Literal["duration", "fraction", "count", "number", "severity"]

#: how a metric is worth over a window: (its argument, the run, the window) -> its value
Evaluator = Callable[[str | None, RunView, Span], float | str]


@dataclass(frozen=True, slots=True)
class MetricDef:
    """``takes`` is what a function metric measures (``rate(failed)``); None makes a bare metric
    (``severity.max``), which ``takes_provider`` lets name a provider (``calls(qwen)``)."""

    name: str
    takes: tuple[str, ...] | None
    kind: MetricKind
    evaluate: Evaluator
    takes_provider: bool = False
    #: the kind for some arguments, where it is not ``kind`` (``avg(confidence)`` is a number)
    kind_by_arg: Mapping[str, MetricKind] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.takes is not None and (not self.takes or self.takes_provider):
            raise ValueError(f"metric {self.name!r}: a function takes at least one argument and no provider")

    def kind_of(self, arg: str | None) -> MetricKind:
        return self.kind_by_arg.get(arg, self.kind) if arg is not None else self.kind
