"""Admission control: a global cap on user requests in flight.

Past the cap a request is shed at once (429 with Retry-After) instead of
joining a queue it would leave only after its client gave up.  So under
overload the requests that are admitted keep their latency — at most ``cap``
share the process — and memory stays bounded by ``cap`` requests, not by the
arrival rate times the longest wait.
"""

from __future__ import annotations

__all__ = ["Admission"]


class Admission:
    __slots__ = ("admitted", "cap", "in_flight", "peak", "shed")

    def __init__(self, cap: int) -> None:
        if type(cap) is not int or cap < 1:
            raise ValueError(f"Admission: cap must be an integer >= 1, got {cap!r}")
        self.cap = cap
        self.in_flight = 0
        self.peak = 0
        self.admitted = 0
        self.shed = 0

    def try_enter(self) -> bool:
        """Take a slot if one is free; every True must be followed by one ``leave()``."""
        if self.in_flight >= self.cap:
            self.shed += 1
            return False
        self.in_flight += 1
        self.admitted += 1
        if self.in_flight > self.peak:
            self.peak = self.in_flight
        return True

    def leave(self) -> None:
        if self.in_flight <= 0:
            raise RuntimeError("Admission.leave: no request is in flight")
        self.in_flight -= 1
