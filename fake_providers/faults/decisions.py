"""What the fault engine decides for one request, as frozen values.

Times here are real seconds on the engine's clock (a plan's ``time_scale`` is
already applied).  Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from units.frozen_init import frozen_init

__all__ = [
    "BAD_JSON_VARIANTS",
    "BadJson",
    "CapacityTicket",
    "Decision",
    "Draft",
    "Hang",
    "HttpError",
    "Normal",
    "QualityLoss",
    "Refuse",
    "Reset",
    "ResponseOutcome",
    "StreamShape",
    "outcome_label",
]

BAD_JSON_VARIANTS: tuple[str, ...] = ("truncated", "prose", "wrong_schema", "empty", "wrong_content_type")


def _non_negative(name: str, value: float) -> None:
    if not value >= 0:  # also rejects NaN
        raise ValueError(f"{name} must be >= 0, got {value}")


def _unit(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be within [0, 1], got {value}")


@frozen_init   # built per provider call (``units.frozen_init``)
@dataclass(frozen=True, slots=True)
class Normal:
    """A well-formed answer after ``latency_s``."""

    latency_s: float

    def __post_init__(self) -> None:
        _non_negative("latency_s", self.latency_s)


@dataclass(frozen=True, slots=True)
class HttpError:
    """An error response in the provider's own shape; ``code`` as OpenAI names it."""

    status: int
    code: str | None = None
    retry_after_s: float | None = None

    def __post_init__(self) -> None:
        if not 400 <= self.status <= 599:
            raise ValueError(f"status must be a 4xx or 5xx code, got {self.status}")
        if self.retry_after_s is not None:
            _non_negative("retry_after_s", self.retry_after_s)


@dataclass(frozen=True, slots=True)
class Refuse:
    """The connection is refused (the listening socket is closed)."""


@dataclass(frozen=True, slots=True)
class Reset:
    """A TCP RST after ``after_bytes`` bytes of the response went out."""

    after_bytes: int

    def __post_init__(self) -> None:
        if self.after_bytes < 0:
            raise ValueError(f"after_bytes must be >= 0, got {self.after_bytes}")


@dataclass(frozen=True, slots=True)
class Hang:
    """The request is held until the client gives up."""


@dataclass(frozen=True, slots=True)
class BadJson:
    """A malformed answer; see ``fake_providers.faults.broken_bodies`` for the exact bytes."""

    variant: str

    def __post_init__(self) -> None:
        if self.variant not in BAD_JSON_VARIANTS:
            raise ValueError(f"variant must be one of {BAD_JSON_VARIANTS}, got {self.variant!r}")


@dataclass(frozen=True, slots=True)
class QualityLoss:
    """Degraded parse answers: ``confidence`` replaces the model's, entities go wrong or missing."""

    confidence: float | None
    wrong_rate: float
    missing_rate: float

    def __post_init__(self) -> None:
        if self.confidence is not None:
            _unit("confidence", self.confidence)
        _unit("wrong_rate", self.wrong_rate)
        _unit("missing_rate", self.missing_rate)


@dataclass(frozen=True, slots=True)
class StreamShape:
    """How tokens flow: first token after ``ttft_s`` (None: the decision's latency), then ``tokens_per_s``.

    ``tokens_per_s`` None sends all tokens at once; a stall of ``stall_s`` happens
    after ``stall_after_tokens`` tokens.
    """

    ttft_s: float | None
    tokens_per_s: float | None
    stall_after_tokens: int | None
    stall_s: float

    def __post_init__(self) -> None:
        if self.ttft_s is not None:
            _non_negative("ttft_s", self.ttft_s)
        if self.tokens_per_s is not None and not self.tokens_per_s > 0:
            raise ValueError(f"tokens_per_s must be > 0, got {self.tokens_per_s}")
        _non_negative("stall_s", self.stall_s)

    def duration_s(self, tokens: int, latency_s: float) -> float:
        """Seconds from request to last token, for ``tokens`` tokens."""
        total = latency_s if self.ttft_s is None else self.ttft_s
        if self.tokens_per_s is not None:
            total += max(tokens - 1, 0) / self.tokens_per_s
        if self.stall_after_tokens is not None and tokens > self.stall_after_tokens:
            total += self.stall_s
        return total


@dataclass(frozen=True, slots=True)
class CapacityTicket:
    """Proof of a place in a capacity model; hand it back with ``FaultEngine.release``."""

    rule: int
    provider: str
    entered: float
    wait_s: float


ResponseOutcome = Normal | HttpError | Refuse | Reset | Hang | BadJson


@dataclass(slots=True)
class Draft:
    """The parts of one request's decision drawn so far: each drawing kind fills its own ``slot``."""

    latency: float | None = None
    response: ResponseOutcome | None = None
    quality: QualityLoss | None = None
    stream: StreamShape | None = None

    def taken(self, slot: str) -> bool:
        return getattr(self, slot) is not None


@frozen_init   # built per provider call (``units.frozen_init``)
@dataclass(frozen=True, slots=True)
class Decision:
    """Everything the engine decided for one request.

    ``latency_s`` is waited before the response, whatever it is (a latency rule
    can combine with a 500).  ``rules`` are the indexes of the plan's rules that fired.
    """

    latency_s: float
    response: ResponseOutcome
    quality: QualityLoss | None = None
    stream: StreamShape | None = None
    rules: tuple[int, ...] = ()
    capacity: CapacityTicket | None = None

    def __post_init__(self) -> None:
        _non_negative("latency_s", self.latency_s)

    @property
    def label(self) -> str:
        """The outcome's name in statistics: ``ok``, ``http_429``, ``reset``, ``bad_json:empty``..."""
        return outcome_label(self.response)


def outcome_label(response: ResponseOutcome) -> str:
    """A response's name in statistics (a service queue's overflow replaces the decided one)."""
    if isinstance(response, Normal):
        return "ok"
    if isinstance(response, HttpError):
        return f"http_{response.status}"
    if isinstance(response, BadJson):
        return f"bad_json:{response.variant}"
    return type(response).__name__.lower()
