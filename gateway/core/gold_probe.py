"""The gold probe: known prompts with known answers, sent down the users' path.

The runbook's diagnosis step 3 checks by hand that a known prompt still parses right; a fast 200
with high confidence and the wrong appointment trips no other alert (issue 13).  This does it
continuously: every ``interval_s`` one gold case (in turn) goes through ``parse_appointment`` —
cache, similarity index, router, fallback and all, so a cache that serves wrong answers is seen —
and the answer is judged against the case's entities.  ``ratio`` is the share judged correct over
the last ``window_s``: the gateway's ``parsing_gold_probe_correct_ratio``.

Pure: no I/O, no clock of its own (``now`` is passed in).  The gateway has no gold corpus (it must
not import the fakes): the cases come from its config.  ``gold_flow`` sends them.

Judging is the load generator's rule (``workload.outcome.is_correct``, which the gateway may not
import): contact, resolved date and resolved time equal, ignoring case, Unicode form and spacing;
a field gold leaves empty must be empty.  A probe that got no answer (429/503) is not judged — an
outage has alerts of its own — but it is counted.
"""

from __future__ import annotations

import unicodedata
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = ["GoldCase", "GoldProbe", "judge"]


@dataclass(frozen=True, slots=True)
class GoldCase:
    prompt: str
    reference: date
    contacto: str | None
    fecha: str | None      # the resolved day, ISO (YYYY-MM-DD)
    hora: str | None       # HH:MM

    def __post_init__(self) -> None:
        if not isinstance(self.prompt, str) or not self.prompt.strip():
            raise ValueError(f"GoldCase.prompt must be a non-empty string, got {self.prompt!r}")
        if not isinstance(self.reference, date):
            raise ValueError(f"GoldCase.reference must be a date, got {self.reference!r}")


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _same(got: object, want: str | None) -> bool:
    if want is None or got is None:
        return got is None and want is None
    return isinstance(got, str) and _norm(got) == _norm(want)


def _resolved(entities: Mapping[str, Any], key: str) -> object:
    field = entities.get(key)
    return field.get("resolved") if isinstance(field, Mapping) else None


def judge(body: Mapping[str, Any], case: GoldCase) -> bool:
    """Whether a parse answer's body gives ``case``'s appointment."""
    entities = body.get("entities")
    if not isinstance(entities, Mapping):
        return False
    return (_same(entities.get("contacto"), case.contacto)
            and _same(_resolved(entities, "fecha"), case.fecha)
            and _same(_resolved(entities, "hora"), case.hora))


class GoldProbe:
    """Which case is due, and the recent verdicts."""

    __slots__ = ("_cases", "_next", "_next_at", "_verdicts", "answered", "correct", "interval_s", "unanswered",
                 "window_s")

    def __init__(self, cases: Iterable[GoldCase], interval_s: float, window_s: float) -> None:
        self._cases: Sequence[GoldCase] = tuple(cases)
        if not interval_s > 0:
            raise ValueError(f"GoldProbe.interval_s must be > 0, got {interval_s!r}")
        if not window_s > 0:
            raise ValueError(f"GoldProbe.window_s must be > 0, got {window_s!r}")
        self.interval_s = interval_s
        self.window_s = window_s
        self._next = 0
        self._next_at: float | None = None
        self._verdicts: deque[tuple[float, bool]] = deque()
        #: totals since start: probes judged, judged correct, and probes that got no answer
        self.answered = 0
        self.correct = 0
        self.unanswered = 0

    @property
    def enabled(self) -> bool:
        return bool(self._cases)

    def due(self, now: float) -> GoldCase | None:
        """The case to send now, at most one per ``interval_s`` (the first at once), in turn."""
        if not self._cases or (self._next_at is not None and now < self._next_at):
            return None
        case = self._cases[self._next]
        self._next = (self._next + 1) % len(self._cases)
        self._next_at = now + self.interval_s
        return case

    def record(self, now: float, correct: bool | None) -> None:
        """One probe's verdict; None when it got no answer to judge."""
        if correct is None:
            self.unanswered += 1
            return
        self.answered += 1
        self.correct += correct
        self._verdicts.append((now, correct))
        self._prune(now)

    def ratio(self, now: float) -> float | None:
        """Correct / judged over the last ``window_s``; None with nothing judged in it."""
        self._prune(now)
        if not self._verdicts:
            return None
        return sum(ok for _, ok in self._verdicts) / len(self._verdicts)

    def _prune(self, now: float) -> None:
        horizon = now - self.window_s
        while self._verdicts and self._verdicts[0][0] <= horizon:
            self._verdicts.popleft()
