"""The ``stack:`` section checked: only its shape. The gateway's config loader owns its meaning."""

from __future__ import annotations

from typing import Any

from scenarios.checker import Checker, describe
from scenarios.vocabulary import PROVIDERS

__all__ = ["check_stack"]


def check_stack(check: Checker, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        check.report(("stack",), f"expected a mapping of gateway config overrides, got {describe(value)}")
        return {}
    stack = value
    providers = stack.get("providers")
    if providers is not None:
        section = check.mapping(("stack", "providers"), providers, PROVIDERS)
        if section is not None:
            for name, conf in section.items():
                if name in PROVIDERS and not isinstance(conf, dict | type(None)):
                    check.report(("stack", "providers", name), f"expected a mapping, got {describe(conf)}")
    return stack
