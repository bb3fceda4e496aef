"""The provider service model: ``c`` concurrency slots, a bounded queue, service time from the answer.

A provider serves at most ``concurrency`` requests at once, first come first
served; up to ``queue`` more wait for a slot and past that the provider answers
with its own 429 or 503.  A request's service time is its time to first token
(the engine's decided latency, unless ``ttft`` is given) plus its completion
tokens at ``tokens_per_s``: a long answer holds its slot longer.

``ServiceQueue`` is exact FCFS for arrivals in time order: the start of a
request is the later of its arrival and the earliest time a slot frees, known
at admission because its service time is.  Pure: the caller passes ``now``; no
clock, no I/O.  The SimPy twin and the live fakes drive the same object:
``reply.serve`` re-times a reply through it.

In a fault plan it is the ``service:`` rule kind, e.g. ``service: {concurrency: 4,
queue: 8, tokens_per_s: 50, ttft: 300ms, overflow_status: 429}``; ``ttft`` is a
duration and scales with the plan, ``tokens_per_s`` is per scaled second (as in
``stream:``), concurrency and queue are counts and do not scale.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, replace
from typing import ClassVar

from fake_providers.faults.decisions import HttpError
from fake_providers.faults.durations import parse_duration
from fake_providers.faults.problems import FaultPlanError, check_keys, expect_mapping, join, read_int, read_number
from fake_providers.faults.registry import register

__all__ = ["OVERFLOW_STATUSES", "ServiceEffect", "ServiceQueue", "ServiceSpec"]

OVERFLOW_STATUSES = (429, 503)


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    concurrency: int
    queue: int | None = None          # None: unbounded
    tokens_per_s: float | None = None  # None: tokens cost no time beyond the first
    ttft_s: float | None = None        # None: the engine's decided latency
    overflow_status: int = 503

    def __post_init__(self) -> None:
        if isinstance(self.concurrency, bool) or not isinstance(self.concurrency, int) or self.concurrency < 1:
            raise ValueError(f"concurrency: must be an integer >= 1, got {self.concurrency!r}")
        if self.queue is not None and (isinstance(self.queue, bool) or not isinstance(self.queue, int)
                                       or self.queue < 0):
            raise ValueError(f"queue: must be an integer >= 0 or None, got {self.queue!r}")
        if self.tokens_per_s is not None and not (math.isfinite(self.tokens_per_s) and self.tokens_per_s > 0):
            raise ValueError(f"tokens_per_s: must be a finite number > 0, got {self.tokens_per_s!r}")
        if self.ttft_s is not None and not (math.isfinite(self.ttft_s) and self.ttft_s >= 0):
            raise ValueError(f"ttft_s: must be a finite number >= 0, got {self.ttft_s!r}")
        if self.overflow_status not in OVERFLOW_STATUSES:
            raise ValueError(f"overflow_status: must be one of {OVERFLOW_STATUSES}, got {self.overflow_status!r}")

    def service_s(self, decided_latency_s: float, completion_tokens: int) -> float:
        first = decided_latency_s if self.ttft_s is None else self.ttft_s
        if self.tokens_per_s is None:
            return first
        return first + max(completion_tokens - 1, 0) / self.tokens_per_s

    def overflow(self) -> HttpError:
        code = "rate_limit_exceeded" if self.overflow_status == 429 else None
        return HttpError(self.overflow_status, code)


class ServiceQueue:
    """The slots and queue of one provider, in time order."""

    __slots__ = ("_free", "_last", "_waiting", "spec")

    def __init__(self, spec: ServiceSpec) -> None:
        self.spec = spec
        self._free = [0.0] * spec.concurrency   # min-heap: when each slot is next free
        self._waiting: list[float] = []          # min-heap: start times still in the future
        self._last = -math.inf

    def waiting(self, now: float) -> int:
        """Requests admitted but not yet in service at ``now``."""
        self._drain(now)
        return len(self._waiting)

    def admit(self, now: float, service_s: float) -> float | HttpError:
        """When the request arriving at ``now`` starts service, or the provider's overflow error."""
        if now < self._last:
            raise ValueError(f"arrivals must come in time order ({now} after {self._last})")
        if not (service_s >= 0 and math.isfinite(service_s)):
            raise ValueError(f"service_s: must be a finite number >= 0, got {service_s!r}")
        self._last = now
        self._drain(now)
        free = self._free
        start = free[0] if free[0] > now else now
        if start > now:
            limit = self.spec.queue
            if limit is not None and len(self._waiting) >= limit:
                return self.spec.overflow()
            heapq.heappush(self._waiting, start)
        heapq.heapreplace(free, start + service_s)
        return start

    def _drain(self, now: float) -> None:
        w = self._waiting
        while w and w[0] <= now:
            heapq.heappop(w)


@dataclass(frozen=True, slots=True)
class ServiceEffect:
    """The ``service:`` rule: a ``ServiceSpec`` as a plan writes it (rates per scaled second)."""

    slot: ClassVar[str] = "service"
    kind: ClassVar[str] = "service"

    concurrency: int
    queue: int | None = None
    tokens_per_s: float | None = None   # per scaled second
    ttft_s: float | None = None
    overflow_status: int = 503

    @classmethod
    def parse(cls, value: object, where: str) -> ServiceEffect:
        body = expect_mapping(value, where)
        keys = ("concurrency", "queue", "tokens_per_s", "ttft", "overflow_status")
        check_keys(body, keys, where, required=("concurrency",))
        concurrency = read_int(body["concurrency"], join(where, "concurrency"), minimum=1)
        queue = None if body.get("queue") is None else read_int(body["queue"], join(where, "queue"))
        rate = None
        if body.get("tokens_per_s") is not None:
            # the same bounds as ``stream:``: slower is a hang, faster is the wire's limit
            rate = read_number(body["tokens_per_s"], join(where, "tokens_per_s"), minimum=0.001, maximum=1e6)
        ttft = None if body.get("ttft") is None else parse_duration(body["ttft"], join(where, "ttft"))
        status = read_int(body.get("overflow_status", 503), join(where, "overflow_status"), minimum=400,
                          maximum=599)
        if status not in OVERFLOW_STATUSES:
            raise FaultPlanError(join(where, "overflow_status"),
                                 f"must be one of {', '.join(map(str, OVERFLOW_STATUSES))}, got {status}")
        return cls(concurrency, queue, rate, ttft, status)

    def spec(self, time_scale: float) -> ServiceSpec:
        """The real-time spec (``ttft`` already scaled; the rate converted here)."""
        rate = None if self.tokens_per_s is None else self.tokens_per_s / time_scale
        return ServiceSpec(self.concurrency, self.queue, rate, self.ttft_s, self.overflow_status)

    def scaled(self, factor: float) -> ServiceEffect:
        return replace(self, ttft_s=None if self.ttft_s is None else self.ttft_s * factor)

    def to_json(self) -> object:
        out: dict[str, object] = {"concurrency": self.concurrency}
        if self.queue is not None:
            out["queue"] = self.queue
        if self.tokens_per_s is not None:
            out["tokens_per_s"] = self.tokens_per_s
        if self.ttft_s is not None:
            out["ttft"] = self.ttft_s
        if self.overflow_status != 503:
            out["overflow_status"] = self.overflow_status
        return out


register("service", ServiceEffect.parse)
