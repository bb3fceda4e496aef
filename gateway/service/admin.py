"""The admin API's change request: parsed and checked whole, then applied all at once.

``parse_admin_change`` touches nothing: a body with one bad field is refused
before any of its other fields is applied, so an operator never leaves a
half-applied change behind a 400.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from .inputs import BadInput

__all__ = ["ADMIN_FIELDS", "BREAKER_ACTIONS", "UNSET", "AdminChange", "Unset", "parse_admin_change"]

ADMIN_FIELDS = ("provider", "conservation_mode", "degraded_mode", "breakers")
BREAKER_ACTIONS = ("force_open", "disable", "reset")

BreakerAction = Literal["force_open", "disable", "reset"]
#: a mode field: True/False pins the mode, None hands it back to the automatic controller
ModeSetting = bool | None


class Unset:
    __slots__ = ()


UNSET = Unset()


@dataclass(frozen=True, slots=True)
class AdminChange:
    #: the provider to pin, None for "auto", UNSET when the body did not say
    provider: str | Unset | None = UNSET
    conservation: ModeSetting | Unset = UNSET
    degraded: ModeSetting | Unset = UNSET
    breakers: tuple[tuple[str, BreakerAction], ...] = field(default=())

    def as_event(self) -> dict[str, Any]:
        """The change as the event log records it, in the API's own field names."""
        out: dict[str, Any] = {}
        if not isinstance(self.provider, Unset):
            out["provider"] = self.provider or "auto"
        for name, value in (("conservation_mode", self.conservation), ("degraded_mode", self.degraded)):
            if not isinstance(value, Unset):
                out[name] = "auto" if value is None else value
        if self.breakers:
            out["breakers"] = dict(self.breakers)
        return out


def parse_admin_change(body: Any, providers: Collection[str]) -> AdminChange:
    """The change ``body`` asks for; ``BadInput`` naming the first bad field, before anything is applied."""
    if not isinstance(body, dict):
        raise BadInput(400, "(body)", "expected a JSON object with any of " + ", ".join(ADMIN_FIELDS))
    for key in body:
        if key not in ADMIN_FIELDS:
            raise BadInput(400, str(key), f"unknown field; expected one of {list(ADMIN_FIELDS)}")
    known = sorted(providers)
    provider: str | Unset | None = UNSET
    if "provider" in body:
        p = body["provider"]
        if p is not None and (not isinstance(p, str) or (p != "auto" and p not in providers)):
            raise BadInput(400, "provider", f"expected \"auto\" or one of {known}, got {_show(p)}")
        provider = None if p in (None, "auto") else p
    modes: dict[str, ModeSetting | Unset] = {"conservation_mode": UNSET, "degraded_mode": UNSET}
    for name in modes:
        if name in body:
            v = body[name]
            # ``1 == True`` in Python: compare types, so that 1, 0 and 1.0 are refused as booleans.
            if type(v) is not bool and v is not None and v != "auto":
                raise BadInput(400, name, f"expected true, false or \"auto\", got {_show(v)}")
            modes[name] = None if v in (None, "auto") else v
    actions: list[tuple[str, BreakerAction]] = []
    if "breakers" in body:
        b = body["breakers"]
        if not isinstance(b, dict):
            raise BadInput(400, "breakers", f"expected an object {{provider: {'|'.join(BREAKER_ACTIONS)}}}, "
                                            f"got {_show(b)}")
        for name, action in b.items():
            if name not in providers:
                raise BadInput(400, f"breakers.{name}", f"unknown provider; expected one of {known}")
            if not isinstance(action, str) or action not in BREAKER_ACTIONS:
                raise BadInput(400, f"breakers.{name}", f"expected one of {list(BREAKER_ACTIONS)}, "
                                                        f"got {_show(action)}")
            actions.append((name, action))  # type: ignore[arg-type]  # checked against BREAKER_ACTIONS
    return AdminChange(provider, modes["conservation_mode"], modes["degraded_mode"], tuple(actions))


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
