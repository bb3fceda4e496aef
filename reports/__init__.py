"""Reports: the runbook's rules as data, their evaluation over a run's records, and the writers.

Names are imported lazily so that ``reports.records`` (which the collectors and the twin write with)
does not pull numpy and matplotlib in.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "DEFAULT_RULES",
    "Evaluation",
    "ExpectationResult",
    "FaultWindow",
    "LoadedRun",
    "Phase",
    "Report",
    "Rule",
    "RunDataError",
    "RunInfo",
    "build_report",
    "compare_reports",
    "evaluate",
    "load_run",
    "render_comparison_markdown",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_plots",
    "severity_timeline",
    "write_all",
]

_WHERE = {
    "DEFAULT_RULES": "rules",
    "Rule": "rules",
    "Evaluation": "evaluate",
    "evaluate": "evaluate",
    "ExpectationResult": "expect",
    "FaultWindow": "runinfo",
    "Phase": "runinfo",
    "RunInfo": "runinfo",
    "LoadedRun": "io",
    "RunDataError": "io",
    "load_run": "io",
    "write_all": "io",
    "Report": "report",
    "build_report": "report",
    "compare_reports": "compare",
    "render_comparison_markdown": "compare",
    "render_html": "write_html",
    "render_json": "write_json",
    "render_junit": "write_junit",
    "render_markdown": "write_markdown",
    "render_plots": "plots",
    "severity_timeline": "severity",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'reports' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
