"""The ``actions:`` section checked: admin moves at times within the run, each setting something."""

from __future__ import annotations

from typing import Any, cast

from scenarios.actions import AdminAction
from scenarios.checker import Checker, describe
from scenarios.vocabulary import ADMIN_KEYS, PROVIDERS
from scenarios.yamltree import FieldPath

__all__ = ["check_actions"]


def check_actions(check: Checker, value: Any, duration: float | None) -> list[AdminAction]:
    out: list[AdminAction] = []
    for i, item in enumerate(check.items(("actions",), value)):
        path: FieldPath = ("actions", i)
        entry = check.mapping(path, item, ("at", "admin", "label"), ("at", "admin"))
        if entry is None or "at" not in entry or "admin" not in entry:
            continue
        at = check.duration((*path, "at"), entry["at"])
        if at is not None and duration is not None and at > duration:
            check.report((*path, "at"), f"at ({at:g}s) is past the scenario's duration ({duration:g}s)")
            at = None
        admin = check.mapping((*path, "admin"), entry["admin"], ADMIN_KEYS)
        if admin is None:
            continue
        if not admin:
            check.report(
                (*path, "admin"), "an admin action must set at least one of: " + ", ".join(ADMIN_KEYS)
            )
            continue
        provider = None
        if "provider" in admin:
            provider = check.choice(
                (*path, "admin", "provider"), admin["provider"], (*PROVIDERS, "auto"), "provider"
            )
            if provider is None:
                continue
        toggles: dict[str, bool | str | None] = {}
        for key in ("conservation_mode", "degraded_mode"):
            flag = admin.get(key)
            if flag is not None and not isinstance(flag, bool) and flag != "auto":
                check.report((*path, "admin", key), f"expected true, false or auto, got {describe(flag)}")
                flag = "invalid"
            toggles[key] = flag
        if at is None or "invalid" in toggles.values():
            continue
        out.append(
            AdminAction(
                at,
                provider,
                cast(Any, toggles["conservation_mode"]),
                cast(Any, toggles["degraded_mode"]),
                check.doc.line(path),
            )
        )
    return out
