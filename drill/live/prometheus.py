"""A real Prometheus server beside a live run (``llmdrill run --prometheus``), and what it saw.

The server binds 127.0.0.1 on an ephemeral port, scrapes the gateway on the run's scrape grid and
evaluates the exported rules compressed to the run's wall clock (``rule_groups(time_scale=...)``:
windows and latency thresholds x ``time_scale``).  After the load, ``firing_intervals`` reads its
``ALERTS`` series through the HTTP API; ``compare`` puts them beside the harness's alerts (fired or not,
first-fired time within one scrape plus one evaluation interval) and keeps every disagreement.
Times are returned in scenario seconds, as the report speaks.
"""

from __future__ import annotations

import json
import shutil
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import yaml

from drill.supervisor import ManagedProcess, Supervisor
from reports.export_prometheus import PROM_QUERIES, duration, render_rule_file, rule_groups
from reports.rules import ALL_RULES, Rule, apply_overrides
from reports.runinfo import RunInfo

from .scrape import scrape_interval_s

__all__ = [
    "ALERTS_FILE",
    "COMPARE_FILE",
    "AlertComparison",
    "PrometheusServer",
    "at_epoch",
    "compare",
    "firing_intervals",
    "format_comparison",
    "print_comparison",
    "read_comparison",
    "record_alerts",
    "start_for_run",
    "start_prometheus",
    "write_comparison",
]

ALERTS_FILE = "prometheus-alerts.json"
COMPARE_FILE = "prometheus-compare.json"


