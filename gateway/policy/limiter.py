"""The runbook's rate-limit queue (requests/min and tokens/min), without busy-waiting.

Pure: no I/O, no clock.  ``reserve(now, tokens)`` is a computation: it books the
earliest start time that keeps every window of ``window_s`` within ``rpm`` starts
and ``tpm`` tokens, and the caller sleeps until then (asyncio or SimPy, its choice).

Model: a sliding log of reservations ``(start_at, tokens)`` in FIFO order; each new
start is >= the previous one, so later callers never jump ahead.  A start ``s`` is
inside the window that ends at ``x`` when ``s + window_s > x`` — exactly that float
expression, everywhere, so a booked ``x = s + window_s`` is never off by a rounding.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from units.frozen_init import frozen_init

from ._validate import check_int, check_number, check_time

__all__ = ["Admit", "LimiterConfig", "RateLimitQueue", "Shed"]


@dataclass(frozen=True, slots=True)
class LimiterConfig:
    rpm: int | None = 100
    tpm: int | None = 60000
    window_s: float = 60.0
    max_queue: int = 50
    max_wait_s: float = 30.0

    def __post_init__(self) -> None:
        owner = "LimiterConfig"
        if self.rpm is not None:
            check_int(owner, "rpm", self.rpm, minimum=1)
        if self.tpm is not None:
            check_int(owner, "tpm", self.tpm, minimum=1)
        check_number(owner, "window_s", self.window_s, open_min=True)
        check_int(owner, "max_queue", self.max_queue, minimum=0)
        check_number(owner, "max_wait_s", self.max_wait_s)


@frozen_init   # one per call through a limiter (``units.frozen_init``)
@dataclass(frozen=True, slots=True)
class Admit:
    """Start at ``start_at``: now if it is <= now, else after waiting until then."""

    start_at: float


@frozen_init   # most calls to a provider past its rpm get one (``units.frozen_init``)
@dataclass(frozen=True, slots=True)
class Shed:
    """Refused: tell the client to come back after ``retry_after_s``.

    ``permanent`` marks a request that no amount of waiting would admit
    (more tokens than ``tpm``): the caller should fail it, not queue a retry.
    """

    retry_after_s: float
    reason: str
    permanent: bool = False


class RateLimitQueue:
    __slots__ = ("_starts", "_tokens", "_total_tokens", "config", "last_work")

    def __init__(self, config: LimiterConfig | None = None) -> None:
        if config is None:
            config = LimiterConfig()
        if not isinstance(config, LimiterConfig):
            raise ValueError(f"RateLimitQueue: config must be a LimiterConfig, got {config!r}")
        self.config = config
        # Parallel lists, sorted by start (FIFO bookings are non-decreasing).
        self._starts: list[float] = []
        self._tokens: list[int] = []
        self._total_tokens = 0
        #: Entries inspected by the last ``reserve``: the proof that it is O(log), not a loop over time.
        self.last_work = 0

    # -- reading -------------------------------------------------------------------------------

    def queued(self, now: float) -> int:
        """Reservations booked to start after ``now`` (callers still waiting)."""
        return len(self._starts) - bisect.bisect_right(self._starts, now)

    def backlog(self) -> int:
        """Reservations still held in the log (those that can affect a future booking)."""
        return len(self._starts)

    def reservations(self) -> list[tuple[float, int]]:
        return list(zip(self._starts, self._tokens, strict=True))

    def earliest_start(self, now: float, tokens: int) -> float:
        """When a call of ``tokens`` could start if booked now, without booking it (queue depth and
        ``max_wait_s`` aside): what a caller deciding whether to wait needs to know."""
        check_time("RateLimitQueue.earliest_start", now)
        cfg = self.config
        if cfg.tpm is not None and tokens > cfg.tpm:
            return float("inf")
        if cfg.rpm is None and cfg.tpm is None:
            return now
        self._prune(now)
        return self._earliest_start(now, tokens)

    # -- booking -------------------------------------------------------------------------------

    def reserve(self, now: float, tokens: int) -> Admit | Shed:
        check_time("RateLimitQueue.reserve", now)
        if (type(tokens) is not int or tokens < 0) and (
                isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0):
            raise ValueError(f"RateLimitQueue.reserve: tokens must be an integer >= 0, got {tokens!r}")
        cfg = self.config
        if cfg.tpm is not None and tokens > cfg.tpm:
            return Shed(
                retry_after_s=cfg.window_s,
                reason=f"request needs {tokens} tokens but the limit is {cfg.tpm} tokens per "
                f"{cfg.window_s:g}s window: it can never be admitted",
                permanent=True,
            )
        if cfg.rpm is None and cfg.tpm is None:
            self.last_work = 0
            return Admit(now)
        self._prune(now)
        start = self._earliest_start(now, tokens)
        waiting = self.queued(now)
        if start > now and waiting >= cfg.max_queue:
            # Room appears when the waiter `max_queue` places from the back has started.
            idx = len(self._starts) - max(cfg.max_queue, 1)
            free_at = self._starts[idx] if cfg.max_queue > 0 else start
            return Shed(
                retry_after_s=max(free_at - now, 0.001),
                reason=f"rate-limit queue full: {waiting} requests waiting (max_queue {cfg.max_queue})",
            )
        wait = start - now
        if wait > cfg.max_wait_s:
            return Shed(
                retry_after_s=wait,
                reason=f"rate limit: next start in {wait:.3f}s exceeds max_wait_s {cfg.max_wait_s:g}s",
            )
        self._starts.append(start)
        self._tokens.append(tokens)
        self._total_tokens += tokens
        return Admit(start)

    def cancel(self, start_at: float, tokens: int) -> bool:
        """Give back a reservation whose call was never made; False if there is none such."""
        lo = bisect.bisect_left(self._starts, start_at)
        hi = bisect.bisect_right(self._starts, start_at)
        # Dropping any booking only lowers every window's counts, so FIFO order stays valid.
        for i in range(hi - 1, lo - 1, -1):
            if self._tokens[i] == tokens:
                del self._starts[i]
                del self._tokens[i]
                self._total_tokens -= tokens
                return True
        return False

    # -- internals -----------------------------------------------------------------------------

    def _prune(self, now: float) -> None:
        # A start whose window closed by `now` cannot share a window with any booking >= now.
        window = self.config.window_s
        starts = self._starts
        n = 0
        for s in starts:
            if s + window > now:
                break
            n += 1
        if n:
            self._total_tokens -= sum(self._tokens[:n])
            del starts[:n]
            del self._tokens[:n]

    def _earliest_start(self, now: float, tokens: int) -> float:
        cfg = self.config
        starts = self._starts
        start = now
        work = 0
        if starts and starts[-1] > start:
            start = starts[-1]  # FIFO: never ahead of an earlier booking
        rpm = cfg.rpm
        if rpm is not None and len(starts) >= rpm:
            # The rpm-th latest booking must have left the window ending at `start`.
            start = max(start, starts[-rpm] + cfg.window_s)
            work += 1
        tpm = cfg.tpm
        if tpm is not None and self._total_tokens + tokens > tpm:
            # Drop the oldest bookings from consideration until the rest fit beside `tokens`.
            excess = self._total_tokens + tokens - tpm
            i = 0
            while excess > 0:
                excess -= self._tokens[i]
                i += 1
            work += i
            start = max(start, starts[i - 1] + cfg.window_s)
        self.last_work = work
        return start
