"""The gold probe's request: one due gold case down the users' path, judged (see ``gold_probe``).

Pure and sans-I/O like every flow: the service runs it from its probe loop, the twin from its own.
"""

from __future__ import annotations

from .effects import Flow
from .gold_probe import GoldProbe, judge
from .observer import StateEvent
from .parse_outcome import ParseOutcome
from .pipeline import parse_appointment
from .stack import Stack

__all__ = ["gold_probe_flow"]


def gold_probe_flow(stack: Stack, probe: GoldProbe | None = None) -> Flow:
    """Send the due gold case, if any, down the users' path and judge it; returns the ParseOutcome or None."""
    probe = stack.gold_probe if probe is None else probe
    now = stack.clock.now()
    case = probe.due(now)
    if case is None:
        return None
    outcome: ParseOutcome = yield from parse_appointment(stack, case.prompt, case.reference, now, probe=True)
    correct = judge(outcome.answer, case) if outcome.status == 200 and outcome.answer is not None else None
    probe.record(stack.clock.now(), correct)
    served_by = "cache" if outcome.cache_hit else "fallback" if outcome.fallback else outcome.provider
    stack.observer.on_state(StateEvent(now, "gold_probe", {
        "prompt": case.prompt, "status": outcome.status, "correct": correct, "source": served_by,
        "ratio": probe.ratio(stack.clock.now())}))
    return outcome
