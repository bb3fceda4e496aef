"""One concept per file (STYLE.md, issue 12): no module of the project's packages is over about 300 lines
unless its docstring says why at its top ("over 300 lines", "longer than ...") in a sentence that gives a
reason, not only the magic words; a comment further down does not count."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("units", "gateway", "fake_providers", "scenarios", "reports", "drill", "sim", "workload", "bench")
MAX_LINES = 300
#: how a module says that it is long
REASON = re.compile(r"over (the house's )?~?300 lines|longer than", re.IGNORECASE)
#: words the sentence holding the magic words must have besides them: "This module is over 300 lines." is
#: no reason, "over 300 lines: most of it is one table, the runbook's rules written out" is
MIN_REASON_WORDS = 8
_SENTENCE_END = re.compile(r"\.(?:\s|$)|\n\s*\n")
_WORD = re.compile(r"[A-Za-z]{2,}")


def stated_reason(docstring: str) -> str | None:
    """The sentence of ``docstring`` that says why its module is long, if one does."""
    for sentence in _SENTENCE_END.split(docstring):
        found = REASON.search(sentence)
        if found and len(_WORD.findall(sentence[: found.start()] + sentence[found.end() :])) >= MIN_REASON_WORDS:
            return " ".join(sentence.split())
    return None


def long_without_reason(root: Path, packages: tuple[str, ...]) -> tuple[dict[str, int], int]:
    """(every module over ``MAX_LINES`` lines whose docstring states no reason -> its length, modules read)"""
    out, seen = {}, 0
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            seen += 1
            lines = len(text.splitlines())
            if lines > MAX_LINES and stated_reason(ast.get_docstring(ast.parse(text)) or "") is None:
                out[str(path.relative_to(root))] = lines
    return out, seen


def test_every_module_is_small_or_says_why_not() -> None:
    found, seen = long_without_reason(ROOT, PACKAGES)
    assert seen > 200, f"read only {seen} modules: is the tree where the test thinks?"
    assert found == {}


_BODY = "x = 1\n" * MAX_LINES
_REAL = "One table, over 300 lines: the runbook's rules written out field by field, checked in one place."


def test_the_check_finds_each_way_a_long_module_fails_to_say_why(tmp_path: Path) -> None:
    """The same check, over a tree of modules that fail the rule in each way it can (and two that keep it)."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    modules = {
        "plain.py": '"""A module."""\n' + _BODY,
        "magic_words_only.py": '"""A module. It is over 300 lines."""\n' + _BODY,
        "reason_in_a_comment.py": '"""A module."""\n' + _BODY[:1200] + f"# {_REAL}\n" + _BODY[1200:],
        "reason_after_the_docstring.py": f'"""A module."""\n"""{_REAL}"""\n' + _BODY,
        "sub/nested_plain.py": '"""Deeper down."""\n' + _BODY,
        "argued.py": f'"""A module.\n\n{_REAL}\n"""\n' + _BODY,
        "exactly_300.py": _BODY,
    }
    for name, text in modules.items():
        (package / name).write_text(text, encoding="utf-8")
    found, seen = long_without_reason(tmp_path, ("pkg",))
    assert seen == len(modules)
    assert set(found) == {
        "pkg/plain.py",
        "pkg/magic_words_only.py",
        "pkg/reason_in_a_comment.py",
        "pkg/reason_after_the_docstring.py",
        "pkg/sub/nested_plain.py",
    }
    assert found["pkg/plain.py"] == MAX_LINES + 1


def test_the_reasons_the_long_modules_give_are_read_as_reasons() -> None:
    assert stated_reason(_REAL) is not None
    assert stated_reason("Why this file is over 300 lines: most of it is one table, the runbook's ten rules.")
    assert stated_reason("It is longer than 300 lines.") is None
    assert stated_reason("Over 300 lines. Because it is one table of rules, read together in one place.") is None
