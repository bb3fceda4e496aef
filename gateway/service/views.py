"""The gateway's state as JSON, for ``GET /healthz`` and ``/admin/config``.

Read-only views over the stack at one instant: what an operator (or the game day
page) sees of providers, breakers, modes and quota.
"""

from __future__ import annotations

from typing import Any

from ..core.stack import Stack
from ..policy.router import ProviderHealth

__all__ = ["admin_view", "health_json"]


def health_json(health: ProviderHealth) -> dict[str, Any]:
    return {"state": str(health.state), "healthy": bool(health.healthy),
            "error_rate": round(float(health.error_rate), 4), "latency_s": round(float(health.latency_s), 4)}


def admin_view(stack: Stack, now: float) -> dict[str, Any]:
    """The body of ``GET``/``PUT /admin/config``: the switches and what they act on."""
    mode = stack.mode_view(now)
    return {
        "provider": stack.router.override or "auto",
        "conservation_mode": mode.conservation,
        "degraded_mode": mode.degraded,
        "breakers": {name: str(b.state(now)) for name, b in stack.breakers.items()},
        "health": {name: health_json(h) for name, h in stack.router.health(now).items()},
        "quota": {name: {"remaining_requests": q.remaining_requests, "remaining_tokens": q.remaining_tokens}
                  for name, q in stack.quota.items()},
    }
