"""Provider-side fault rules of a scenario, and the fault windows that expectations number.

A :class:`FaultRule` is kept as written: the fakes' fault parser owns its meaning
(``fake_providers.faults``). A :class:`FaultWindow` is where any fault — a rule here or a
network fault (``scenarios.network``) — is active, as ``fault N`` in expectations and the
``faults`` of a report's ``run.json`` (``reports.runinfo``) say it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from scenarios.frozen import thaw

__all__ = ["FaultRule", "FaultWindow"]


@dataclass(frozen=True, slots=True)
class FaultRule:
    """One provider-side fault rule (docs/contracts.md §4); ``rule`` as written, for the fakes' parser."""

    index: int
    at_s: float
    until_s: float | None
    provider: str
    effect: str
    label: str
    rule: Mapping[str, Any]
    line: int

    def plan_entry(self) -> dict[str, Any]:
        """A fresh plain copy of the rule for ``PUT /_control/faults`` (``label`` is ours and left out)."""
        entry: dict[str, Any] = thaw(self.rule)
        entry.pop("label", None)
        return entry


@dataclass(frozen=True, slots=True)
class FaultWindow:
    """Where a fault is active, in the numbering expectations use (``fault N``).

    ``until_s`` None runs to the end of the run (a report's ``run.json`` may say so);
    :meth:`Scenario.windows` closes every window at the scenario's duration.
    """

    index: int
    at_s: float
    until_s: float | None = None
    provider: str = "*"
    label: str = ""
    kind: Literal["fault", "network"] = "fault"

    def __post_init__(self) -> None:
        if self.until_s is not None and self.until_s < self.at_s:
            raise ValueError(f"faults[{self.index}]: until ({self.until_s}) is before at ({self.at_s})")

    def end(self, run_end_s: float) -> float:
        """Where the window closes in a run that ends at ``run_end_s``."""
        return run_end_s if self.until_s is None else self.until_s
