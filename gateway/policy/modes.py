"""Conservation mode and the degraded pipeline: manual switches and automatic triggers.

Pure: no I/O, no clock.  Signals come in through ``observe(now, ...)``.

Two modes, two signals, because they answer different incidents:
- **conservation** (runbook "Conservation Mode": cache longer, shorter prompts, fewer
  tokens, more patient retries) answers *quota pressure*: it is driven by the share of
  calls that were rate-limited (429), entering at ``enter_rate_limited_share`` (5 %) and
  leaving below ``exit_rate_limited_share`` (1 %, the runbook's llm_429_errors_rate alert);
- **degraded** (skip geo, availability, negotiation) answers *a sick provider*: it is
  driven by the non-429 error rate and the p95 latency, entering at 20 % / 10 s (the
  runbook's p95 alert) and leaving at 5 % / 5 s (its recovery test: latency < 5 s).

Hysteresis twice over: exit thresholds sit below entry thresholds, and an automatic
mode stays on for at least ``hold_s`` before it may leave.  Windows are judged only
with ``min_samples`` calls in them; without evidence a mode keeps its state.  Manual
settings always win over automatic ones; clearing them (``None``) hands back to auto.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from ._validate import check_fraction, check_int, check_number

__all__ = [
    "CONSERVATION",
    "KEEP",
    "NORMAL",
    "ModeChange",
    "ModeConfig",
    "ModeController",
    "ModeProfile",
    "Modes",
]

Source = Literal["manual", "auto"]
ModeName = Literal["conservation", "degraded"]


@dataclass(frozen=True, slots=True)
class ModeProfile:
    """What a request is allowed while a mode is on (cache TTL, token cap, prompt size, retries).

    Not ``config.ModeSettings``, which are the switches (enabled, auto) that choose a mode.
    """

    cache_ttl_s: float
    max_tokens: int
    short_prompt: bool
    max_retries: int


#: The runbook's conservation values ("Estrategia 1") and its normal ones (the stack takes normal
#: mode's TTL and retries from its config, whose defaults these are).
CONSERVATION: Final = ModeProfile(cache_ttl_s=3600.0, max_tokens=100, short_prompt=True, max_retries=5)
NORMAL: Final = ModeProfile(cache_ttl_s=300.0, max_tokens=500, short_prompt=False, max_retries=3)


@dataclass(frozen=True, slots=True)
class ModeConfig:
    auto: bool = False
    window_s: float = 60.0
    enter_error_rate: float = 0.2
    exit_error_rate: float = 0.05
    enter_p95_s: float = 10.0
    exit_p95_s: float = 5.0
    min_samples: int = 20
    hold_s: float = 60.0
    enter_rate_limited_share: float = 0.05
    exit_rate_limited_share: float = 0.01
    #: Judge the window at most this often: p95 needs a sort, so not on every call.
    eval_interval_s: float = 1.0
    #: Cap on samples kept in the window (oldest dropped first), so memory is bounded at any rate.
    max_samples: int = 100_000

    def __post_init__(self) -> None:
        owner = "ModeConfig"
        if not isinstance(self.auto, bool):
            raise ValueError(f"{owner}.auto must be true or false, got {self.auto!r}")
        check_number(owner, "window_s", self.window_s, open_min=True)
        check_fraction(owner, "enter_error_rate", self.enter_error_rate)
        check_fraction(owner, "exit_error_rate", self.exit_error_rate, allow_zero=True)
        check_number(owner, "enter_p95_s", self.enter_p95_s, open_min=True)
        check_number(owner, "exit_p95_s", self.exit_p95_s)
        check_int(owner, "min_samples", self.min_samples, minimum=1)
        check_number(owner, "hold_s", self.hold_s)
        check_fraction(owner, "enter_rate_limited_share", self.enter_rate_limited_share)
        check_fraction(owner, "exit_rate_limited_share", self.exit_rate_limited_share, allow_zero=True)
        check_number(owner, "eval_interval_s", self.eval_interval_s)
        check_int(owner, "max_samples", self.max_samples, minimum=1)
        for low, high in (
            ("exit_error_rate", "enter_error_rate"),
            ("exit_p95_s", "enter_p95_s"),
            ("exit_rate_limited_share", "enter_rate_limited_share"),
        ):
            if getattr(self, low) >= getattr(self, high):
                raise ValueError(
                    f"{owner}.{low} ({getattr(self, low)}) must be below {high} ({getattr(self, high)}), "
                    f"or the mode would flap"
                )


@dataclass(frozen=True, slots=True)
class Modes:
    conservation: bool = False
    degraded: bool = False
    conservation_source: Source | None = None
    degraded_source: Source | None = None

    @property
    def settings(self) -> ModeProfile:
        return CONSERVATION if self.conservation else NORMAL


@dataclass(frozen=True, slots=True)
class ModeChange:
    at: float
    mode: ModeName
    active: bool
    source: Source | None
    reason: str


class _Keep:
    __slots__ = ()

    def __repr__(self) -> str:
        return "KEEP"


#: ``set_manual`` default: leave that mode's manual setting as it is.
KEEP: Final = _Keep()


#: every request asks the modes; ``Modes`` is immutable and has at most 16 values, so each is built once
_MODES: dict[tuple[bool, bool, Source | None, Source | None], Modes] = {}


def _modes(conservation: bool, degraded: bool, c_src: Source | None, d_src: Source | None) -> Modes:
    key = (conservation, degraded, c_src, d_src)
    found = _MODES.get(key)
    if found is None:
        found = _MODES[key] = Modes(conservation, degraded, c_src, d_src)
    return found


class _Mode:
    """One mode's manual setting, automatic state, and what was last reported."""

    __slots__ = ("auto_on", "auto_since", "manual", "reported")

    def __init__(self) -> None:
        self.manual: bool | None = None
        self.auto_on = False
        self.auto_since = 0.0
        self.reported: tuple[bool, Source | None] = (False, None)

    def effective(self, auto_enabled: bool) -> tuple[bool, Source | None]:
        if self.manual is not None:
            return self.manual, "manual"
        if auto_enabled and self.auto_on:
            return True, "auto"
        return False, None


