"""What one appointment-parse request came to, as domain values.

Pure and HTTP-free: the service renders the body and headers from it
(``gateway.service.render``), the twin's recorder reads the same rendering, and
observers read the fields.  Its own module so that ``observer`` can name the type
without importing the pipeline that reports through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from units.frozen_init import frozen_init

__all__ = ["ParseOutcome"]


@frozen_init   # built once a request: its frozen __init__ was ~8 % of a cached request (``frozen_init``)
@dataclass(frozen=True, slots=True)
class ParseOutcome:
    """Everything the HTTP layer (or the twin's recorder) needs about one parse request."""

    status: int                        # 200, 429 (rate-limited / shed) or 503 (nothing could answer)
    #: the agents' JSON-ready answer (entities, validation, geo, ...) of a 200; None otherwise
    answer: dict[str, Any] | None = None
    #: why a non-200 has no answer: a short kind ("overloaded", "llm_unavailable") and a sentence
    error_kind: str | None = None
    error_message: str | None = None
    provider: str | None = None
    cache_hit: bool = False
    fallback: bool = False
    degraded: bool = False
    conservation: bool = False
    attempts: int = 0
    json_error: bool = False
    confidence: float | None = None
    #: the whole pipeline's time on the stack's clock, from the request's arrival
    agent_s: float = 0.0
    agents: dict[str, float] = field(default_factory=dict)
    retry_after_s: float | None = None
    valid: bool | None = None
    #: a gold probe's request, not a user's (observers that count users skip it)
    probe: bool = False
