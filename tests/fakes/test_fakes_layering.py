"""The provider model (``fake_providers/faults``) imports nothing of the wire shells that play it out.

``servers/`` imports ``faults/`` and never the other way round, so the twin can
import the reply model first without pulling (or circling back through) the
ASGI servers; each module also imports on its own, in a fresh interpreter.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FAULTS = sorted((ROOT / "fake_providers" / "faults").glob("*.py"))
SHELLS = ("fake_providers.servers", "fake_providers.proxy", "fake_providers.cli")


def _imports(path: pathlib.Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_the_model_imports_no_shell() -> None:
    assert FAULTS
    bad = {f"{p.name}: {m}" for p in FAULTS for m in _imports(p) if m.startswith(SHELLS)}
    assert not bad, sorted(bad)


@pytest.mark.parametrize("module", ["fake_providers.faults.reply", "fake_providers.faults.service",
                                    "fake_providers.servers.chat", "fake_providers.faults.answers"])
def test_each_entry_point_imports_first_without_a_circle(module: str) -> None:
    done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
