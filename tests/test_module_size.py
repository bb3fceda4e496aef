"""One concept per file (STYLE.md, issue 12): no module of the project's packages is over about 300 lines
unless its docstring says why at its top ("over 300 lines", "longer than ...")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("units", "gateway", "fake_providers", "scenarios", "reports", "drill", "sim", "workload", "bench")
MAX_LINES = 300
#: how a module says why it is long
REASON = re.compile(r"over (the house's )?~?300 lines|longer than", re.IGNORECASE)


def _long_without_reason() -> dict[str, int]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            lines = len(text.splitlines())
            if lines > MAX_LINES and not REASON.search(ast.get_docstring(ast.parse(text)) or ""):
                out[str(path.relative_to(ROOT))] = lines
    return out


def test_every_module_is_small_or_says_why_not() -> None:
    assert _long_without_reason() == {}


def test_the_check_sees_a_long_module_without_a_reason() -> None:
    """The rule can fail: a 301-line module with an ordinary docstring is long, one that says why is not."""
    plain = '"""A module."""\n' + "x = 1\n" * 300
    argued = '"""A table; longer than 300 lines because it is one table."""\n' + "x = 1\n" * 300
    assert len(plain.splitlines()) > MAX_LINES
    assert not REASON.search(ast.get_docstring(ast.parse(plain)) or "")
    assert REASON.search(ast.get_docstring(ast.parse(argued)) or "")
