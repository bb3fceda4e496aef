"""RateLimitQueue as a hypothesis state machine, checked against a brute-force oracle.

The oracle re-derives every booking from the live reservations alone: with FIFO
starts, only the window that ends at a candidate start can overflow, and the
earliest start is ``max(now, last start)`` or some ``start + window_s``.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)

from gateway.policy.limiter import Admit, LimiterConfig, RateLimitQueue, Shed


@dataclass(slots=True)
class _Booking:
    start: float
    tokens: int
    made_at: float
    wait: float
    live: bool = True


def _in_window(start: float, window_s: float, x: float) -> bool:
    # The limiter's own expression: a start is inside the window ending at x when start + w > x.
    return start + window_s > x


configs = st.builds(
    LimiterConfig,
    rpm=st.one_of(st.none(), st.integers(1, 6)),
    tpm=st.one_of(st.none(), st.integers(10, 200)),
    window_s=st.sampled_from([1.0, 10.0, 30.0, 60.0]),
    max_queue=st.integers(0, 5),
    max_wait_s=st.sampled_from([0.0, 5.0, 30.0, 120.0]),
)


class LimiterMachine(RuleBasedStateMachine):
    bookings = Bundle("bookings")

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.log: list[_Booking] = []
        self.cfg = LimiterConfig()
        self.queue = RateLimitQueue(self.cfg)

    @initialize(cfg=configs, start=st.floats(0.0, 1e6))
    def setup(self, cfg: LimiterConfig, start: float) -> None:
        self.cfg = cfg
        self.queue = RateLimitQueue(cfg)
        self.now = start

    def _live(self) -> list[_Booking]:
        return [b for b in self.log if b.live]

    def _fits(self, c: float, tokens: int) -> bool:
        cfg = self.cfg
        inside = [b for b in self._live() if _in_window(b.start, cfg.window_s, c)]
        if cfg.rpm is not None and len(inside) + 1 > cfg.rpm:
            return False
        return cfg.tpm is None or sum(b.tokens for b in inside) + tokens <= cfg.tpm

    def _earliest(self, tokens: int) -> float:
        live = self._live()
        floor = max([self.now] + [b.start for b in live])
        candidates = sorted({floor} | {b.start + self.cfg.window_s for b in live
                                       if b.start + self.cfg.window_s > floor})
        for c in candidates:
            if self._fits(c, tokens):
                return c
        raise AssertionError("oracle: no candidate start fits, which cannot happen for tokens <= tpm")

    @rule(dt=st.floats(0.0, 90.0))
    def advance(self, dt: float) -> None:
        self.now += dt

    @rule(pick=st.integers(0, 100), offset=st.sampled_from([-0.5, -1e-6, 0.0, 1e-6, 0.5]))
    def advance_to_boundary(self, pick: int, offset: float) -> None:
        # Uniform advances almost never land next to a window edge, where off-by-one bugs live.
        edges = sorted(b.start + self.cfg.window_s for b in self._live()) + [b.start for b in self._live()]
        later = [e + offset for e in edges if e + offset > self.now]
        if later:
            self.now = later[pick % len(later)]

    @rule(target=bookings, fracs=st.lists(st.floats(0.0, 1.5), min_size=1, max_size=8))
    def reserve(self, fracs: list[float]) -> MultipleResults[_Booking]:
        # A burst at one instant: the only way the queue fills up and max_queue is exercised.
        made = [self._reserve_one(frac) for frac in fracs]
        return multiple(*[b for b in made if b is not None])

    def _reserve_one(self, frac: float) -> _Booking | None:
        cfg = self.cfg
        # Draw tokens relative to tpm so both "fits" and "never fits" (> tpm) come up often.
        tokens = int(frac * (cfg.tpm if cfg.tpm is not None else 100))
        waiting_before = self.queue.queued(self.now)
        result = self.queue.reserve(self.now, tokens)
        if isinstance(result, Shed):
            event("limiter: shed " + ("permanent" if result.permanent else result.reason.split(":")[0]))
        else:
            event("limiter: admit " + ("now" if result.start_at == self.now else "later"))
        if isinstance(result, Shed):
            assert result.retry_after_s >= 0.0, result
            assert result.reason, result
        if cfg.tpm is not None and tokens > cfg.tpm:
            assert isinstance(result, Shed) and result.permanent, (tokens, cfg, result)
            return None
        if cfg.rpm is None and cfg.tpm is None:
            # Unlimited: admitted at once and never logged, so there is nothing to cancel later.
            assert result == Admit(self.now)
            assert self.queue.backlog() == 0
            return None
        expected = self._earliest(tokens)
        if expected > self.now and waiting_before >= cfg.max_queue:
            assert isinstance(result, Shed) and not result.permanent, (expected, result)
            assert "queue full" in result.reason
            if cfg.max_queue > 0:
                # An honest Retry-After: by then one waiter has started, so there is room.
                assert self.queue.queued(self.now + result.retry_after_s) < cfg.max_queue, result
        elif expected - self.now > cfg.max_wait_s:
            assert isinstance(result, Shed) and not result.permanent, (expected, result)
            assert result.retry_after_s == expected - self.now
        else:
            assert result == Admit(expected), (expected, result, self._live())
        if isinstance(result, Admit):
            booking = _Booking(result.start_at, tokens, self.now, result.start_at - self.now)
            self.log.append(booking)
            return booking
        return None

    @rule(booking=consumes(bookings))
    def cancel(self, booking: _Booking) -> None:
        cancelled = self.queue.cancel(booking.start, booking.tokens)
        if _in_window(booking.start, self.cfg.window_s, self.now):
            # Never pruned yet (pruning only drops starts whose window closed by a past `now`).
            assert cancelled, (booking, self.queue.reservations())
        if cancelled:
            # Equal (start, tokens) bookings are interchangeable: drop any live one of them.
            twin = next(b for b in self.log if b.live and (b.start, b.tokens) == (booking.start, booking.tokens))
            twin.live = False

    @rule(start=st.floats(0.0, 1e7), tokens=st.integers(0, 50))
    def cancel_unknown(self, start: float, tokens: int) -> None:
        known = any(b.live and (b.start, b.tokens) == (start, tokens) for b in self.log)
        before = self.queue.reservations()
        if not known:
            assert not self.queue.cancel(start, tokens)
            assert self.queue.reservations() == before

    @invariant()
    def windows_within_limits(self) -> None:
        cfg = self.cfg
        live = self._live()
        for b in live:
            # The window that opens at this start: every live start s with b.start <= s < b.start + w.
            inside = [o for o in live if o.start >= b.start and _in_window(b.start, cfg.window_s, o.start)]
            if cfg.rpm is not None:
                assert len(inside) <= cfg.rpm, (b, inside, cfg)
            if cfg.tpm is not None:
                assert sum(o.tokens for o in inside) <= cfg.tpm, (b, inside, cfg)

    @invariant()
    def fifo_starts(self) -> None:
        starts = [b.start for b in self._live()]
        assert starts == sorted(starts), starts

    @invariant()
    def waits_bounded(self) -> None:
        for b in self.log:
            assert b.wait <= self.cfg.max_wait_s, (b, self.cfg)

    @invariant()
    def queue_bounded(self) -> None:
        assert self.queue.queued(self.now) <= self.cfg.max_queue

    @invariant()
    def log_matches_model(self) -> None:
        # The limiter's log is the model's live bookings minus those whose window closed (pruned).
        held = self.queue.reservations()
        live = [(b.start, b.tokens) for b in self._live()]
        assert all(r in live for r in held), (held, live)
        for b in self._live():
            if _in_window(b.start, self.cfg.window_s, self.now):
                assert (b.start, b.tokens) in held, (b, held)


TestLimiterMachine = LimiterMachine.TestCase
TestLimiterMachine.settings = settings(
    max_examples=250,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
