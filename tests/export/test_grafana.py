"""``llmdrill export grafana-dashboard``: Grafana's dashboard model accepts it, and promtool every query.

The model is grafana-foundation-sdk's (Grafana 11.6 types): decoding the JSON with it and encoding it
back must lose nothing — a misspelt or unknown field is dropped by the decoder and shows up here — and
each target must decode as a Prometheus query, each panel's options as its panel type's.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from reports.export_grafana import PANELS, SCHEMA_VERSION, panel_queries

from .promtool import check_rules

try:
    import grafana_foundation_sdk  # noqa: F401
except ImportError:   # a dev dependency (pyproject.toml): CI installs it, so there its absence is a failure
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("grafana-foundation-sdk is not installed (pip install -e '.[dev]')", allow_module_level=True)
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models import prometheus, statetimeline, timeseries
from grafana_foundation_sdk.models.dashboard import Dashboard

ROOT = Path(__file__).resolve().parents[2]
#: the runbook's "Dashboard Clave" list, in its words
RUNBOOK_PANELS = ["Latencia LLM p50, p95, p99", "Error rate por proveedor", "Requests por minuto",
                  "Confidence promedio", "Timeout rate", "Cache hit rate"]


def _exported(tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "dashboard.json"
    done = subprocess.run([sys.executable, "-m", "drill.cli", "export", "grafana-dashboard", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def _lost(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """What ``theirs`` (the model's re-encoding) lost or changed of ``ours``."""
    if isinstance(ours, dict):
        if not isinstance(theirs, dict):
            return [f"{path}: became {type(theirs).__name__}"]
        return [p for k, v in ours.items()
                for p in ([f"{path}.{k}: dropped by the model"] if k not in theirs
                          else _lost(v, theirs[k], f"{path}.{k}"))]
    if isinstance(ours, list):
        if not isinstance(theirs, list) or len(ours) != len(theirs):
            return [f"{path}: list changed"]
        return [p for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) for p in _lost(a, b, f"{path}[{i}]")]
    return [] if ours == theirs else [f"{path}: {ours!r} became {theirs!r}"]


def test_the_dashboard_round_trips_through_grafanas_model(tmp_path: Path) -> None:
    register_default_plugins()
    data = _exported(tmp_path)
    model = Dashboard.from_json(data)
    again = json.loads(json.dumps(model, cls=JSONEncoder))
    assert _lost(data, again) == []
    assert model.schema_version == SCHEMA_VERSION == Dashboard().schema_version   # the model's current version
    kinds = {"timeseries": timeseries.Options, "state-timeline": statetimeline.Options}
    assert model.panels
    for panel in model.panels:
        assert isinstance(panel.options, kinds[panel.type_val]), panel.title
        assert panel.targets
        for target in panel.targets:
            assert isinstance(target, prometheus.Dataquery), panel.title
            assert target.datasource is not None and target.datasource.uid == "${datasource}"


def test_a_misspelt_field_is_caught_by_the_round_trip(tmp_path: Path) -> None:
    """The check can fail: a field Grafana's model does not know is reported."""
    register_default_plugins()
    data = _exported(tmp_path)
    data["panels"][0]["gridpos"] = data["panels"][0].pop("gridPos")
    again = json.loads(json.dumps(Dashboard.from_json(data), cls=JSONEncoder))
    assert any("gridpos" in p for p in _lost(data, again))


def test_it_has_a_datasource_variable_and_the_runbooks_panels(tmp_path: Path) -> None:
    data = _exported(tmp_path)
    variables = {v["name"]: v for v in data["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    titles = [p["title"] for p in data["panels"]]
    # the runbook's six panels come first, in its order
    wanted = ["latency p50 / p95 / p99", "error rate by provider", "requests per minute", "average confidence",
              "timeout rate", "cache hit rate"]
    assert len(wanted) == len(RUNBOOK_PANELS)
    assert [t.lower().removeprefix("llm ") for t in titles[:6]] == wanted
    ids = [p["id"] for p in data["panels"]]
    assert len(set(ids)) == len(ids)
    for p in data["panels"]:
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def _promql_for_check(expr: str) -> str:
    # Grafana's variables, as Grafana would fill them in
    return expr.replace("$__rate_interval", "1m").replace('"$provider"', '".*"')


def test_every_panel_query_is_valid_promql(tmp_path: Path) -> None:
    queries = panel_queries()
    assert len(queries) == sum(len(p.targets) for p in PANELS)
    rules = [{"record": f"llmdrill:panel_query:{i}", "expr": _promql_for_check(expr)}
             for i, (_, expr) in enumerate(queries)]
    assert not [r["expr"] for r in rules if "$" in r["expr"]], "a Grafana variable left in a query"
    path = tmp_path / "panel-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}), encoding="utf-8")
    done = check_rules(path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_broken_query_is_caught_by_promtool(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": [
        {"record": "llmdrill:panel_query:0", "expr": "sum(rate(llm_requests_total[5m])"}]}]}), encoding="utf-8")
    assert check_rules(path).returncode != 0


def test_panel_queries_read_only_the_gateways_metrics() -> None:
    """Every metric a panel reads is one the gateway exports (or ALERTS, from the exported rules)."""
    source = (ROOT / "gateway" / "service" / "metrics.py").read_text(encoding="utf-8")
    exported = set(re.findall(r'"((?:llm|agent|parsing|validation|gateway)_[a-z_]+)"', source))
    for title, expr in panel_queries():
        for name in re.findall(r"\b([a-z_]+)(?:\{|\[)", expr):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            assert base in exported or name in exported, f"{title}: {name} is not a gateway metric"
