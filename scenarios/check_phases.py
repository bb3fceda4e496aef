"""The ``phases:`` section checked: named windows with unique names (absent: ``scenarios.phases`` derives them)."""

from __future__ import annotations

from typing import Any

from scenarios.checker import Checker
from scenarios.phases import Phase
from scenarios.yamltree import FieldPath

__all__ = ["check_phases"]


def check_phases(check: Checker, value: Any, duration: float | None) -> list[Phase] | None:
    if value is None:
        return None
    out: list[Phase] = []
    names: dict[str, int] = {}
    for i, item in enumerate(check.items(("phases",), value)):
        path: FieldPath = ("phases", i)
        entry = check.mapping(path, item, ("name", "at", "until"), ("name", "at", "until"))
        if entry is None or not {"name", "at", "until"} <= entry.keys():
            continue
        name = check.text((*path, "name"), entry["name"])
        at, until, ok = check.window(path, entry, duration, at_default=False)
        if name is not None and name in names:
            check.report((*path, "name"), f"phase name {name!r} is already used by phases[{names[name]}]")
            ok = False
        if name is not None:
            names.setdefault(name, i)
        if ok and name is not None and at is not None and until is not None:
            out.append(Phase(name, at, until))
    return out
