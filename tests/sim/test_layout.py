"""``sim`` imports only what DESIGN.md's layout table allows: never ``drill``, where the live shell lives."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ALLOWED = {"gateway", "fake_providers", "scenarios", "reports", "workload", "units", "sim", "simpy", "httpx"}
ROOT = Path(__file__).resolve().parents[2]


def test_sim_imports_only_its_layers() -> None:
    bad: list[str] = []
    for path in sorted((ROOT / "sim").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in ALLOWED and top not in sys.stdlib_module_names:
                    bad.append(f"{path.name}: {name}")
    assert not bad, bad
