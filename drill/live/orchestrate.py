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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import yaml

from drill.load.config import ENDPOINT_PATHS, LoadConfig
from drill.load.runner import LoadResult, run_load
from drill.supervisor import ManagedProcess, Supervisor
from fake_providers.proxy.client import ToxiproxyClient
from gateway.outcomes import PROVIDERS
from reports.records import EventRecord
from scenarios.schema import Scenario
from workload.corpus import corpus_rows
from workload.schedule import Stage as LoadStage

from .calibrate import calibrate
from .collect import JsonlAppender, collect_gateway_events, finish_report, write_clock
from .compression import check_compression
from .fake_calls import write_fake_calls
from .harness import HarnessFailure, StackWatch, load_failure, record_outcome
from .plan import LivePlan, Step
from .prometheus import ALERTS_FILE, COMPARE_FILE, at_epoch, record_alerts, start_for_run, write_comparison
from .scrape import start_scraper
from .target import UPSTREAMS_FILE, Target, upstreams, wait_ready
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


class CompressionUnsafe(RuntimeError):
    """The measured overhead makes this time_scale dishonest; the run stops before its load."""


def _write_run_info(run_dir: Path, info: Any) -> None:
    (run_dir / "run.json").write_text(json.dumps(info.to_dict(), indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")


def run_live(plan: LivePlan, run_dir: Path, *, workers: int = 0, view: bool = True,
             force: bool = False, prometheus: bool = False) -> LiveResult:
    """Run ``plan``; ``force`` runs a time_scale the compression check finds unsafe (run.json says so)."""
    if force and not plan.compression.safe:
        plan = replace(plan, run_info=replace(plan.run_info,
                                              compression={**plan.run_info.compression, "forced": True}))
    run_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("requests.jsonl", "merge.json", "calls.jsonl", "events.jsonl", "gateway-events.jsonl", "clock.json",
                  UPSTREAMS_FILE, COMPARE_FILE, ALERTS_FILE):   # a reused directory shows only this run
        (run_dir / stale).unlink(missing_ok=True)
    _write_run_info(run_dir, plan.run_info)
    source = Path(plan.scenario.source)
    if source.is_file():
        shutil.copyfile(source, run_dir / "scenario.yaml")
    events = JsonlAppender(run_dir / "events.jsonl")
    harness_error: str | None = None
    load: LoadResult | None = None
    interrupted: int | None = None
    failures: list[dict[str, Any]] = []
    with _signals_interrupt():
        try:
            with Supervisor(run_dir / "logs") as sup:
                load = _run_processes(plan, run_dir, sup, events, workers, view, force, prometheus)
        except HarnessFailure as exc:   # a process of the run died: say which and when, exit 3
            harness_error, failures, load = str(exc), exc.entries, exc.load
        except KeyboardInterrupt as exc:
            interrupted = exc.signum if isinstance(exc, RunInterrupted) else signal.SIGINT
            harness_error = f"interrupted by {signal.Signals(interrupted).name}"
        except Exception as exc:  # the harness failed; still report on what was recorded
            harness_error = f"{type(exc).__name__}: {exc}"
        finally:
            events.close()
        if harness_error is not None and not failures and interrupted is None:
            failures = [{"process": "llmdrill", "detail": harness_error, "unknown_after": ["everything after it"]}]
        record_outcome(run_dir, failures)
        collect_gateway_events(run_dir)
        passed = finish_report(run_dir, harness_error)
        if prometheus:
            # the comparison reads the harness's alerts from report.json: render again, with it inside
            if write_comparison(run_dir) is None and not (run_dir / COMPARE_FILE).exists():
                (run_dir / COMPARE_FILE).write_text(json.dumps(
                    {"error": f"no comparison: Prometheus's alerts were never read ({ALERTS_FILE} or report.json "
                              "missing; see logs/)"}) + "\n", encoding="utf-8")
            passed = finish_report(run_dir, harness_error)
    return LiveResult(run_dir, passed, harness_error, load, interrupted)


def _run_processes(plan: LivePlan, run_dir: Path, sup: Supervisor, events: JsonlAppender, workers: int,
                   view: bool, force: bool = False, prometheus: bool = False) -> LoadResult:
    scenario = plan.run
    fake_urls = start_fakes(sup, scenario)
    proxy_api = _start_proxy(sup)
    toxiproxy = ToxiproxyClient(proxy_api)
    gateway_urls = {}
    # a target's config is written before the run: --upstream-ports fixes the listen ports it names
    first = plan.target.upstream_port if plan.target is not None else None
    for index, provider in enumerate(PROVIDERS):
        upstream = urlparse(fake_urls[provider])
        listen = f"127.0.0.1:{first + index if first else 0}"
        created = toxiproxy.create_proxy(provider, upstream=f"{upstream.hostname}:{upstream.port}", listen=listen)
        gateway_urls[provider] = f"http://{created.listen}"
    gateway: ManagedProcess | None = None
    if plan.target is None:
        gateway = _start_gateway(plan, run_dir, sup, gateway_urls)
        assert gateway.address is not None
        host = gateway.address
    else:
        host = _await_target(plan.target, run_dir, gateway_urls, sup)
    prompts_path = _write_prompts(plan, run_dir)
    if gateway is not None:
        _calibrate(plan, run_dir, host, fake_urls, prompts_path, force)
    prom = start_for_run(sup, run_dir, host, plan.run_info) if prometheus and gateway is not None else None
    epoch = time.monotonic() + START_LEAD_S + (2.0 if workers else 0.0)
    prom = at_epoch(prom, epoch) if prom is not None else None
    write_clock(run_dir, epoch)
    for provider in PROVIDERS:
        r = httpx.put(fake_urls[provider] + "/_control/faults", json={**plan.fault_plan, "epoch": epoch}, timeout=10)
        if r.status_code != 200:
            raise RuntimeError(f"the {provider} fake refused the fault plan: {r.text[:300]}")
    events.write(EventRecord(round(time.monotonic() - epoch, 6), "run",
                             {"gateway": host, "target": plan.target is not None, "fakes": fake_urls,
                              "proxy": proxy_api, "through_proxy": gateway_urls}))
    for skipped in (plan.run_info.target.get("skipped_admin_actions", []) if plan.target else []):
        events.write(EventRecord(float(skipped["at_s"]), "action",
                                 {"admin": skipped["body"], "applied": False,
                                  "why": "the target has no llmdrill admin API"}))
    load_config = LoadConfig(
        stages=tuple(LoadStage(s.until_s, s.rate) for s in scenario.load.stages),
        prompts_path=str(prompts_path),
        records_path=str(run_dir / "requests.jsonl"),
        seed=scenario.seed,
        arrival=scenario.load.arrival,
        epoch_monotonic=epoch,
        client_timeout_s=scenario.load.client_timeout_s,
        path=ENDPOINT_PATHS[plan.endpoint],
        endpoint=plan.endpoint,
        model=plan.target.model if plan.target is not None else None,
        headers=dict(plan.target.headers) if plan.target is not None else {},
        gateway_headers=plan.target is None,
    )
    watch = StackWatch(sup, epoch, plan.scenario.time_scale, events.write)
    driver = TimelineDriver(plan.steps, epoch, _applier(toxiproxy, gateway), events.write)
    live = LiveView(plan, run_dir, epoch, host if gateway is not None else None) if view else None
    scraper = start_scraper(host, run_dir, epoch, plan.scenario.time_scale) if gateway is not None else None
    driver.start()
    if live is not None:
        live.start()
    try:
        result = run_load(load_config, host, workers=workers, log_dir=run_dir / "logs" / "load",
                          abort=watch.abort)
    finally:
        if scraper is not None:
            scraper.stop()
        watch.stop()
        driver.stop()
        if live is not None:
            live.stop()
    locust = [] if watch.entries else load_failure(result.exit_code, result.worker_exit_codes, result.killed,
                                                    epoch, plan.scenario.time_scale, events.write,
                                                    result.stopped_monotonic)
    _record_limits(plan, fake_urls, epoch, events)
    _save_stats(fake_urls, gateway, run_dir)
    if gateway is None:   # no gateway log to read: the calls are what the fakes saw
        _, problems = write_fake_calls(fake_urls, run_dir)
        for problem in problems:
            events.write(EventRecord(round(time.monotonic() - epoch, 6), "data_problem", {"detail": problem}))
    if prom is not None:
        record_alerts(prom, run_dir, plan.scenario.duration_s)
    failure = watch.failure(result, locust)
    if proxy_api.startswith("http") and not _we_started_proxy(sup):
        for provider in PROVIDERS:   # an external Toxiproxy keeps running: leave it as we found it
            with contextlib.suppress(Exception):
                toxiproxy.destroy_proxy(provider)
    if failure is not None:
        raise failure
    return result


def _start_gateway(plan: LivePlan, run_dir: Path, sup: Supervisor, through_proxy: dict[str, str]) -> ManagedProcess:
    config_path = run_dir / "gateway-config.yaml"
    config_path.write_text(yaml.safe_dump(plan.gateway_overrides, allow_unicode=True, sort_keys=False),
                           encoding="utf-8")
    env = {f"LLMDRILL_{p.upper()}_URL": url for p, url in through_proxy.items()}
    # The gateway logs raw CLOCK_MONOTONIC seconds (epoch 0); collection subtracts the run's epoch,
    # which is fixed only once every process is up, so no start-up delay eats into the schedule.
    gateway = sup.start("gateway", [PY, "-m", "drill.cli", "gateway", "--config", str(config_path),
                                    "--events", str(run_dir / "gateway-events.jsonl"), "--epoch", "0"],
                        env=env)
    assert gateway.address is not None
    sup.wait_http_ready(gateway.address + "/healthz", timeout_s=20, process=gateway)
    return gateway


def _await_target(target: Target, run_dir: Path, through_proxy: dict[str, str], sup: Supervisor) -> str:
    """Say where the target's providers are (stdout and target-upstreams.json), then wait for it."""
    names = upstreams(through_proxy)
    tmp = run_dir / (UPSTREAMS_FILE + ".tmp")   # whoever waits for the file reads it whole
    tmp.write_text(json.dumps({"target": target.url, "providers": names}, indent=2) + "\n", encoding="utf-8")
    tmp.replace(run_dir / UPSTREAMS_FILE)
    print(f"target {target.url}: point its providers at the fakes (also in {run_dir / UPSTREAMS_FILE}):")
    for provider, entry in names.items():
        print(f"  {provider:7s} {entry['api']}: {entry['base_url']}")
    sys.stdout.flush()
    waited = wait_ready(target, abort=lambda: any(not p.alive() for p in sup.processes.values()))
    print(f"target {target.url} answered after {waited:.1f}s; the drill starts", flush=True)
    return target.url


def _calibrate(plan: LivePlan, run_dir: Path, gateway_url: str, fake_urls: dict[str, str], prompts_path: Path,
               force: bool) -> None:
    """Measure the overhead, record it with the check it implies, and stop here if that check fails."""
    overhead = calibrate(gateway_url, fake_urls, json.loads(prompts_path.read_text(encoding="utf-8")))
    check = check_compression(plan.scenario, max_rate_per_s=plan.compression.max_rate_per_s,
                              overhead_s=overhead.p50_s, overhead_source="measured")
    compression = check.to_dict()
    compression["before_start"] = plan.compression.to_dict()
    if force and not (check.safe and plan.compression.safe):
        compression["forced"] = True
    _write_run_info(run_dir, replace(plan.run_info, overhead=overhead.to_dict(), compression=compression))
    if not check.safe and not force:
        raise CompressionUnsafe(f"calibration: {check.message()}")


def start_fakes(sup: Supervisor, scenario: Scenario) -> dict[str, str]:
    """The three fake providers, seeded by the scenario; their base URLs by provider."""
    prompts = scenario.load.prompts   # the fakes must know the gold of the prompts we send
    fakes = sup.start("fakes", [PY, "-m", "drill.cli", "fake-providers", "--seed", str(scenario.seed),
                                "--corpus", prompts.corpus, "--corpus-seed", str(prompts.seed),
                                "--corpus-size", str(prompts.n)])
    urls: dict[str, str] = json.loads(fakes.address or "{}")
    return urls


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


def _applier(toxiproxy: ToxiproxyClient, gateway: ManagedProcess | None) -> Any:
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
            if gateway is None:
                raise RuntimeError("admin action without a gateway of ours (a --target run skips them)")
            r = httpx.put(f"{gateway.address}/admin/config", json=step.body, timeout=5)
            if r.status_code != 200:
                raise RuntimeError(f"admin action refused ({r.status_code}): {r.text[:200]}")
        else:
            raise ValueError(f"unknown step kind {step.kind!r}")
    return apply


def _write_prompts(plan: LivePlan, run_dir: Path) -> Path:
    rows = corpus_rows(plan.run.load.prompts)   # the twin sends the same prompts (workload.corpus)
    path = run_dir / "prompts.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


def _primary(plan: LivePlan) -> str:
    from gateway.config import config_from_mapping

    return config_from_mapping(plan.gateway_overrides).primary_provider()


def _record_limits(plan: LivePlan, fake_urls: dict[str, str], epoch: float, events: JsonlAppender) -> None:
    """The runbook's "Paso 4": each provider's /v1/limits, the primary's last (recovery reads the last)."""
    order = [p for p in PROVIDERS if p != _primary(plan)] + [_primary(plan)]
    for provider in order:
        try:
            limits = httpx.get(fake_urls[provider] + "/v1/limits", timeout=5).json()
            remaining = limits.get("rate_limit", {}).get("requests_remaining")
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            limits, remaining = {"error": str(exc)}, None
        # The fake speaks per minute of run time; the report reads per scenario minute (rates × s).
        if isinstance(remaining, int | float) and not isinstance(remaining, bool):
            remaining = int(remaining * plan.scenario.time_scale)
        events.write(EventRecord(round(time.monotonic() - epoch, 6), "limits",
                                 {"provider": provider, "requests_remaining": remaining, "limits": limits,
                                  "units": "requests_remaining per scenario minute; limits as the fake "
                                           "reports them, per run minute"}))


def _save_stats(fake_urls: dict[str, str], gateway: ManagedProcess | None, run_dir: Path) -> None:
    stats: dict[str, Any] = {}
    for provider, url in fake_urls.items():
        try:
            stats[provider] = httpx.get(url + "/_control/stats", timeout=5).json()
        except (httpx.HTTPError, ValueError) as exc:
            stats[provider] = {"error": str(exc)}
    (run_dir / "fakes-stats.json").write_text(json.dumps(stats, indent=2, ensure_ascii=False), encoding="utf-8")
    if gateway is None:
        return
    try:
        metrics = httpx.get(f"{gateway.address}/metrics", timeout=5).text
        (run_dir / "gateway-metrics.txt").write_text(metrics, encoding="utf-8")
    except httpx.HTTPError:
        pass
