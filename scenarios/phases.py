"""Phases of a scenario: named spans of its timeline, and the default ones cut at every fault window.

A scenario that names no phases still gets a useful timeline in its report:
``baseline`` before the first fault, ``fault 0`` / ``fault 0+1`` while windows
are active, ``between`` in a gap, ``recovery`` after the last window closes.
Pure.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from scenarios.faults import FaultWindow

__all__ = ["Phase", "derive_phases"]


@dataclass(frozen=True, slots=True)
class Phase:
    """A named span of the run; ``until_s`` None runs to its end (a scenario's phases are all closed)."""

    name: str
    at_s: float
    until_s: float | None = None

    def end(self, run_end_s: float) -> float:
        return run_end_s if self.until_s is None else self.until_s


def derive_phases(windows: Iterable[FaultWindow], duration_s: float) -> tuple[Phase, ...]:
    spans = [(w.index, w.at_s, min(w.end(duration_s), duration_s)) for w in windows]
    cuts = sorted({0.0, duration_s, *(at for _, at, _ in spans), *(until for _, _, until in spans)})
    cuts = [c for c in cuts if 0.0 <= c <= duration_s]
    last_end = max((until for _, _, until in spans), default=0.0)
    phases: list[Phase] = []
    seen_fault = False
    for start, end in itertools.pairwise(cuts):
        if end <= start:
            continue
        active = sorted(index for index, at, until in spans if at <= start and end <= until)
        if active:
            name = "fault " + "+".join(str(i) for i in active)
            seen_fault = True
        elif not seen_fault:
            name = "baseline"
        elif start >= last_end:
            name = "recovery"
        else:
            name = "between"
        if phases and phases[-1].name == name:
            phases[-1] = Phase(name, phases[-1].at_s, end)
        else:
            phases.append(Phase(name, start, end))
    return tuple(phases)
