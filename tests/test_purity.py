"""The purity rule beyond ``gateway/policy``: the request path (``gateway/core``) and the fault engine
(``fake_providers/faults``) read no wall clock, do no I/O and draw from no global RNG, so the live
service and the twin run the very same code on two clocks (DESIGN.md, "The central idea")."""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PURE_DIRS = [ROOT / "gateway" / "policy", ROOT / "gateway" / "core", ROOT / "fake_providers" / "faults"]
FORBIDDEN_MODULES = {"time", "asyncio", "socket", "threading", "os", "httpx", "simpy", "subprocess", "requests"}
#: calls that read the wall clock
CLOCK_READS = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today")}


def _problems(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        names: set[str] = set()
        if isinstance(node, ast.Import):
            names = {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = {node.module.split(".")[0]}
        if names & FORBIDDEN_MODULES:
            out.append(f"{path.name}:{node.lineno}: imports {sorted(names & FORBIDDEN_MODULES)}")
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "random" and node.attr != "Random":
                out.append(f"{path.name}:{node.lineno}: uses the global random.{node.attr}")
            if (node.value.id, node.attr) in CLOCK_READS:
                out.append(f"{path.name}:{node.lineno}: reads the wall clock ({node.value.id}.{node.attr})")
        if isinstance(node, ast.Name) and node.id == "open":
            out.append(f"{path.name}:{node.lineno}: opens a file")
    return out


@pytest.mark.parametrize("folder", PURE_DIRS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_pure_packages_stay_pure(folder: pathlib.Path) -> None:
    files = sorted(folder.glob("*.py"))
    assert files, f"no modules under {folder}"
    problems = [p for f in files for p in _problems(f)]
    assert not problems, "\n".join(problems)
