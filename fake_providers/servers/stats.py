"""What a fake served: requests by outcome, tokens, a latency summary.

A model only; the control API renders it.  Latencies are kept in a bounded
ring so a long game day cannot grow memory without limit.
"""

from __future__ import annotations

from collections import Counter, deque

__all__ = ["ProviderStats"]

_KEEP = 20_000
#: per-call records kept for ``GET /_control/calls`` (a drill of a foreign gateway reads them)
_KEEP_CALLS = 500_000


class ProviderStats:
    __slots__ = ("by_outcome", "calls", "completion_tokens", "latencies", "prompt_tokens", "provider", "requests")

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.requests = 0
        self.by_outcome: Counter[str] = Counter()
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.latencies: deque[float] = deque(maxlen=_KEEP)
        #: (plan seconds at the call's start, outcome, seconds it took)
        self.calls: deque[tuple[float, str, float]] = deque(maxlen=_KEEP_CALLS)

    def record(self, outcome: str, seconds: float, prompt_tokens: int, completion_tokens: int,
               started_s: float | None = None) -> None:
        if started_s is not None:
            self.calls.append((round(started_s, 6), outcome, round(seconds, 6)))
        self.requests += 1
        self.by_outcome[outcome] += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.latencies.append(seconds)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def summary(self) -> dict[str, object]:
        values = sorted(self.latencies)

        def quantile(q: float) -> float | None:
            if not values:
                return None
            return values[min(len(values) - 1, int(q * len(values)))]

        latency: dict[str, object] = {
            "count": len(values),
            "mean": (sum(values) / len(values)) if values else None,
            "p50": quantile(0.50),
            "p95": quantile(0.95),
            "p99": quantile(0.99),
            "max": values[-1] if values else None,
        }
        return {
            "requests": self.requests,
            "by_outcome": dict(sorted(self.by_outcome.items())),
            "tokens": {"prompt": self.prompt_tokens, "completion": self.completion_tokens, "total": self.tokens},
            "latency_s": latency,
        }
