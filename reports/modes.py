"""The one schema of a mode change in ``events.jsonl``, and the spans a mode was on.

The gateway (``gateway.core.stack.Stack._on_mode``) writes every ``ModeChange`` of its mode
controller as ``EventRecord(kind="mode", detail={"mode": "degraded" | "conservation", "active": bool,
"source": "manual" | "auto" | None, "reason": str, ...})``; the twin writes the same records through
the same code.  This module is the only reader: the degradation thresholds of the runbook apply
while ``mode == "degraded"`` is active.

A ``kind="mode"`` event that does not have that shape is a data problem (``mode_event_problems``),
reported as such, never silently read as "not degraded".

Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .records import EventRecord

__all__ = ["MODE_KIND", "MODE_NAMES", "ModeEvent", "mode_event", "mode_event_problems", "mode_spans"]

MODE_KIND = "mode"
MODE_NAMES = ("conservation", "degraded")

Spans = tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class ModeEvent:
    t_s: float
    mode: str
    active: bool
    source: str | None = None
    reason: str = ""


def mode_event(ev: EventRecord) -> ModeEvent | None:
    """The mode change an event records; None for another kind or a malformed detail."""
    if ev.kind != MODE_KIND:
        return None
    d = ev.detail
    mode, active = d.get("mode"), d.get("active")
    if mode not in MODE_NAMES or not isinstance(active, bool):
        return None
    source = d.get("source")
    return ModeEvent(ev.t_s, str(mode), active, source if isinstance(source, str) else None, str(d.get("reason", "")))


def mode_event_problems(events: Sequence[EventRecord]) -> tuple[str, ...]:
    bad = [e for e in events if e.kind == MODE_KIND and mode_event(e) is None]
    if not bad:
        return ()
    first = bad[0]
    return (
        f"{len(bad)} mode event(s) without the gateway's shape "
        f'{{"mode": one of {"/".join(MODE_NAMES)}, "active": bool}}; first at {first.t_s:g}s: {first.detail!r}',
    )


def mode_spans(events: Sequence[EventRecord], mode: str, end_s: float) -> Spans:
    """Closed spans ``[on, off]`` during which ``mode`` was active; one still on ends at ``end_s``."""
    if mode not in MODE_NAMES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODE_NAMES)}")
    changes = sorted(
        (m for m in map(mode_event, events) if m is not None and m.mode == mode), key=lambda m: m.t_s
    )
    spans: list[tuple[float, float]] = []
    since: float | None = None
    for m in changes:
        if m.active and since is None:
            since = m.t_s
        elif not m.active and since is not None:
            spans.append((since, m.t_s))
            since = None
    if since is not None:
        spans.append((since, max(end_s, since) if math.isfinite(end_s) else math.inf))
    return tuple(spans)
