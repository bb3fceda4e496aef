"""Apply a plan's steps (toxics, proxy down/up, admin actions) at their times.

Runs in a thread and sleeps on an Event until each step is due (no busy-wait),
so ``stop()`` ends it at once.  Each applied step, or its failure, becomes an
``EventRecord`` written as it happens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from reports.records import EventRecord

from .plan import Step

Apply = Callable[[Step], None]


class TimelineDriver:
    def __init__(self, steps: Sequence[Step], epoch: float, apply: Apply,
                 record: Callable[[EventRecord], None]) -> None:
        self._steps = list(steps)
        self._epoch = epoch
        self._apply = apply
        self._record = record
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="timeline", daemon=True)
        self.applied: list[tuple[Step, str | None]] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        for step in self._steps:
            wait = self._epoch + step.at_s - time.monotonic()
            if wait > 0 and self._stop.wait(wait):
                return
            error: str | None = None
            try:
                self._apply(step)
            except Exception as exc:  # a failed step is recorded, and the run goes on
                error = f"{type(exc).__name__}: {exc}"
            self.applied.append((step, error))
            detail: dict[str, Any] = {"step": step.kind, "target": step.target, "body": step.body,
                                      "label": step.label, "planned_s": step.at_s}
            if error is not None:
                detail["error"] = error
            kind = "action" if step.kind == "admin" else "toxic"
            self._record(EventRecord(round(time.monotonic() - self._epoch, 6), kind, detail))
