"""One live run, end to end.

fakes → proxy (one Toxiproxy proxy per provider) → gateway (its provider URLs
point through the proxy) → fault plans pushed with the run's epoch → timeline
driver → Locust open-model load → limits and stats → every process stopped →
records collected → report.  Whatever fails or interrupts it, the processes are
stopped and the records written so far still get a (partial) report.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import yaml

from drill.load.config import LoadConfig
from drill.load.runner import LoadResult, run_load
from drill.load.schedule import Stage as LoadStage
from drill.supervisor import ManagedProcess, Supervisor
from fake_providers.corpus import CORPORA, REFERENCE_DATE, generate_corpus
from fake_providers.proxy.client import ToxiproxyClient
from gateway.outcomes import PROVIDERS
from reports.records import EventRecord

from .collect import JsonlAppender, collect_gateway_events, finish_report, write_clock
from .plan import LivePlan, Step
from .timeline import TimelineDriver
from .view import LiveView

PY = sys.executable
#: seconds between "everything is up" and the run's t=0, so Locust is ready on time
START_LEAD_S = 4.0


@dataclass(frozen=True, slots=True)
class LiveResult:
    run_dir: Path
    passed: bool | None          # None: no report could be built
    harness_error: str | None
    load: LoadResult | None
    interrupted: int | None = None   # the signal (SIGINT/SIGTERM) that cut the run short


class RunInterrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived during a run; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`RunInterrupted` while the run lasts.

    The Supervisors chain to whatever handler was there before them once they have
    stopped their children; without this, SIGTERM's default action would kill the
    runner before it could collect the records and write the partial report.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise RunInterrupted(signum)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_live(plan: LivePlan, run_dir: Path, *, workers: int = 0, view: bool = True) -> LiveResult:
    run_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("requests.jsonl", "calls.jsonl", "events.jsonl", "gateway-events.jsonl", "clock.json"):
        (run_dir / stale).unlink(missing_ok=True)
    (run_dir / "run.json").write_text(json.dumps(plan.run_info.to_dict(), indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    source = Path(plan.scenario.source)
    if source.is_file():
        shutil.copyfile(source, run_dir / "scenario.yaml")
    events = JsonlAppender(run_dir / "events.jsonl")
    harness_error: str | None = None
    load: LoadResult | None = None
    interrupted: int | None = None
    with _signals_interrupt():
        try:
            with Supervisor(run_dir / "logs") as sup:
                load = _run_processes(plan, run_dir, sup, events, workers, view)
        except KeyboardInterrupt as exc:
            interrupted = exc.signum if isinstance(exc, RunInterrupted) else signal.SIGINT
            harness_error = f"interrupted by {signal.Signals(interrupted).name}"
        except Exception as exc:  # the harness failed; still report on what was recorded
            harness_error = f"{type(exc).__name__}: {exc}"
        finally:
            events.close()
        collect_gateway_events(run_dir)
        passed = finish_report(run_dir, harness_error)
    return LiveResult(run_dir, passed, harness_error, load, interrupted)


def _run_processes(plan: LivePlan, run_dir: Path, sup: Supervisor, events: JsonlAppender, workers: int,
                   view: bool) -> LoadResult:
    scenario = plan.run
    prompts = scenario.load.prompts   # the fakes must know the gold of the prompts we send
    fakes = sup.start("fakes", [PY, "-m", "drill.cli", "fake-providers", "--seed", str(scenario.seed),
                                "--corpus", prompts.corpus, "--corpus-seed", str(prompts.seed),
                                "--corpus-size", str(prompts.n)])
    fake_urls: dict[str, str] = json.loads(fakes.address or "{}")
    proxy_api = _start_proxy(sup)
    toxiproxy = ToxiproxyClient(proxy_api)
    gateway_urls = {}
    for provider in PROVIDERS:
        upstream = urlparse(fake_urls[provider])
        created = toxiproxy.create_proxy(provider, upstream=f"{upstream.hostname}:{upstream.port}",
                                         listen="127.0.0.1:0")
        gateway_urls[provider] = f"http://{created.listen}"
    config_path = run_dir / "gateway-config.yaml"
    config_path.write_text(yaml.safe_dump(plan.gateway_overrides, allow_unicode=True, sort_keys=False),
                           encoding="utf-8")
    env = {f"LLMDRILL_{p.upper()}_URL": url for p, url in gateway_urls.items()}
    # The gateway logs raw CLOCK_MONOTONIC seconds (epoch 0); collection subtracts the run's epoch,
    # which is fixed only once every process is up, so no start-up delay eats into the schedule.
    gateway = sup.start("gateway", [PY, "-m", "drill.cli", "gateway", "--config", str(config_path),
                                    "--events", str(run_dir / "gateway-events.jsonl"), "--epoch", "0"],
                        env=env)
    assert gateway.address is not None
    sup.wait_http_ready(gateway.address + "/healthz", timeout_s=20, process=gateway)
    epoch = time.monotonic() + START_LEAD_S + (2.0 if workers else 0.0)
    write_clock(run_dir, epoch)
    for provider in PROVIDERS:
        r = httpx.put(fake_urls[provider] + "/_control/faults", json={**plan.fault_plan, "epoch": epoch}, timeout=10)
        if r.status_code != 200:
            raise RuntimeError(f"the {provider} fake refused the fault plan: {r.text[:300]}")
    events.write(EventRecord(round(time.monotonic() - epoch, 6), "run",
                             {"gateway": gateway.address, "fakes": fake_urls, "proxy": proxy_api,
                              "through_proxy": gateway_urls}))
    prompts_path = _write_prompts(plan, run_dir)
    load_config = LoadConfig(
        stages=tuple(LoadStage(s.until_s, s.rate) for s in scenario.load.stages),
        prompts_path=str(prompts_path),
        records_path=str(run_dir / "requests.jsonl"),
        seed=scenario.seed,
        arrival=scenario.load.arrival,
        epoch_monotonic=epoch,
        client_timeout_s=scenario.load.client_timeout_s,
    )
    driver = TimelineDriver(plan.steps, epoch, _applier(toxiproxy, gateway), events.write)
    live = LiveView(plan, run_dir, epoch, gateway.address) if view else None
    driver.start()
    if live is not None:
        live.start()
    try:
        result = run_load(load_config, gateway.address, workers=workers, log_dir=run_dir / "logs" / "load")
    finally:
        driver.stop()
        if live is not None:
            live.stop()
    _record_limits(plan, fake_urls, epoch, events)
    _save_stats(fake_urls, gateway, run_dir)
    if proxy_api.startswith("http") and not _we_started_proxy(sup):
        for provider in PROVIDERS:   # an external Toxiproxy keeps running: leave it as we found it
            with contextlib.suppress(Exception):
                toxiproxy.destroy_proxy(provider)
    return result


def _start_proxy(sup: Supervisor) -> str:
    import os

    external = os.environ.get("TOXIPROXY_URL")
    if external:
        return external.rstrip("/")
    real = shutil.which("toxiproxy-server")
    if real is not None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = sup.start("proxy", [real, "-host", "127.0.0.1", "-port", str(port)], wait_for_address=False)
        url = f"http://127.0.0.1:{port}"
        sup.wait_http_ready(url + "/version", timeout_s=15, process=proc)
        return url
    proc = sup.start("proxy", [PY, "-m", "drill.cli", "proxy", "--port", "0"])
    assert proc.address is not None
    return proc.address.rstrip("/")


def _we_started_proxy(sup: Supervisor) -> bool:
    return "proxy" in sup.processes


def _applier(toxiproxy: ToxiproxyClient, gateway: ManagedProcess) -> Any:
    def apply(step: Step) -> None:
        if step.kind == "toxic_add":
            b = step.body
            toxiproxy.add_toxic(step.target, b["type"], name=b["name"], stream=b.get("stream", "downstream"),
                                toxicity=float(b.get("toxicity", 1.0)), attributes=b.get("attributes", {}))
        elif step.kind == "toxic_remove":
            toxiproxy.remove_toxic(step.target, step.body["name"])
        elif step.kind == "proxy_down":
            toxiproxy.disable(step.target)
        elif step.kind == "proxy_up":
            toxiproxy.enable(step.target)
        elif step.kind == "admin":
            r = httpx.put(f"{gateway.address}/admin/config", json=step.body, timeout=5)
            if r.status_code != 200:
                raise RuntimeError(f"admin action refused ({r.status_code}): {r.text[:200]}")
        else:
            raise ValueError(f"unknown step kind {step.kind!r}")
    return apply


def _write_prompts(plan: LivePlan, run_dir: Path) -> Path:
    p = plan.run.load.prompts
    cases = generate_corpus(seed=p.seed, n=p.n, style=CORPORA[p.corpus])
    rows = [{**asdict(c), "reference_date": REFERENCE_DATE.isoformat()} for c in cases]
    path = run_dir / "prompts.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


def _primary(plan: LivePlan) -> str:
    stack = plan.gateway_overrides
    override = stack.get("provider")
    if isinstance(override, str) and override in PROVIDERS:
        return override
    from gateway.config import config_from_mapping

    providers = config_from_mapping(stack).providers
    return max(PROVIDERS, key=lambda n: providers[n].weight)


def _record_limits(plan: LivePlan, fake_urls: dict[str, str], epoch: float, events: JsonlAppender) -> None:
    """The runbook's "Paso 4": each provider's /v1/limits, the primary's last (recovery reads the last)."""
    order = [p for p in PROVIDERS if p != _primary(plan)] + [_primary(plan)]
    for provider in order:
        try:
            limits = httpx.get(fake_urls[provider] + "/v1/limits", timeout=5).json()
            remaining = limits.get("rate_limit", {}).get("requests_remaining")
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            limits, remaining = {"error": str(exc)}, None
        events.write(EventRecord(round(time.monotonic() - epoch, 6), "limits",
                                 {"provider": provider, "requests_remaining": remaining, "limits": limits}))


def _save_stats(fake_urls: dict[str, str], gateway: ManagedProcess, run_dir: Path) -> None:
    stats: dict[str, Any] = {}
    for provider, url in fake_urls.items():
        try:
            stats[provider] = httpx.get(url + "/_control/stats", timeout=5).json()
        except (httpx.HTTPError, ValueError) as exc:
            stats[provider] = {"error": str(exc)}
    (run_dir / "fakes-stats.json").write_text(json.dumps(stats, indent=2, ensure_ascii=False), encoding="utf-8")
    try:
        metrics = httpx.get(f"{gateway.address}/metrics", timeout=5).text
        (run_dir / "gateway-metrics.txt").write_text(metrics, encoding="utf-8")
    except httpx.HTTPError:
        pass