@dataclass(frozen=True, slots=True)
class PrometheusServer:
    url: str
    process: ManagedProcess
    interval_wall_s: float  # scrape and evaluation interval
    time_scale: float
    unix_epoch: float  # the run's t=0 on the wall clock Prometheus stamps samples with


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_prometheus(sup: Supervisor, run_dir: Path, gateway_url: str, epoch: float | None, time_scale: float,
                     rules: Sequence[Rule] = ALL_RULES, degraded_always: bool = False) -> PrometheusServer:
    """Write the config and the compressed rules into ``run_dir/prometheus`` and start the server.

    ``epoch`` (CLOCK_MONOTONIC of the run's t=0) may be fixed later, with ``at_epoch``.
    """
    binary = shutil.which("prometheus")
    if binary is None:
        raise RuntimeError("--prometheus needs the prometheus server on PATH (Debian: apt-get install prometheus)")
    home = run_dir / "prometheus"
    home.mkdir(parents=True, exist_ok=True)
    # a reused run directory: neither an old run's samples nor its alerts may be read as this one's
    shutil.rmtree(home / "data", ignore_errors=True)
    for stale in (ALERTS_FILE, COMPARE_FILE):
        (run_dir / stale).unlink(missing_ok=True)
    interval = scrape_interval_s(time_scale) * time_scale
    (home / "rules.yml").write_text(render_rule_file(
        rule_groups(rules, degraded_always=degraded_always, time_scale=time_scale),
        f"The llmdrill runbook rules at time_scale {time_scale:g}, for this run's Prometheus."), encoding="utf-8")
    target = gateway_url.split("://", 1)[-1].rstrip("/")
    config = {
        "global": {"scrape_interval": duration(interval), "scrape_timeout": duration(interval),
                   "evaluation_interval": duration(interval)},
        "rule_files": ["rules.yml"],
        "scrape_configs": [{"job_name": "llmdrill-gateway", "metrics_path": "/metrics",
                            "static_configs": [{"targets": [target]}]}],
    }
    (home / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    port = _free_port()
    proc = sup.start("prometheus", [binary, f"--config.file={home / 'prometheus.yml'}",
                                    f"--storage.tsdb.path={home / 'data'}",
                                    f"--web.listen-address=127.0.0.1:{port}",
                                    "--storage.tsdb.retention.time=1d", "--log.level=warn"],
                     wait_for_address=False, cwd=home)
    url = f"http://127.0.0.1:{port}"
    sup.wait_http_ready(url + "/-/ready", timeout_s=30, process=proc)
    server = PrometheusServer(url, proc, interval, time_scale, 0.0)
    return server if epoch is None else at_epoch(server, epoch)


def start_for_run(sup: Supervisor, run_dir: Path, gateway_url: str, info: RunInfo) -> PrometheusServer:
    """``start_prometheus`` with the run's rules (its overrides, its degradation mode) and time scale."""
    return start_prometheus(sup, run_dir, gateway_url, None, info.time_scale, apply_overrides(info.rules),
                            info.degradation_mode)


def at_epoch(server: PrometheusServer, epoch: float) -> PrometheusServer:
    """The server with the run's t=0 (CLOCK_MONOTONIC) placed on the wall clock Prometheus uses."""
    return replace(server, unix_epoch=time.time() - (time.monotonic() - epoch))


def firing_intervals(server: PrometheusServer, end_s: float) -> dict[str, list[tuple[float, float]]]:
    """alertname -> firing intervals (scenario seconds) from ``ALERTS`` over ``[0, end_s]`` scenario seconds."""
    step = server.interval_wall_s
    start = server.unix_epoch
    stop = server.unix_epoch + end_s * server.time_scale
    r = httpx.get(f"{server.url}/api/v1/query_range", timeout=30, params={
        "query": 'ALERTS{alertstate="firing"}', "start": f"{start:.3f}", "end": f"{stop:.3f}",
        "step": f"{step:.3f}"})
    r.raise_for_status()
    body: dict[str, Any] = r.json()
    if body.get("status") != "success":
        raise RuntimeError(f"Prometheus refused the ALERTS query: {body.get('error', body)}")
    out: dict[str, list[tuple[float, float]]] = {}
    for series in body["data"]["result"]:
        name = str(series["metric"].get("alertname", ""))
        times = [(float(ts) - start) / server.time_scale for ts, _ in series["values"]]
        out.setdefault(name, []).extend(_runs(times, step / server.time_scale))
    return {k: sorted(v) for k, v in out.items()}


def _runs(times: Sequence[float], step: float) -> list[tuple[float, float]]:
    """Consecutive step times -> (first, last) intervals."""
    runs: list[tuple[float, float]] = []
    for t in sorted(times):
        if runs and t - runs[-1][1] <= step * 1.5:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    return runs


@dataclass(frozen=True, slots=True)
class AlertComparison:
    rule: str
    alertname: str
    harness_fired: bool
    harness_first_s: float | None
    prometheus_fired: bool
    prometheus_first_s: float | None
    tolerance_s: float
    note: str = ""

    @property
    def agrees(self) -> bool:
        if self.harness_fired != self.prometheus_fired:
            return False
        if self.harness_first_s is None or self.prometheus_first_s is None:
            return True
        return abs(self.harness_first_s - self.prometheus_first_s) <= self.tolerance_s

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "alertname": self.alertname, "agrees": self.agrees,
                "harness": {"fired": self.harness_fired, "first_fired_s": self.harness_first_s},
                "prometheus": {"fired": self.prometheus_fired, "first_fired_s": self.prometheus_first_s},
                "tolerance_s": self.tolerance_s, "note": self.note}


def compare(harness_alerts: Sequence[Mapping[str, Any]], prometheus: Mapping[str, Sequence[tuple[float, float]]],
            interval_s: float, harness_step_s: float = 5.0) -> list[AlertComparison]:
    """The harness's alerts (report.json ``alerts``) beside Prometheus's; ``interval_s`` in scenario seconds.

    The tolerance on first-fired times is one scrape plus one evaluation interval, plus the harness's own
    evaluation step (both sample the same breach on different grids).
    """
    tolerance = 2 * interval_s + harness_step_s
    out = []
    for a in harness_alerts:
        rule = str(a["rule"])
        q = PROM_QUERIES.get(rule)
        name = q.alert if q is not None else rule
        firing = prometheus.get(name, ())
        first = min((t for t, _ in firing), default=None)
        harness_first = a.get("first_fired_s")
        out.append(AlertComparison(
            rule, name, bool(a.get("fired")), None if harness_first is None else float(harness_first),
            bool(firing), first, tolerance, note=(q.incomparable or q.note) if q is not None else "no PromQL mapping"))
    return out



