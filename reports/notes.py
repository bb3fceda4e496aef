"""Why a rule said what it said, in a sentence, where the bare verdict would mislead.

- A rule with no evaluable window says "no data" and why (too few samples for its minimum; for the
  gold-probe rule, no probe at all).
- ``down.connection_errors_1m`` counts connection attempts (``reports.rules``).  When it stayed silent
  while a breaker was open, the note says plainly that the open breaker stopped the attempts, so the
  dead provider shows in severity and the breaker, not in this count.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from .evaluation import FIRED, NO_DATA, RuleEvaluation
from .records import EventRecord

__all__ = ["CONNECTION_RULE", "rule_note"]

CONNECTION_RULE = "down.connection_errors_1m"
_OPEN = frozenset({"open", "forced_open"})


def _opened(events: Sequence[EventRecord]) -> list[tuple[float, str]]:
    return sorted(
        (e.t_s, str(e.detail.get("provider", "?")))
        for e in events
        if e.kind == "breaker" and str(e.detail.get("to_state", "")).lower() in _OPEN
    )


def rule_note(ev: RuleEvaluation, events: Sequence[EventRecord]) -> str:
    """A sentence for the report beside the rule, or ``""``."""
    if ev.status == NO_DATA and ev.rule.source == "events" and not any(e.kind == ev.rule.event_kind for e in events):
        return (
            f"no data: no {ev.rule.event_kind} event in the run (the gateway's gold probe had no cases, or did "
            "not run); this is not the same as 'did not fire'"
        )
    if ev.status == NO_DATA:
        need = ev.rule.min_samples
        return (
            f"no data: no {ev.rule.window_s:g} s window held "
            + (f"the {need} samples the rule needs" if need > 1 else "a single sample")
            + "; this is not the same as 'did not fire'"
        )
    if ev.rule.id == CONNECTION_RULE and ev.status != FIRED:
        opened = _opened(events)
        if opened:
            peak = max((p.value or 0.0 for p in ev.points), default=0.0)
            who = ", ".join(sorted({p for _, p in opened}))
            return (
                f"silent by design: the breaker of {who} opened (first at {opened[0][0]:g} s) and an open "
                f"breaker makes no connection attempts, so connection errors stop accruing "
                f"(at most {peak:g} in any {ev.rule.window_s:g} s, threshold {ev.rule.threshold:g}). "
                "The runbook's metric counts attempts; page on the breaker's state instead (its events show the "
                "dead provider), and severity shows whether users were failed."
            )
    return ""
