"""The user's client timeout runs from the request's *intended* send time, live and in the twin.

A harness that sends late must not give the stack extra time to answer: the user it stands for
started waiting at the intended time (coordinated omission).  A request sent after its user had
already given up still goes out, with the shortest timeout, and is recorded as a client timeout.

Pure: no I/O, no clock.
"""

from __future__ import annotations

__all__ = ["MIN_TIMEOUT_S", "client_timeout"]

MIN_TIMEOUT_S = 0.001


def client_timeout(timeout_s: float, intended_s: float, sent_s: float) -> float:
    """What is left of ``timeout_s`` when the request leaves at ``sent_s`` (same time base as intended)."""
    return max(timeout_s - max(sent_s - intended_s, 0.0), MIN_TIMEOUT_S)