class ModeController:
    __slots__ = ("_modes", "_next_eval", "_on_change", "_samples", "_state", "config", "listener_errors")

    def __init__(
        self, config: ModeConfig | None = None, on_change: Callable[[ModeChange], None] | None = None
    ) -> None:
        self.config = config if config is not None else ModeConfig()
        self._on_change = on_change
        self._modes: dict[ModeName, _Mode] = {"conservation": _Mode(), "degraded": _Mode()}
        # (time, failed-not-429, rate_limited, latency)
        self._samples: deque[tuple[float, bool, bool, float]] = deque(maxlen=self.config.max_samples)
        self._next_eval = float("-inf")
        self.listener_errors = 0
        #: what ``state`` answers until a mode's manual setting or automatic state changes (every request
        #: asks; None: work it out again)
        self._state: Modes | None = None

    # -- inputs --------------------------------------------------------------------------------

    def observe(self, now: float, ok: bool, latency_s: float, rate_limited: bool) -> None:
        if not latency_s >= 0.0:
            raise ValueError(f"ModeController.observe: latency_s must be >= 0, got {latency_s!r}")
        self._samples.append((now, not ok and not rate_limited, rate_limited, latency_s))
        self._evaluate(now)

    def set_manual(
        self,
        now: float,
        conservation: bool | _Keep | None = KEEP,
        degraded: bool | _Keep | None = KEEP,
    ) -> None:
        """Pin a mode on/off (True/False), hand it back to auto (None), or leave it (omitted)."""
        for name, value in (("conservation", conservation), ("degraded", degraded)):
            if isinstance(value, _Keep):
                continue
            if value is not None and not isinstance(value, bool):
                raise ValueError(
                    f"ModeController.set_manual: {name} must be true, false or null, got {value!r}"
                )
            self._modes[name].manual = value  # type: ignore[index]
            self._state = None
        self._evaluate(now, force=True)
        self._report(now, "manual setting")

    # -- output --------------------------------------------------------------------------------

    def state(self, now: float) -> Modes:
        self._evaluate(now)
        found = self._state
        if found is None:
            auto = self.config.auto
            c_on, c_src = self._modes["conservation"].effective(auto)
            d_on, d_src = self._modes["degraded"].effective(auto)
            found = self._state = _modes(c_on, d_on, c_src, d_src)
        return found

    def window_stats(self, now: float) -> tuple[int, float, float, float]:
        """(samples, non-429 error rate, 429 share, p95 latency) over the window ending at ``now``."""
        self._prune(now)
        return self._stats()

    # -- internals -----------------------------------------------------------------------------

    def _prune(self, now: float) -> None:
        horizon = now - self.config.window_s
        samples = self._samples
        while samples and samples[0][0] <= horizon:
            samples.popleft()

    def _stats(self) -> tuple[int, float, float, float]:
        samples = self._samples
        n = len(samples)
        if n == 0:
            return 0, 0.0, 0.0, 0.0
        errors = sum(1 for s in samples if s[1])
        limited = sum(1 for s in samples if s[2])
        latencies = sorted(s[3] for s in samples)
        # Nearest-rank p95, the same definition the reports use for exact percentiles.
        p95 = latencies[max(0, -(-95 * n // 100) - 1)]
        return n, errors / n, limited / n, p95

    def _evaluate(self, now: float, force: bool = False) -> None:
        cfg = self.config
        if not cfg.auto or (not force and now < self._next_eval):
            return
        self._next_eval = now + cfg.eval_interval_s
        self._prune(now)
        n, error_rate, limited_share, p95 = self._stats()
        if n >= cfg.min_samples:
            self._step(
                now,
                self._modes["conservation"],
                enter=limited_share >= cfg.enter_rate_limited_share,
                leave=limited_share <= cfg.exit_rate_limited_share,
            )
            self._step(
                now,
                self._modes["degraded"],
                enter=error_rate >= cfg.enter_error_rate or p95 >= cfg.enter_p95_s,
                leave=error_rate <= cfg.exit_error_rate and p95 <= cfg.exit_p95_s,
            )
            self._report(
                now,
                f"auto: {n} calls, errors {error_rate:.1%}, 429s {limited_share:.1%}, p95 {p95:.2f}s",
            )

    def _step(self, now: float, mode: _Mode, *, enter: bool, leave: bool) -> None:
        if not mode.auto_on and enter:
            mode.auto_on = True
            mode.auto_since = now
            self._state = None
        elif mode.auto_on and leave and now - mode.auto_since >= self.config.hold_s:
            mode.auto_on = False
            mode.auto_since = now
            self._state = None

    def _report(self, now: float, reason: str) -> None:
        auto = self.config.auto
        for name, mode in self._modes.items():
            current = mode.effective(auto)
            if current == mode.reported:
                continue
            mode.reported = current
            listener = self._on_change
            if listener is None:
                continue
            try:
                listener(ModeChange(now, name, current[0], current[1], reason))
            except Exception:
                # A broken hook must not leave the mode machine half-updated or crash a request.
                self.listener_errors += 1