def record_alerts(server: PrometheusServer, run_dir: Path, end_s: float) -> None:
    """Save what Prometheus fired (``ALERTS``) while it still runs; a failed query is saved as such."""
    data: dict[str, Any] = {"interval_s": server.interval_wall_s / server.time_scale,
                            "time_scale": server.time_scale, "end_s": end_s}
    try:
        data["alerts"] = {k: [list(iv) for iv in v] for k, v in firing_intervals(server, end_s).items()}
    except (httpx.HTTPError, RuntimeError, ValueError, KeyError) as exc:
        data["error"] = f"{type(exc).__name__}: {exc}"
    (run_dir / ALERTS_FILE).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def write_comparison(run_dir: Path) -> list[AlertComparison] | None:
    """Prometheus's alerts beside the report's into ``prometheus-compare.json``; None if either is missing."""
    try:
        prom = json.loads((run_dir / ALERTS_FILE).read_text(encoding="utf-8"))
        report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if "alerts" not in prom:
        (run_dir / COMPARE_FILE).write_text(json.dumps({"error": prom.get("error", "no alerts read")}, indent=2)
                                            + "\n", encoding="utf-8")
        return None
    seen = {k: [(float(a), float(b)) for a, b in v] for k, v in prom["alerts"].items()}
    rows = compare(report.get("alerts", []), seen, float(prom["interval_s"]))
    (run_dir / COMPARE_FILE).write_text(json.dumps({
        "interval_s": prom["interval_s"], "agree": all(r.agrees for r in rows),
        "alerts": [r.to_dict() for r in rows],
        "prometheus_only": sorted(set(seen) - {r.alertname for r in rows}),
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return rows


def read_comparison(run_dir: Path) -> dict[str, Any] | None:
    """``prometheus-compare.json`` of a run, for its report; None when the run had no Prometheus.

    An unreadable file is reported as the comparison's error, not dropped: a disagreement is never hidden.
    """
    path = run_dir / COMPARE_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {"error": f"{COMPARE_FILE} unreadable: {exc}"}
    return data if isinstance(data, dict) else {"error": f"{COMPARE_FILE}: expected a JSON object"}


def print_comparison(run_dir: Path) -> None:
    """The comparison of a run, as ``llmdrill run --prometheus`` prints it before the verdict."""
    try:
        data = json.loads((run_dir / COMPARE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        print(f"prometheus: no comparison ({run_dir / COMPARE_FILE} missing: see {run_dir / ALERTS_FILE})")
        return
    if "error" in data:
        print(f"prometheus: no comparison: {data['error']}")
        return
    rows = [AlertComparison(a["rule"], a["alertname"], a["harness"]["fired"], a["harness"]["first_fired_s"],
                            a["prometheus"]["fired"], a["prometheus"]["first_fired_s"], a["tolerance_s"], a["note"])
            for a in data["alerts"]]
    print(format_comparison(rows))
    if data.get("prometheus_only"):
        print(f"  prometheus only (no harness rule): {', '.join(data['prometheus_only'])}")


def format_comparison(rows: Sequence[AlertComparison]) -> str:
    def when(fired: bool, first: float | None) -> str:
        return "fired at " + (f"{first:.0f}s" if first is not None else "?") if fired else "silent"

    lines = ["prometheus vs harness (scenario seconds; first-fired tolerance "
             f"{rows[0].tolerance_s:g} s):" if rows else "prometheus vs harness: no alerts"]
    for r in rows:
        mark = "agree   " if r.agrees else "DISAGREE"
        lines.append(f"  {mark}  {r.rule:28s} harness {when(r.harness_fired, r.harness_first_s):14s} "
                     f"prometheus {when(r.prometheus_fired, r.prometheus_first_s)}")
        if not r.agrees and r.note:
            lines.append(f"            why they can differ: {r.note}")
    return "\n".join(lines)
