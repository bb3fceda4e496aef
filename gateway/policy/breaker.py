"""Per-provider circuit breaker, as a sans-I/O state machine.

Pure: no I/O, no clock.  Every method takes ``now`` (monotonic seconds) from the
caller, so the same object runs in the asyncio gateway and in the SimPy twin.

One file on purpose, over the house's ~300 lines: as in h11's ``_state.py``, the
states, the transition table, the config it checks and the machine that walks
it are one concept, read together.

Rules, all in this file:
- Every state change goes through ``_TRANSITIONS`` (state x event -> state); an
  event with no entry for the current state raises ``IllegalTransition``.
- OPEN turns into HALF_OPEN lazily, at ``opened_at + recovery_timeout_s``: the
  transition is stamped with that instant, not with the time somebody looked.
- HALF_OPEN hands out at most ``half_open_max_probes`` permits per episode;
  any failure re-opens, ``half_open_successes_to_close`` successes close.
- FORCED_OPEN and DISABLED are operator states: only ``reset`` (or the other
  operator state) leaves them.  DISABLED admits everything and records nothing.
- ``on_ignored`` (a result chosen not to count, e.g. a 429) neither counts nor resets;
  in HALF_OPEN it gives its permit back.
- Listeners are isolated: one that raises is counted, never propagated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from ._validate import check_fraction, check_int, check_number

__all__ = [
    "LEGAL_TRANSITIONS",
    "BreakerConfig",
    "BreakerEvent",
    "BreakerState",
    "BreakerTransition",
    "CircuitBreaker",
    "IllegalTransition",
]


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"
    FORCED_OPEN = "forced_open"
    DISABLED = "disabled"


class BreakerEvent(StrEnum):
    TRIP = "trip"                  # failure threshold/rate reached while CLOSED
    TIMEOUT = "timeout"            # recovery timeout elapsed while OPEN
    PROBE_FAILED = "probe_failed"  # a half-open call failed
    PROBES_OK = "probes_ok"        # enough half-open calls succeeded
    FORCE_OPEN = "force_open"      # operator
    DISABLE = "disable"            # operator
    RESET = "reset"                # operator


#: The whole machine.  Anything not listed here is illegal.  The operator's events lead to their
#: state from every other state.
_TRANSITIONS: dict[tuple[BreakerState, BreakerEvent], BreakerState] = {
    (BreakerState.CLOSED, BreakerEvent.TRIP): BreakerState.OPEN,
    (BreakerState.OPEN, BreakerEvent.TIMEOUT): BreakerState.HALF_OPEN,
    (BreakerState.HALF_OPEN, BreakerEvent.PROBE_FAILED): BreakerState.OPEN,
    (BreakerState.HALF_OPEN, BreakerEvent.PROBES_OK): BreakerState.CLOSED,
    **{(state, event): target
       for event, target in ((BreakerEvent.FORCE_OPEN, BreakerState.FORCED_OPEN),
                             (BreakerEvent.DISABLE, BreakerState.DISABLED),
                             (BreakerEvent.RESET, BreakerState.CLOSED))
       for state in BreakerState if state is not target},
}

#: (from, to) pairs a listener may ever see.
LEGAL_TRANSITIONS: frozenset[tuple[BreakerState, BreakerState]] = frozenset(
    (src, dst) for (src, _event), dst in _TRANSITIONS.items()
)


class IllegalTransition(Exception):
    """An event arrived that the breaker's transition table does not allow."""

    def __init__(self, provider: str, state: BreakerState, event: BreakerEvent) -> None:
        super().__init__(f"breaker {provider!r}: event {event.value!r} is illegal in state {state.value!r}")
        self.provider = provider
        self.state = state
        self.event = event


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    mode: Literal["consecutive", "rate"] = "consecutive"
    failure_threshold: int = 5
    recovery_timeout_s: float = 60.0
    half_open_max_probes: int = 3
    half_open_successes_to_close: int = 3
    window_size: int = 100
    minimum_calls: int = 20
    failure_rate_threshold: float = 0.5
    slow_call_duration_s: float = 10.0
    slow_call_rate_threshold: float = 1.0

    def __post_init__(self) -> None:
        owner = "BreakerConfig"
        if self.mode not in ("consecutive", "rate"):
            raise ValueError(f"{owner}.mode must be 'consecutive' or 'rate', got {self.mode!r}")
        check_int(owner, "failure_threshold", self.failure_threshold, minimum=1)
        check_number(owner, "recovery_timeout_s", self.recovery_timeout_s)
        check_int(owner, "half_open_max_probes", self.half_open_max_probes, minimum=1)
        check_int(owner, "half_open_successes_to_close", self.half_open_successes_to_close, minimum=1)
        if self.half_open_successes_to_close > self.half_open_max_probes:
            raise ValueError(
                f"{owner}.half_open_successes_to_close ({self.half_open_successes_to_close}) must be "
                f"<= half_open_max_probes ({self.half_open_max_probes}), or the breaker can never close"
            )
        check_int(owner, "window_size", self.window_size, minimum=1)
        check_int(owner, "minimum_calls", self.minimum_calls, minimum=1)
        if self.minimum_calls > self.window_size:
            raise ValueError(
                f"{owner}.minimum_calls ({self.minimum_calls}) must be <= window_size "
                f"({self.window_size}), or rate mode can never trip"
            )
        check_fraction(owner, "failure_rate_threshold", self.failure_rate_threshold)
        check_number(owner, "slow_call_duration_s", self.slow_call_duration_s, open_min=True)
        check_fraction(owner, "slow_call_rate_threshold", self.slow_call_rate_threshold)


