"""DESIGN.md's import table, checked: import-linter's contracts in pyproject.toml must all be kept, one of
them refusing an import circle between sibling modules anywhere in the tree; and no import hides inside a
function without saying why it is lazy."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_layout_contracts_are_kept() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None, "lint-imports is missing: scripts/setup.sh installs the dev tools (import-linter)"
    done = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


PACKAGES = ("units", "gateway", "fake_providers", "scenarios", "reports", "workload", "sim", "drill")


def _is_import(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Import | ast.ImportFrom)


def _uncommented_lazy_imports(source: str) -> list[int]:
    """Lines of imports inside a function whose group (consecutive imports) has no comment saying why it is
    lazy: on a line of the group or the line above it.  ``if TYPE_CHECKING:`` imports are not lazy ones."""
    lines = source.splitlines()
    tree = ast.parse(source)
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }
    seen: set[int] = set()
    bad: list[int] = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            for field in ("body", "orelse", "finalbody"):
                body = getattr(node, field, None)
                if not isinstance(body, list):
                    continue
                group: list[ast.stmt] = []
                for stmt in [*body, None]:
                    if _is_import(stmt) and id(stmt) not in typing_only and id(stmt) not in seen:
                        assert isinstance(stmt, ast.stmt)
                        group.append(stmt)
                        seen.add(id(stmt))
                        continue
                    if group:
                        above = lines[group[0].lineno - 2] if group[0].lineno > 1 else ""
                        text = [above.strip() if above.strip().startswith("#") else ""]
                        text += [lines[i - 1] for s in group for i in range(s.lineno, (s.end_lineno or s.lineno) + 1)]
                        if not any("#" in t and "lazy" in t.split("#", 1)[1] for t in text):
                            bad += [s.lineno for s in group]
                        group = []
    return bad


def test_every_lazy_import_says_why_it_is_lazy() -> None:
    """An import inside a function is lazy on purpose (an optional or heavy dependency, a command's start-up
    time), and its comment says which; one that only hid an import circle belongs at the top."""
    found = {
        str(path.relative_to(ROOT)): lines
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if (lines := _uncommented_lazy_imports(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_lazy_import_check_sees_an_unexplained_one() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import numpy\n"
        "def a():\n    import json\n    import os\n    return json, os\n"
        "def b():\n    # lazy: heavy\n    import json\n    import os\n    return json, os\n"
        "def c():\n    import yaml  # lazy: optional\n    if yaml:\n        import csv\n    return csv\n"
        "def d():\n    import re  # not a reason, a remark\n    return re\n"
    )
    assert _uncommented_lazy_imports(source) == [5, 6, 16, 19]


def test_the_circle_contract_covers_every_package_of_the_tree() -> None:
    """A package added to ``root_packages`` is checked for circles too: the contract's ancestors are them all."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    acyclic = [c for c in config["contracts"] if c["type"] == "acyclic_siblings"]
    assert len(acyclic) == 1
    assert sorted(acyclic[0]["ancestors"]) == sorted(config["root_packages"]) == sorted(PACKAGES)
    assert acyclic[0].get("depth", 10) >= max(
        len(p.relative_to(ROOT).parts) for package in PACKAGES for p in (ROOT / package).rglob("__init__.py")
    )


def test_the_circle_contract_finds_a_circle_between_nested_siblings(tmp_path: Path) -> None:
    """The same contract, over a tree with one circle two packages down: lint-imports must break on it."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None
    inner = tmp_path / "top" / "mid"
    inner.mkdir(parents=True)
    for package in (tmp_path / "top", inner):
        (package / "__init__.py").write_text("", encoding="utf-8")
    (inner / "a.py").write_text("from top.mid import b\n", encoding="utf-8")
    (inner / "b.py").write_text("X = 1\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.importlinter]\nroot_packages = ["top"]\n\n[[tool.importlinter.contracts]]\nname = "circles"\n'
        'type = "acyclic_siblings"\nancestors = ["top"]\n',
        encoding="utf-8",
    )

    def lint() -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": str(tmp_path)}
        return subprocess.run([exe, "--no-cache"], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=120, check=False)

    assert lint().returncode == 0
    (inner / "b.py").write_text("from top.mid.a import b as again\n", encoding="utf-8")
    broken = lint()
    assert broken.returncode != 0 and "top.mid" in broken.stdout, broken.stdout[-2000:]
