"""``quota:`` — provider-side request and token buckets; 429s emerge from load.

:class:`QuotaBuckets` is a sliding-window log: a request is admitted at ``now``
only if, with it, the window ``(now - window_s, now]`` holds at most ``rpm``
requests and ``tpm`` tokens; so no window of that length ever admits more.  A
rejection says when enough of the window frees (the Retry-After), and every
answer carries the numbers the providers' rate-limit headers show.

``rpm``/``tpm`` are per *scaled* minute: the engine passes ``window_s = 60 *
time_scale``, so a replay at ``time_scale`` 0.1 keeps 100 requests per 6 real
seconds.  Pure: no I/O; the caller passes ``now``, which must not go back
(an earlier ``now`` is read as the latest one seen).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import ClassVar

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

    __slots__ = ("_enforce", "_latest", "_log", "_tokens", "rpm", "tpm", "window_s")

    def __init__(
        self, rpm: int | None, tpm: int | None, window_s: float = 60.0, *, enforce: bool = True
    ) -> None:
        if rpm is not None and rpm < 1:
            raise ValueError(f"rpm must be >= 1, got {rpm}")
        if tpm is not None and tpm < 1:
            raise ValueError(f"tpm must be >= 1, got {tpm}")
        if not window_s > 0:
            raise ValueError(f"window_s must be > 0, got {window_s}")
        self.rpm, self.tpm, self.window_s = rpm, tpm, window_s
        self._enforce = enforce
        self._log: deque[tuple[float, int]] = deque()
        self._tokens = 0
        self._latest = float("-inf")

    def _advance(self, now: float) -> float:
        now = max(now, self._latest)
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
        return QuotaView(
            self.rpm, remaining_requests, first_free if remaining_requests == 0 else reset,
            self.tpm, remaining_tokens, reset,
        )


@dataclass(frozen=True, slots=True)
class QuotaEffect:
    slot: ClassVar[str] = "quota"
    kind: ClassVar[str] = "quota"

    rpm: int | None
    tpm: int | None

    @classmethod
    def parse(cls, value: object, where: str) -> QuotaEffect:
        body = expect_mapping(value, where)
        check_keys(body, ("rpm", "tpm"), where)
        if not body:
            raise FaultPlanError(where, "needs rpm, tpm or both")
        rpm = read_int(body["rpm"], join(where, "rpm"), minimum=1) if "rpm" in body else None
        tpm = read_int(body["tpm"], join(where, "tpm"), minimum=1) if "tpm" in body else None
        return cls(rpm, tpm)

    def buckets(self, time_scale: float) -> QuotaBuckets:
        return QuotaBuckets(self.rpm, self.tpm, 60.0 * time_scale)

    def scaled(self, factor: float) -> QuotaEffect:
        return self

    def to_json(self) -> object:
        out: dict[str, object] = {}
        if self.rpm is not None:
            out["rpm"] = self.rpm
        if self.tpm is not None:
            out["tpm"] = self.tpm
        return out


register("quota", QuotaEffect.parse)
