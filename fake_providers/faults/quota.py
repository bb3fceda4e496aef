"""``quota:`` — provider-side request and token buckets; 429s emerge from load.

:class:`QuotaBuckets` is a sliding-window log: a request is admitted at ``now``
only if, with it, the window ``(now - window_s, now]`` holds at most ``rpm``
requests and ``tpm`` tokens; so no window of that length ever admits more.  A
rejection says when enough of the window frees (the Retry-After), and every
answer carries the numbers the providers' rate-limit headers show.

``rpm``/``tpm`` are rates and stay rates at any ``time_scale``; the window is a
duration and scales with the plan.  A window of ``w`` seconds holds
``rpm * w / 60`` requests: at ``time_scale`` 0.1 a 100 rpm quota is 10 requests
per 6-second window, so a compressed replay rate-limits the load it really
sends exactly as hard as the incident did.  Headers and ``/v1/limits`` speak
per minute, as the providers do.  Pure: no I/O; the caller passes ``now``,
which must not go back (an earlier ``now`` is read as the latest one seen).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import ClassVar

from fake_providers.faults.durations import parse_duration
from fake_providers.faults.problems import FaultPlanError, check_keys, expect_mapping, join, read_int
from fake_providers.faults.registry import register

__all__ = ["QuotaBuckets", "QuotaEffect", "QuotaVerdict", "QuotaView"]

# Added to every Retry-After so that ``now + retry_after`` lands past the slot's
# expiry despite float rounding: a client that waits exactly that long gets in.
_MARGIN = 1e-9


@dataclass(frozen=True, slots=True)
class QuotaView:
    """What ``x-ratelimit-*`` / ``anthropic-ratelimit-*`` headers and ``/v1/limits`` show."""

    limit_requests: int | None
    remaining_requests: int | None
    reset_requests_s: float
    limit_tokens: int | None
    remaining_tokens: int | None
    reset_tokens_s: float


@dataclass(frozen=True, slots=True)
class QuotaVerdict:
    admitted: bool
    retry_after_s: float          # 0 when admitted
    limited_by: str | None        # "requests" | "tokens" when rejected
    view: QuotaView


class QuotaBuckets:
    """Requests-per-minute and tokens-per-minute over one sliding window.

    ``enforce=False`` only counts (the nominal limits a fake reports when no quota rule is active).
    """

    __slots__ = ("_enforce", "_latest", "_log", "_per_minute", "_tokens", "declared_rpm", "declared_tpm",
                 "rpm", "tpm", "window_s")

    def __init__(
        self, rpm: int | None, tpm: int | None, window_s: float = 60.0, *, enforce: bool = True,
        per_minute: bool = False,
    ) -> None:
        """``rpm``/``tpm``: what one window holds; with ``per_minute`` they are rates per minute instead,
        and a window of ``window_s`` holds ``rate * window_s / 60`` (at least 1)."""
        if rpm is not None and rpm < 1:
            raise ValueError(f"rpm must be >= 1, got {rpm}")
        if tpm is not None and tpm < 1:
            raise ValueError(f"tpm must be >= 1, got {tpm}")
        if not window_s > 0:
            raise ValueError(f"window_s must be > 0, got {window_s}")
        self.declared_rpm, self.declared_tpm = rpm, tpm
        self._per_minute = 60.0 / window_s if per_minute else 1.0
        if per_minute:
            rpm = None if rpm is None else max(1, round(rpm / self._per_minute))
            tpm = None if tpm is None else max(1, round(tpm / self._per_minute))
        self.rpm, self.tpm, self.window_s = rpm, tpm, window_s
        self._enforce = enforce
        self._log: deque[tuple[float, int]] = deque()
        self._tokens = 0
        self._latest = float("-inf")

    def _advance(self, now: float) -> float:
        latest = self._latest
        if latest > now:   # ``max(now, latest)``, without the builtin's call (ties keep ``now``, as max does)
            now = latest
        self._latest = now
        horizon = now - self.window_s
        log = self._log
        while log and log[0][0] <= horizon:
            self._tokens -= log.popleft()[1]
        return now

    def admit(self, now: float, tokens: int) -> QuotaVerdict:
        """Admit one request of ``tokens`` tokens at ``now``, or say how long until it would fit."""
        now = self._advance(now)
        tokens = max(tokens, 0)
        wait_requests = self._wait_for_requests(now)
        wait_tokens = self._wait_for_tokens(now, tokens)
        if self._enforce and (wait_requests > 0 or wait_tokens > 0):
            limited_by = "requests" if wait_requests >= wait_tokens else "tokens"
            return QuotaVerdict(False, max(wait_requests, wait_tokens), limited_by, self._view(now))
        self._log.append((now, tokens))
        self._tokens += tokens
        return QuotaVerdict(True, 0.0, None, self._view(now))

    def count(self, now: float, tokens: int) -> None:
        """Record one request, as ``admit`` does when it admits, without composing a verdict.

        Only for buckets that do not enforce (``admit`` would always admit them).
        """
        if self._enforce:
            raise ValueError("count() is for non-enforcing buckets; use admit()")
        now = self._advance(now)
        if tokens < 0:
            tokens = 0
        self._log.append((now, tokens))
        self._tokens += tokens

    def view(self, now: float) -> QuotaView:
        return self._view(self._advance(now))

    @property
    def requests_in_window(self) -> int:
        return len(self._log)

    def _wait_for_requests(self, now: float) -> float:
        if self.rpm is None or len(self._log) < self.rpm:
            return 0.0
        # The request fits once all but rpm - 1 entries have left the window.
        oldest_needed = self._log[len(self._log) - self.rpm][0]
        return oldest_needed + self.window_s - now + _MARGIN

    def _wait_for_tokens(self, now: float, tokens: int) -> float:
        if self.tpm is None or self._tokens + tokens <= self.tpm:
            return 0.0
        if tokens > self.tpm:
            return self.window_s  # never fits; tell the client to come back after a whole window
        held = self._tokens
        for when, used in self._log:
            held -= used
            if held + tokens <= self.tpm:
                return when + self.window_s - now + _MARGIN
        return self.window_s  # unreachable: an empty window always fits tokens <= tpm

    def _view(self, now: float) -> QuotaView:
        reset = (self._log[-1][0] + self.window_s - now) if self._log else 0.0
        first_free = (self._log[0][0] + self.window_s - now) if self._log else 0.0
        remaining_requests = None if self.rpm is None else max(self.rpm - len(self._log), 0)
        remaining_tokens = None if self.tpm is None else max(self.tpm - self._tokens, 0)
        k = self._per_minute
        if k != 1.0:   # speak per minute, as the providers' headers do
            remaining_requests = None if remaining_requests is None else int(remaining_requests * k)
            remaining_tokens = None if remaining_tokens is None else int(remaining_tokens * k)
        limit_requests = self.declared_rpm if k != 1.0 else self.rpm
        limit_tokens = self.declared_tpm if k != 1.0 else self.tpm
        return QuotaView(
            limit_requests, remaining_requests, first_free if remaining_requests == 0 else reset,
            limit_tokens, remaining_tokens, reset,
        )


@dataclass(frozen=True, slots=True)
class QuotaEffect:
    slot: ClassVar[str] = "quota"
    kind: ClassVar[str] = "quota"

    rpm: int | None
    tpm: int | None
    #: the sliding window, a duration: it scales with the plan (60 s as written)
    window_s: float = 60.0

    @classmethod
    def parse(cls, value: object, where: str) -> QuotaEffect:
        body = expect_mapping(value, where)
        check_keys(body, ("rpm", "tpm", "window"), where)
        if not (body.keys() & {"rpm", "tpm"}):
            raise FaultPlanError(where, "needs rpm, tpm or both")
        rpm = read_int(body["rpm"], join(where, "rpm"), minimum=1) if "rpm" in body else None
        tpm = read_int(body["tpm"], join(where, "tpm"), minimum=1) if "tpm" in body else None
        window = 60.0
        if "window" in body:
            window = parse_duration(body["window"], join(where, "window"))
            if not window > 0:
                raise FaultPlanError(join(where, "window"), "must be a duration > 0")
        return cls(rpm, tpm, window)

    def buckets(self) -> QuotaBuckets:
        return QuotaBuckets(self.rpm, self.tpm, self.window_s, per_minute=True)

    def scaled(self, factor: float) -> QuotaEffect:
        return QuotaEffect(self.rpm, self.tpm, self.window_s * factor)

    def to_json(self) -> object:
        out: dict[str, object] = {}
        if self.rpm is not None:
            out["rpm"] = self.rpm
        if self.tpm is not None:
            out["tpm"] = self.tpm
        if self.window_s != 60.0:
            out["window"] = self.window_s
        return out


register("quota", QuotaEffect.parse)
