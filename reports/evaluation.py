"""What evaluating the runbook's rules over a run found: the result model, apart from how it is computed.

A ``RuleEvaluation`` holds one rule's points on the evaluation grid, its firing intervals and its
detections of each fault; ``Evaluation`` holds every rule's.  Span queries (``firing_during``, which
severity asks once per window) are O(log points) over prefix counts built once.  ``reports.evaluate``
computes these; the writers, notes, severity and expectations only read them.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .rules import Rule

__all__ = ["FIRED", "NO_DATA", "SILENT", "Detection", "Evaluation", "RuleEvaluation", "RulePoint"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: What a rule did in a span: fired; was evaluable and did not fire; had no evaluable point.
FIRED, SILENT, NO_DATA = "fired", "did not fire", "no data"


@dataclass(frozen=True, slots=True)
class RulePoint:
    t_s: float
    value: float | None  # None: nothing to aggregate in the window
    threshold: float
    samples: int
    firing: bool
    evaluable: bool = True  # enough samples to judge (False: "no data" at this point)


@dataclass(frozen=True, slots=True)
class Detection:
    fault: int
    at_s: float
    detected_s: float | None
    time_to_detect_s: float | None


@dataclass(frozen=True, slots=True, eq=False)
class RuleEvaluation:
    rule: Rule
    points: tuple[RulePoint, ...]
    intervals: tuple[tuple[float, float], ...]
    detections: tuple[Detection, ...]
    # prefix counts over the points, for O(log n) span queries (severity asks once per window)
    _t: FloatArray = field(repr=False)
    _firing_before: IntArray = field(repr=False)
    _evaluable_before: IntArray = field(repr=False)

    @classmethod
    def of(
        cls, rule: Rule, points: Sequence[RulePoint], detections: Sequence[Detection]
    ) -> RuleEvaluation:
        t = np.fromiter((p.t_s for p in points), dtype=np.float64, count=len(points))
        firing = np.fromiter((p.firing for p in points), dtype=np.int64, count=len(points))
        evaluable = np.fromiter((p.evaluable for p in points), dtype=np.int64, count=len(points))
        zero = np.zeros(1, dtype=np.int64)
        return cls(
            rule,
            tuple(points),
            _intervals(points),
            tuple(detections),
            t,
            np.concatenate([zero, np.cumsum(firing)]),
            np.concatenate([zero, np.cumsum(evaluable)]),
        )

    @property
    def fired(self) -> bool:
        return bool(self.intervals)

    @property
    def first_fired_s(self) -> float | None:
        return self.intervals[0][0] if self.intervals else None

    @property
    def evaluable(self) -> bool:
        """Whether any point had enough samples to judge."""
        return bool(self._evaluable_before[-1])

    @property
    def status(self) -> str:
        return FIRED if self.fired else SILENT if self.evaluable else NO_DATA

    def _range(self, start_s: float, end_s: float) -> tuple[int, int]:
        a = int(np.searchsorted(self._t, start_s, side="left"))
        b = int(np.searchsorted(self._t, end_s, side="right"))
        return a, max(a, b)

    def first_firing_at_or_after(self, t_s: float) -> float | None:
        a = int(np.searchsorted(self._t, t_s, side="left"))
        later = np.flatnonzero(self._firing_before[a + 1 :] > self._firing_before[a])
        return None if later.size == 0 else float(self._t[a + int(later[0])])

    def firing_during(self, start_s: float, end_s: float) -> bool:
        """Whether any firing point falls in ``[start_s, end_s]``."""
        a, b = self._range(start_s, end_s)
        return bool(self._firing_before[b] - self._firing_before[a])

    def evaluable_during(self, start_s: float, end_s: float) -> bool:
        a, b = self._range(start_s, end_s)
        return bool(self._evaluable_before[b] - self._evaluable_before[a])

    def status_during(self, start_s: float, end_s: float) -> str:
        if self.firing_during(start_s, end_s):
            return FIRED
        return SILENT if self.evaluable_during(start_s, end_s) else NO_DATA

    def detection(self, fault: int) -> Detection | None:
        for d in self.detections:
            if d.fault == fault:
                return d
        return None


@dataclass(frozen=True, slots=True)
class Evaluation:
    step_s: float
    end_s: float
    rules: tuple[RuleEvaluation, ...]

    def rule(self, rule_id: str) -> RuleEvaluation | None:
        for r in self.rules:
            if r.rule.id == rule_id:
                return r
        return None

    def firing_during(self, start_s: float, end_s: float) -> tuple[str, ...]:
        return tuple(r.rule.id for r in self.rules if r.firing_during(start_s, end_s))

    def runbook_firing_during(self, start_s: float, end_s: float) -> tuple[str, ...]:
        """Only the runbook's own rules: P4 by the runbook's letter knows no added alert."""
        return tuple(
            r.rule.id for r in self.rules if r.rule.origin == "runbook" and r.firing_during(start_s, end_s)
        )



def _intervals(points: Sequence[RulePoint]) -> tuple[tuple[float, float], ...]:
    out: list[tuple[float, float]] = []
    start: float | None = None
    for p in points:
        if p.firing and start is None:
            start = p.t_s
        elif not p.firing and start is not None:
            out.append((start, p.t_s))
            start = None
    if start is not None:
        out.append((start, points[-1].t_s))
    return tuple(out)

