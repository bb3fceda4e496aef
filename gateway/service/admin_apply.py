"""Apply a checked admin change to the stack: one place for the live API and the twin's timeline.

``parse_admin_change`` (``admin``) checks a body whole; this applies it at
``now`` and returns the state event that records it.  Pure: no I/O.
"""

from __future__ import annotations

from ..core.observer import StateEvent
from ..core.stack import Stack
from .admin import AdminChange, Unset

__all__ = ["apply_admin_change"]


def apply_admin_change(stack: Stack, change: AdminChange, now: float) -> StateEvent:
    if not isinstance(change.provider, Unset):
        stack.router.set_override(change.provider)
    modes: dict[str, bool | None] = {}
    if not isinstance(change.conservation, Unset):
        modes["conservation"] = change.conservation
    if not isinstance(change.degraded, Unset):
        modes["degraded"] = change.degraded
    if modes:
        stack.modes.set_manual(now, **modes)
    for name, action in change.breakers:
        breaker = stack.breakers[name]
        {"force_open": breaker.force_open, "disable": breaker.disable, "reset": breaker.reset}[action](now)
    return StateEvent(now, "admin", change.as_event())
