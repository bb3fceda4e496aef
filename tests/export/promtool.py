"""promtool for the export tests: found on PATH, skipped outside CI when absent, a failure in CI."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["check_rules", "promtool", "run_rule_tests"]


def promtool() -> str:
    path = shutil.which("promtool")
    if path is not None:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail("promtool is not on PATH, and CI must check the exported rules with it "
                    "(scripts/setup.sh installs Debian's prometheus package, which ships it)")
    pytest.skip("promtool is not on PATH (Debian: apt-get install prometheus); outside CI these checks are skipped")


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def check_rules(path: Path) -> subprocess.CompletedProcess[str]:
    return _run("check", "rules", str(path))


def run_rule_tests(path: Path) -> subprocess.CompletedProcess[str]:
    return _run("test", "rules", path.name, cwd=path.parent)

