"""The ``expect:`` section checked: every line parses, and every ``fault N`` it names exists."""

from __future__ import annotations

import re
from typing import Any

from scenarios.checker import Checker, describe
from scenarios.expectations import ExpectationSyntaxError, parse_expectation
from scenarios.yamltree import FieldPath

__all__ = ["check_expectations"]

_FAULT_REF = re.compile(r"\bfault\s+(\d+)")


def check_expectations(check: Checker, value: Any, window_count: int) -> list[str]:
    out: list[str] = []
    for i, item in enumerate(check.items(("expect",), value)):
        path: FieldPath = ("expect", i)
        if not isinstance(item, str) or not item.strip():
            check.report(path, f"expected an expectation such as 'p95(latency) < 10s', got {describe(item)}")
            continue
        text = item.strip()
        for ref in _FAULT_REF.finditer(text):
            if int(ref.group(1)) >= window_count:
                check.report(
                    path,
                    f"{ref.group(0)!r} does not exist: this scenario has {window_count} fault "
                    "window(s), numbered from 0 (faults first, then network)",
                )
        try:
            parse_expectation(text)
        except ExpectationSyntaxError as exc:
            check.report(path, f"{exc.message} at column {exc.column}: {text}")
        out.append(text)
    return out
