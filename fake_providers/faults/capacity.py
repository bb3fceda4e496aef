"""``capacity:`` — a provider with ``concurrency`` slots and a bounded queue.

Latency grows with load (a queued request waits its place times the mean
service time over the slots) and past the queue the provider answers 503.
:class:`CapacityModel` is pure: the caller passes ``now``; the live fakes and
the SimPy twin drive the same object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from fake_providers.faults.decisions import HttpError
from fake_providers.faults.problems import check_keys, expect_mapping, join, read_int
from fake_providers.faults.registry import register

__all__ = ["CapacityEffect", "CapacityModel"]

_EWMA = 0.2  # weight of the newest service time in the running mean


class CapacityModel:
    __slots__ = ("concurrency", "in_flight", "queue", "service_s")

    def __init__(self, concurrency: int, queue: int, service_s: float = 0.6) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        if queue < 0:
            raise ValueError(f"queue must be >= 0, got {queue}")
        self.concurrency, self.queue = concurrency, queue
        self.service_s = max(service_s, 0.0)
        self.in_flight = 0

    def enter(self, now: float) -> float | HttpError:
        """The estimated wait before service starts, or a 503 when slots and queue are full."""
        if self.in_flight >= self.concurrency + self.queue:
            return HttpError(503)
        position = self.in_flight - self.concurrency + 1
        self.in_flight += 1
        return 0.0 if position <= 0 else position * self.service_s / self.concurrency

    def leave(self, now: float, started: float | None = None) -> None:
        """A request left; ``started`` (when its service began) teaches the model the service time."""
        if self.in_flight == 0:
            raise ValueError("leave() without a matching enter()")
        self.in_flight -= 1
        if started is not None and now >= started:
            self.service_s += _EWMA * ((now - started) - self.service_s)


@dataclass(frozen=True, slots=True)
class CapacityEffect:
    slot: ClassVar[str] = "capacity"
    kind: ClassVar[str] = "capacity"

    concurrency: int
    queue: int

    @classmethod
    def parse(cls, value: object, where: str) -> CapacityEffect:
        body = expect_mapping(value, where)
        check_keys(body, ("concurrency", "queue"), where, required=("concurrency",))
        concurrency = read_int(body["concurrency"], join(where, "concurrency"), minimum=1)
        queue = read_int(body.get("queue", 0), join(where, "queue"))
        return cls(concurrency, queue)

    def scaled(self, factor: float) -> CapacityEffect:
        return self

    def to_json(self) -> object:
        return {"concurrency": self.concurrency, "queue": self.queue}


register("capacity", CapacityEffect.parse)
