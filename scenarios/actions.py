"""The ``actions:`` of a scenario: the operator's moves on the gateway's admin API at scripted times."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from scenarios.vocabulary import ADMIN_KEYS

__all__ = ["AdminAction", "Toggle"]

Toggle = bool | Literal["auto"]


@dataclass(frozen=True, slots=True)
class AdminAction:
    """An operator's move at ``at_s``: ``PUT /admin/config`` of the fields set (None: unchanged)."""

    at_s: float
    provider: str | None
    conservation_mode: Toggle | None
    degraded_mode: Toggle | None
    line: int

    def admin_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for key in ADMIN_KEYS:
            value = getattr(self, key)
            if value is not None:
                body[key] = value
        return body