@dataclass(frozen=True, slots=True)
class BreakerTransition:
    provider: str
    at: float
    from_state: BreakerState
    to_state: BreakerState
    reason: str

    def __post_init__(self) -> None:
        if (self.from_state, self.to_state) not in LEGAL_TRANSITIONS:
            raise ValueError(
                f"BreakerTransition {self.from_state} -> {self.to_state} is not a legal transition"
            )


class CircuitBreaker:
    __slots__ = (
        "_consecutive",
        "_half_open_inflight",
        "_half_open_issued",
        "_half_open_successes",
        "_on_transition",
        "_opened_at",
        "_ring_failed",
        "_ring_len",
        "_ring_pos",
        "_ring_slow",
        "_state",
        "_window_failures",
        "_window_slow",
        "config",
        "listener_errors",
        "provider",
        "transitions",
    )
    # the counters one state's worth of calls builds up; ``_clear_counts`` zeroes them
    _consecutive: int
    _ring_pos: int
    _ring_len: int
    _window_failures: int
    _window_slow: int
    _half_open_issued: int
    _half_open_inflight: int
    _half_open_successes: int

    def __init__(
        self,
        provider: str,
        config: BreakerConfig,
        on_transition: Callable[[BreakerTransition], None] | None = None,
    ) -> None:
        if not isinstance(provider, str) or not provider:
            raise ValueError(f"CircuitBreaker: provider must be a non-empty string, got {provider!r}")
        if not isinstance(config, BreakerConfig):
            raise ValueError(f"CircuitBreaker {provider!r}: config must be a BreakerConfig, got {config!r}")
        self.provider = provider
        self.config = config
        self._on_transition = on_transition
        #: How many transitions happened and how many listener calls raised (kept, not propagated).
        self.transitions = 0
        self.listener_errors = 0
        self._state = BreakerState.CLOSED
        self._opened_at = 0.0
        # Count-based sliding window for rate mode: a ring of the last `window_size` calls.
        size = config.window_size if config.mode == "rate" else 0
        self._ring_failed = bytearray(size)
        self._ring_slow = bytearray(size)
        self._clear_counts()

    # -- reading -------------------------------------------------------------------------------

    def state(self, now: float) -> BreakerState:
        if self._state is BreakerState.OPEN:
            self._maybe_half_open(now)
        return self._state

    def retry_at(self, now: float) -> float | None:
        """When an OPEN breaker will admit probes; None in every other state."""
        if self.state(now) is BreakerState.OPEN:
            return self._opened_at + self.config.recovery_timeout_s
        return None

    def would_admit(self, now: float) -> bool:
        """What ``try_acquire`` would answer, without taking a permit."""
        state = self._state
        if state is BreakerState.CLOSED:   # the common case, without ``state``'s call
            return True
        state = self.state(now)
        if state is BreakerState.CLOSED or state is BreakerState.DISABLED:
            return True
        if state is BreakerState.HALF_OPEN:
            return self._half_open_issued < self.config.half_open_max_probes
        return False

    def window(self) -> tuple[int, int, int]:
        """(calls, failures, slow calls) in rate mode's sliding window."""
        return self._ring_len, self._window_failures, self._window_slow

    @property
    def consecutive_failures(self) -> int:
        return self._consecutive

    # -- the call protocol ---------------------------------------------------------------------

    def try_acquire(self, now: float) -> bool:
        state = self._state
        if state is BreakerState.CLOSED:   # the common case, without ``state``'s call
            return True
        state = self.state(now)
        if state is BreakerState.CLOSED or state is BreakerState.DISABLED:
            return True
        if state is BreakerState.HALF_OPEN and self._half_open_issued < self.config.half_open_max_probes:
            self._half_open_issued += 1
            self._half_open_inflight += 1
            return True
        return False

    def release(self, now: float) -> None:
        """A permitted call was never made: give its permit back."""
        if self._state is BreakerState.CLOSED:   # the common case (a shed call), without ``state``'s call
            return
        if self.state(now) is BreakerState.HALF_OPEN and self._half_open_inflight > 0:
            self._half_open_inflight -= 1
            self._half_open_issued -= 1

    def on_ignored(self, now: float, duration_s: float) -> None:
        """A call whose result says nothing about the provider's health (resilience4j's ignored
        exceptions): neither a failure nor a success; in HALF_OPEN its permit comes back."""
        self._check_duration("on_ignored", duration_s)
        self.release(now)

    def on_success(self, now: float, duration_s: float) -> None:
        self._check_duration("on_success", duration_s)
        state = self._state   # as ``state`` does: only an OPEN breaker can move before it answers
        if state is BreakerState.OPEN:
            state = self.state(now)
        if state is BreakerState.CLOSED:
            self._consecutive = 0
            if self._ring_failed:
                self._record(False, duration_s > self.config.slow_call_duration_s, now)
        elif state is BreakerState.HALF_OPEN:
            # A result from a call admitted before this half-open episode proves nothing
            # about the provider now: only count it while a probe is outstanding.
            if self._half_open_inflight == 0:
                return
            self._half_open_inflight -= 1
            self._half_open_successes += 1
            if self._half_open_successes >= self.config.half_open_successes_to_close:
                reason = f"{self._half_open_successes} half-open calls succeeded"
                self._fire(BreakerEvent.PROBES_OK, now, reason)
        # OPEN / FORCED_OPEN: a late result of a call admitted earlier; DISABLED records nothing.

    def on_failure(self, now: float, duration_s: float) -> None:
        self._check_duration("on_failure", duration_s)
        state = self.state(now)
        if state is BreakerState.CLOSED:
            if self._ring_failed:
                self._record(True, duration_s > self.config.slow_call_duration_s, now)
            else:
                self._consecutive += 1
                if self._consecutive >= self.config.failure_threshold:
                    self._trip(now, f"{self._consecutive} consecutive failures")
        elif state is BreakerState.HALF_OPEN:
            if self._half_open_inflight > 0:
                self._half_open_inflight -= 1
            self._open(BreakerEvent.PROBE_FAILED, now, "a half-open call failed")

    # -- operator actions ----------------------------------------------------------------------

    def force_open(self, now: float) -> None:
        if self.state(now) is not BreakerState.FORCED_OPEN:
            self._fire(BreakerEvent.FORCE_OPEN, now, "forced open by operator")

    def disable(self, now: float) -> None:
        if self.state(now) is not BreakerState.DISABLED:
            self._fire(BreakerEvent.DISABLE, now, "disabled by operator")

    def reset(self, now: float) -> None:
        if self.state(now) is BreakerState.CLOSED:
            self._clear_counts()
        else:
            self._fire(BreakerEvent.RESET, now, "reset by operator")

    # -- internals -----------------------------------------------------------------------------

    def _check_duration(self, where: str, duration_s: float) -> None:
        if not duration_s >= 0.0:  # also catches NaN
            raise ValueError(
                f"breaker {self.provider!r}.{where}: duration_s must be >= 0, got {duration_s!r}"
            )

    def _record(self, failed: bool, slow: bool, now: float) -> None:
        cfg = self.config
        pos = self._ring_pos
        if self._ring_len == cfg.window_size:
            self._window_failures -= self._ring_failed[pos]
            self._window_slow -= self._ring_slow[pos]
        else:
            self._ring_len += 1
        self._ring_failed[pos] = failed
        self._ring_slow[pos] = slow
        self._window_failures += failed
        self._window_slow += slow
        self._ring_pos = (pos + 1) % cfg.window_size
        calls = self._ring_len
        if calls < cfg.minimum_calls:
            return
        failure_rate = self._window_failures / calls
        slow_rate = self._window_slow / calls
        if failure_rate >= cfg.failure_rate_threshold:
            self._trip(now, f"failure rate {failure_rate:.2f} over {calls} calls")
        elif slow_rate >= cfg.slow_call_rate_threshold:
            self._trip(now, f"slow-call rate {slow_rate:.2f} over {calls} calls")

    def _trip(self, now: float, reason: str) -> None:
        self._open(BreakerEvent.TRIP, now, reason)

    def _open(self, event: BreakerEvent, now: float, reason: str) -> None:
        self._opened_at = now
        self._fire(event, now, reason)

    def _maybe_half_open(self, now: float) -> None:
        due = self._opened_at + self.config.recovery_timeout_s
        if now >= due:
            reason = f"recovery timeout {self.config.recovery_timeout_s:g}s elapsed"
            self._fire(BreakerEvent.TIMEOUT, due, reason)

    def _clear_counts(self) -> None:
        self._consecutive = 0
        self._ring_pos = 0
        self._ring_len = 0
        self._window_failures = 0
        self._window_slow = 0
        self._half_open_issued = 0
        self._half_open_inflight = 0
        self._half_open_successes = 0

    def _fire(self, event: BreakerEvent, at: float, reason: str) -> None:
        src = self._state
        dst = _TRANSITIONS.get((src, event))
        if dst is None:
            raise IllegalTransition(self.provider, src, event)
        self._state = dst
        # Each state starts from clean counts, as resilience4j resets its metrics on a transition.
        self._clear_counts()
        self.transitions += 1
        listener = self._on_transition
        if listener is not None:
            try:
                listener(BreakerTransition(self.provider, at, src, dst, reason))
            except Exception:
                # A broken metrics hook must not take the breaker (and every request) down with it.
                self.listener_errors += 1
