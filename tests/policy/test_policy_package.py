"""The policy package's surface and its purity rule."""

from __future__ import annotations

import ast
import pathlib

import gateway.policy as policy

POLICY_DIR = pathlib.Path(policy.__file__).parent
FORBIDDEN_MODULES = {"time", "asyncio", "socket", "threading", "datetime", "os", "httpx", "simpy"}


def test_all_is_exactly_the_public_surface() -> None:
    public = {n for n in dir(policy) if not n.startswith("_")}
    modules = {"breaker", "cache_policy", "limiter", "modes", "retry", "router"}
    assert set(policy.__all__) == public - modules
    for name in policy.__all__:
        assert getattr(policy, name) is not None


def test_modules_state_their_rule_and_import_no_io_or_clock() -> None:
    for path in sorted(POLICY_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree) or ""
        if path.name != "__init__.py":
            assert "Pure: no I/O, no clock" in doc, path.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = {node.module.split(".")[0]}
            else:
                names = set()
            assert not names & FORBIDDEN_MODULES, f"{path.name} imports {names & FORBIDDEN_MODULES}"
            # Randomness must come in as a random.Random, never from the module's global generator.
            is_random = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            if is_random and node.value.id == "random":  # type: ignore[attr-defined]
                assert node.attr == "Random", f"{path.name} uses random.{node.attr}"
