"""The ``faults:`` section (provider-side rules) and ``baseline:`` checked.

A rule is kept as written — the fakes' fault parser owns its meaning — but its window, provider,
single effect and the durations inside the effect are checked here. A ``network:`` effect inside
``faults:`` (DESIGN.md's sketch) becomes a network fault.
"""

from __future__ import annotations

from typing import Any

from scenarios.check_network import check_network_entry
from scenarios.checker import Checker, describe
from scenarios.faults import FaultRule
from scenarios.frozen import freeze
from scenarios.network import NetworkFault
from scenarios.vocabulary import FAULT_EFFECT_DURATION_KEYS, FAULT_EFFECTS, FAULT_KEYS
from scenarios.yamltree import FieldPath

__all__ = ["check_baseline", "check_effect_durations", "check_faults"]


def check_faults(check: Checker, value: Any, duration: float | None) -> tuple[list[FaultRule], list[NetworkFault]]:
    rules: list[FaultRule] = []
    nets: list[NetworkFault] = []
    for i, item in enumerate(check.items(("faults",), value)):
        path: FieldPath = ("faults", i)
        entry = check.mapping(path, item, FAULT_KEYS, ("provider",))
        if entry is None:
            continue
        at, until, ok = check.window(path, entry, duration, at_default=True)
        provider = (
            check.provider((*path, "provider"), entry.get("provider"), wildcard=True)
            if "provider" in entry
            else None
        )
        if "probability" in entry:
            ok &= check.number((*path, "probability"), entry["probability"], 0.0, 1.0) is not None
        effects = [key for key in FAULT_EFFECTS if key in entry]
        if len(effects) != 1:
            found = ", ".join(effects) if effects else "none"
            check.report(
                path,
                f"a fault rule needs exactly one effect ({', '.join(FAULT_EFFECTS)}); found: {found}",
            )
            continue
        effect = effects[0]
        label = entry.get("label", entry.get("id", f"{effect} on {provider}"))
        if not isinstance(label, str):
            check.report((*path, "label"), f"expected text, got {describe(label)}")
            ok = False
        if effect == "network":
            net = check_network_entry(check, (*path, "network"), entry["network"], i, at, until, provider, label)
            if net is not None and ok:
                nets.append(net)
            continue
        ok &= check_effect_durations(check, (*path, effect), effect, entry[effect])
        if ok and at is not None and provider is not None:
            rules.append(
                FaultRule(i, at, until, provider, effect, label, freeze(entry), check.doc.line(path))
            )
    return rules, nets


def check_effect_durations(check: Checker, path: FieldPath, effect: str, value: Any) -> bool:
    keys = FAULT_EFFECT_DURATION_KEYS.get(effect)
    if keys is None or not isinstance(value, dict):
        return True
    ok = True
    for key, item in value.items():
        if isinstance(item, dict):
            ok &= check_effect_durations(check, (*path, key), effect, item)
        elif key in keys:
            for j, one in enumerate(item) if isinstance(item, list) else [(None, item)]:
                where = (*path, key) if j is None else (*path, key, j)
                ok &= check.duration(where, one) is not None
    return ok


def check_baseline(check: Checker, value: Any) -> Any:
    """The fakes' no-fault latency: a duration, or a distribution as in a ``latency:`` effect."""
    path: FieldPath = ("baseline",)
    if isinstance(value, dict):
        if "dist" not in value:
            check.report(
                path, "a baseline mapping needs dist: (constant, uniform, normal, lognormal or empirical)"
            )
            return None
        return freeze(value) if check_effect_durations(check, path, "latency", value) else None
    return value if check.duration(path, value) is not None else None
