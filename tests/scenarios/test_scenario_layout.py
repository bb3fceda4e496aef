"""scenarios/ in order: imports form a tree, none is hidden inside a function, and modules stay small.

pyproject.toml's import-linter contract checks the circles between sibling modules (tests/test_layering.py
runs it); this test checks every module against every other, and names the circle it finds.  The one
import the graph cannot see, the metric registry's discovery of its own modules, is held to what those
modules may import instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

PACKAGE = Path(__file__).resolve().parents[2] / "scenarios"


def _cycle(graph: grimp.ImportGraph) -> list[str] | None:
    """One import circle among the modules of ``graph`` (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if state.get(imported) == 1:
                return [*path[path.index(imported):], imported]
            if imported not in state:
                found = visit(imported, [*path, imported])
                if found:
                    return found
        state[module] = 2
        return None

    for start in sorted(graph.modules):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_no_module_of_scenarios_imports_itself_back() -> None:
    graph = grimp.build_graph("scenarios", include_external_packages=False)
    assert len(graph.modules) > 10, "grimp found no modules: is the package installed?"
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_circle() -> None:
    graph = grimp.ImportGraph()
    for module in ("p.a", "p.b", "p.c"):
        graph.add_module(module)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.c")
    assert _cycle(graph) is None
    graph.add_import(importer="p.c", imported="p.a")
    assert _cycle(graph) == ["p.a", "p.b", "p.c", "p.a"]


def _hidden_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inner = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
            found += [f"line {n.lineno}" for n in inner]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            found.append(f"line {node.lineno} (TYPE_CHECKING)")
        if isinstance(node, ast.Name | ast.alias) and "importlib" in getattr(node, "id", getattr(node, "name", "")):
            found.append(f"line {getattr(node, 'lineno', '?')} (importlib)")
    return found


#: the one import the graph may not see: the metric registry imports every module of its package, so
#: that a new metric is one new file; what those modules may import is checked below instead
DISCOVERY = "expectations/metrics/__init__.py"
METRICS = PACKAGE / "expectations" / "metrics"
#: all a metric module may import of the project: neither imports the registry back
METRIC_MAY_IMPORT = frozenset({"scenarios.expectations.measure", "scenarios.expectations.metric_def"})
PROJECT = ("units", "gateway", "fake_providers", "scenarios", "reports", "workload", "sim", "drill")


def test_no_import_is_hidden_where_the_import_graph_cannot_see_it() -> None:
    hidden = {
        str(path.relative_to(PACKAGE)): where
        for path in sorted(PACKAGE.rglob("*.py"))
        if (where := _hidden_imports(path.read_text(encoding="utf-8"))) and str(path.relative_to(PACKAGE)) != DISCOVERY
    }
    assert hidden == {}


def _project_imports(source: str) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom):
            names = ["." * node.level + (node.module or "")]
        out |= {n for n in names if n.startswith(".") or n.split(".")[0] in PROJECT}
    return out


def test_a_metric_module_imports_nothing_that_imports_the_registry() -> None:
    """The import graph cannot see the registry's discovery, so a circle through it (a metric importing
    the parser, which imports the registry mid-discovery) would be hidden: each metric module imports
    only ``measure`` and ``metric_def`` of the project."""
    modules = sorted(p for p in METRICS.glob("*.py") if p.name != "__init__.py")
    assert len(modules) >= 8
    wider = {p.name: sorted(_project_imports(p.read_text(encoding="utf-8")) - METRIC_MAY_IMPORT) for p in modules}
    assert {name: extra for name, extra in wider.items() if extra} == {}


def test_the_metric_import_check_sees_a_wider_import() -> None:
    assert _project_imports("from scenarios.expectations.parser import parse_expectation\nimport os\n") == {
        "scenarios.expectations.parser"
    }
    assert _project_imports("from . import rate\nfrom units.durations import parse_duration\n") == {
        ".",
        "units.durations",
    }


def test_the_hidden_import_finder_finds_them() -> None:
    source = "import importlib\nif TYPE_CHECKING:\n    import x\ndef f():\n    from a import b\n"
    assert len(_hidden_imports(source)) == 3
    assert _hidden_imports("import os\n\ndef f() -> None:\n    os.getcwd()\n") == []
