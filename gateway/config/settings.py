"""The gateway's settings as typed models, with the runbook's defaults.

One model per section of the config file (``breaker:``, ``retries:``, ...);
``GatewayConfig`` is the whole.  Every duration is written as "10s"/"500ms"/...
and multiplied by ``time_scale`` when the stack is built, so a compressed
scenario compresses the stack with it.  Where the values come from is
``loading``'s business.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, field_validator

from ..durations import parse_duration
from ..outcomes import PROVIDERS

__all__ = [
    "AutoModeSettings",
    "BreakerSettings",
    "CacheSettings",
    "Duration",
    "FallbackSettings",
    "Flag",
    "GatewayConfig",
    "GoldCaseSettings",
    "GoldProbeSettings",
    "HarnessSettings",
    "LimitsSettings",
    "ModeSettings",
    "ProviderSettings",
    "QueueSettings",
    "RetrySettings",
    "RouterSettings",
    "SimilaritySettings",
    "suggest",
]

Duration = Annotated[float, BeforeValidator(parse_duration)]
#: true or false only: pydantic would otherwise take 1, 0, "yes" and "off" as booleans
Flag = Annotated[bool, Strict()]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderSettings(_Strict):
    url: str | None = None
    api_key: str | None = Field(default=None, repr=False)
    model: str | None = None
    weight: float = Field(default=0.0, ge=0.0)
    rpm: int | None = Field(default=None, ge=1)
    tpm: int | None = Field(default=None, ge=1)
    timeout: Duration | None = None
    enabled: Flag = True


# Runbook "Arquitectura Multi-LLM": 70/20/10; "Queue System": 100 rpm; "Paso 4": 60 000 tpm.
_DEFAULT_PROVIDERS: dict[str, dict[str, Any]] = {
    "qwen": {"weight": 0.7, "rpm": 100, "tpm": 60000},
    "claude": {"weight": 0.2},
    "openai": {"weight": 0.1},
}


def _default_providers() -> dict[str, ProviderSettings]:
    return {name: ProviderSettings(**raw) for name, raw in _DEFAULT_PROVIDERS.items()}


class BreakerSettings(_Strict):
    """The per-provider circuit breaker (runbook: 5 consecutive failures, 60 s open).

    ``count_rate_limits``: whether a retryable 429 counts as a breaker failure.  Default true:
    LiteLLM cools a deployment down on a 429 and the runbook's breaker counts every error, and a
    gateway that kept a rate-limited provider in rotation would spend an extra upstream call
    (and a failover) on it for every request.  False treats a 429 as resilience4j treats an
    ignored exception — neither failure nor success; a half-open permit comes back — for quotas
    that recover within their Retry-After.  A spent quota (``insufficient_quota``) always counts.
    """

    mode: Literal["consecutive", "rate"] = "consecutive"
    failure_threshold: int = Field(default=5, ge=1)
    recovery_timeout: Duration = 60.0
    half_open_probes: int = Field(default=3, ge=1)
    half_open_successes: int = Field(default=3, ge=1)
    window_size: int = Field(default=100, ge=1)
    minimum_calls: int = Field(default=20, ge=1)
    failure_rate: float = Field(default=0.5, gt=0.0, le=1.0)
    slow_call_duration: Duration = 10.0
    slow_call_rate: float = Field(default=1.0, gt=0.0, le=1.0)
    count_rate_limits: Flag = True


class RetrySettings(_Strict):
    max: int = Field(default=3, ge=0, le=20)
    base_delay: Duration = 0.5
    max_delay: Duration = 8.0
    budget: float = Field(default=0.2, ge=0.0, le=10.0)
    budget_window: Duration = 60.0
    budget_min_retries: int = Field(default=3, ge=0)
    max_retry_after: Duration = 60.0


class RouterSettings(_Strict):
    max_attempts: int = Field(default=4, ge=1, le=20)
    # Slow enough that the breaker (5 consecutive failures) trips before passive health routes a
    # failing provider away: 7 straight failures, or a sustained ~50 % error rate, mark it unhealthy.
    ewma_alpha: float = Field(default=0.1, gt=0.0, le=1.0)
    probe_interval: Duration = 30.0
    unhealthy_error_rate: float = Field(default=0.5, gt=0.0, le=1.0)
    unhealthy_latency: Duration = 8.0


class QueueSettings(_Strict):
    max_depth: int = Field(default=50, ge=0)
    # No longer than one call's timeout: a request that waited longer is better failed over or shed.
    max_wait: Duration = 10.0


class SimilaritySettings(_Strict):
    enabled: Flag = False
    threshold: float = Field(default=0.9, gt=0.0, le=1.0)
    guard: Flag = True


class CacheSettings(_Strict):
    enabled: Flag = True
    backend: Literal["memory", "redis"] = "memory"
    redis_url: str | None = None
    ttl: Duration = 300.0
    max_entries: int = Field(default=10_000, ge=1)
    similarity: SimilaritySettings = SimilaritySettings()


class ModeSettings(_Strict):
    enabled: Flag = False
    auto: Flag = False


class AutoModeSettings(_Strict):
    window: Duration = 60.0
    hold: Duration = 60.0
    min_samples: int = Field(default=20, ge=1)


class FallbackSettings(_Strict):
    enabled: Flag = True


class GoldCaseSettings(_Strict):
    """One known prompt and the entities a correct answer resolves it to (``reference_date`` seen)."""

    prompt: str = Field(min_length=1, max_length=2000)
    reference_date: date
    contacto: str | None = None
    fecha: date | None = None                                           # the resolved day
    hora: str | None = Field(default=None, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")   # HH:MM


class GoldProbeSettings(_Strict):
    """The gold probe (issue 13): ``cases`` go down the users' path, cache included, one every
    ``interval``; ``parsing_gold_probe_correct_ratio`` is the share answered correctly over ``window``.
    No cases, no probe.  The gateway has no corpus of its own: the harness passes gold cases in."""

    interval: Duration = Field(default=30.0, gt=0.0)
    window: Duration = Field(default=300.0, gt=0.0)
    cases: list[GoldCaseSettings] = Field(default_factory=list, max_length=10_000)


class HarnessSettings(_Strict):
    """What the gateway does only for the llmdrill harness, off unless the harness turns it on.

    ``call_keys``: send each provider call the ``x-llmdrill-call-key`` header (``gateway.core.call_key``)
    of a request that came with ``x-llmdrill-request-id``, so llmdrill's fakes draw the call's fate as the
    twin does.  Only those fakes understand it: a gateway pointed at real providers keeps it off.
    """

    call_keys: Flag = False


class LimitsSettings(_Strict):
    """What one client, or too many, may take of the gateway process.

    Not multiplied by ``time_scale``: these bound sockets and memory, not the incident's timeline.
    """

    # Requests (parse and chat) being answered at once; past it, 429 + Retry-After at once. Little's law
    # sizes it: 1000 holds 100 req/s of 10 s answers, the runbook's call timeout.
    max_in_flight: int = Field(default=1000, ge=1, le=1_000_000)
    shed_retry_after: Duration = Field(default=1.0, gt=0.0, le=3600.0)
    # Open connections; past it a new one gets a 503 and is closed (its descriptor freed at once).
    # The CLI lowers it below the process's descriptor limit.
    max_connections: int = Field(default=4096, ge=1, le=1_000_000)
    # Request line plus headers; past it, 431 (uvicorn's httptools parser buffers headers without bound).
    max_header_bytes: int = Field(default=65536, ge=1024, le=16 << 20)
    # From a connection's first byte (or its previous answer) to the end of the headers: slowloris.
    header_timeout: Duration = Field(default=10.0, gt=0.0, le=3600.0)
    # From the end of the headers to the end of the body: a trickled body.
    body_timeout: Duration = Field(default=30.0, gt=0.0, le=3600.0)
    # A kept-alive connection with no request in progress is closed after this.
    idle_timeout: Duration = Field(default=5.0, gt=0.0, le=3600.0)
    # Names the Host header may carry (DNS rebinding guard); "*" allows any. "localhost" admits every
    # loopback literal too.
    allowed_hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")


class GatewayConfig(_Strict):
    providers: dict[str, ProviderSettings] = Field(default_factory=_default_providers)
    provider: str = "auto"
    timeout: Duration = 10.0          # runbook Estrategia 4: 10 s per call
    # The user gives up at 30 s (runbook "Timeouts en requests (>30s)"): answer — with the fallback if need
    # be — before that, not just after it.
    deadline: Duration = 25.0
    breaker: BreakerSettings = BreakerSettings()
    retries: RetrySettings = RetrySettings()
    router: RouterSettings = RouterSettings()
    queue: QueueSettings = QueueSettings()
    cache: CacheSettings = CacheSettings()
    conservation: ModeSettings = ModeSettings()
    degraded: ModeSettings = ModeSettings()
    auto_modes: AutoModeSettings = AutoModeSettings()
    fallback: FallbackSettings = FallbackSettings()
    gold_probe: GoldProbeSettings = GoldProbeSettings()
    limits: LimitsSettings = LimitsSettings()
    harness: HarnessSettings = HarnessSettings()

    time_scale: float = Field(default=1.0, gt=0.0, le=100.0)
    seed: int = 0
    admin_token: str | None = Field(default=None, repr=False)
    max_prompt_chars: int = Field(default=20_000, ge=1)

    @field_validator("providers", mode="before")
    @classmethod
    def _merge_provider_defaults(cls, value: object) -> object:
        # A scenario that says `qwen: {weight: 0.5}` keeps qwen's runbook rpm/tpm.
        if not isinstance(value, Mapping):
            return value
        merged: dict[str, Any] = {k: dict(v) for k, v in _DEFAULT_PROVIDERS.items()}
        for name, entry in value.items():
            if name not in PROVIDERS:
                raise ValueError(f"unknown provider {name!r}{suggest(str(name), PROVIDERS)}")
            if isinstance(entry, ProviderSettings):
                entry = entry.model_dump(exclude_unset=True)
            if entry is None:
                entry = {}
            if not isinstance(entry, Mapping):
                return value  # let the model report the type error at its path
            merged[name] = {**merged[name], **entry}
        return merged

    @field_validator("providers")
    @classmethod
    def _some_weight(cls, value: dict[str, ProviderSettings]) -> dict[str, ProviderSettings]:
        if not any(p.weight > 0 and p.enabled for p in value.values()):
            raise ValueError("at least one enabled provider needs a weight > 0")
        return value

    @field_validator("provider")
    @classmethod
    def _known_override(cls, value: str) -> str:
        if value not in (*PROVIDERS, "auto"):
            raise ValueError(f"unknown provider {value!r}{suggest(value, (*PROVIDERS, 'auto'))}")
        return value

    def scaled(self, seconds: float) -> float:
        return seconds * self.time_scale

    def primary_provider(self) -> str:
        """The provider most requests go to: the pinned one, else the heaviest weight."""
        if self.provider in self.providers:
            return self.provider
        return max(self.providers, key=lambda name: self.providers[name].weight)


def suggest(name: str, valid: tuple[str, ...] | list[str]) -> str:
    """`` (did you mean 'x'?)`` for the valid name nearest ``name``, or nothing."""
    close = difflib.get_close_matches(name, list(valid), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
