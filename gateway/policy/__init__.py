"""The runbook's resilience policies as pure, sans-I/O state machines.

Pure: nothing in this package does I/O, reads a clock or touches the ``random``
module's globals.  Time arrives as ``now`` and randomness as a ``random.Random``,
so the live asyncio gateway and the SimPy twin run the very same objects.
"""

from .breaker import (
    LEGAL_TRANSITIONS,
    BreakerConfig,
    BreakerEvent,
    BreakerState,
    BreakerTransition,
    CircuitBreaker,
    IllegalTransition,
)
from .cache_policy import MemoryCache, cache_key, normalise_prompt
from .limiter import Admit, LimiterConfig, RateLimitQueue, Shed
from .modes import (
    CONSERVATION,
    KEEP,
    NORMAL,
    ModeChange,
    ModeConfig,
    ModeController,
    ModeProfile,
    Modes,
)
from .retry import RetryBudget, RetryConfig, RetryDecision, RetryPolicy
from .router import AttemptBudget, ProviderHealth, Router, RouterConfig
from .similarity import SimilarityIndex, guard_allows, similarity

__all__ = [
    "CONSERVATION",
    "KEEP",
    "LEGAL_TRANSITIONS",
    "NORMAL",
    "Admit",
    "AttemptBudget",
    "BreakerConfig",
    "BreakerEvent",
    "BreakerState",
    "BreakerTransition",
    "CircuitBreaker",
    "IllegalTransition",
    "LimiterConfig",
    "MemoryCache",
    "ModeChange",
    "ModeConfig",
    "ModeController",
    "ModeProfile",
    "Modes",
    "ProviderHealth",
    "RateLimitQueue",
    "RetryBudget",
    "RetryConfig",
    "RetryDecision",
    "RetryPolicy",
    "Router",
    "RouterConfig",
    "Shed",
    "SimilarityIndex",
    "cache_key",
    "guard_allows",
    "normalise_prompt",
    "similarity",
]
