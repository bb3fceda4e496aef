"""One live run, end to end.

fakes → proxy (one Toxiproxy proxy per provider) → gateway (its provider URLs
point through the proxy) → fault plans pushed with the run's epoch → timeline
driver → Locust open-model load → limits and stats → every process stopped →
records collected → report.  Whatever fails or interrupts it, the processes are
stopped and the records written so far still get a (partial) report.

The order and the failure handling live here; each process's starter is in
``bringup``, the end-of-run readings in ``readings``, what a step does in
``timeline``.  The plan is used as validated (``plan.gateway``, ``plan.fault_plan``,
``plan.steps``): nothing is re-parsed here.
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

import httpx

from drill.load.config import ENDPOINT_PATHS, LoadConfig
from drill.load.runner import LoadResult, run_load
from drill.supervisor import ManagedProcess, Supervisor
from fake_providers.proxy.client import ToxiproxyClient
from gateway.outcomes import PROVIDERS
from reports.records import EventRecord
from reports.runinfo import RunInfo
from workload.schedule import Stage as LoadStage

from .bringup import create_proxies, start_fakes, start_gateway, start_proxy, we_started_proxy, write_prompts
from .calibrate import calibrate
from .collect import JsonlAppender, collect_gateway_events, finish_report, write_clock
from .compression import check_compression
from .fake_calls import write_fake_calls
from .harness import HarnessFailure, StackWatch, load_failure, record_outcome
from .plan import LivePlan
from .prometheus import ALERTS_FILE, COMPARE_FILE, at_epoch, record_alerts, start_for_run, write_comparison
from .readings import record_limits, save_stats
from .scrape import start_scraper
from .target import UPSTREAMS_FILE, Target, upstreams, wait_ready
from .timeline import LiveApplier, TimelineDriver
from .view import LiveView

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


def _write_run_info(run_dir: Path, info: RunInfo) -> None:
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
    proxy_api = start_proxy(sup)
    toxiproxy = ToxiproxyClient(proxy_api)
    # a target's config is written before the run: --upstream-ports fixes the listen ports it names
    gateway_urls = create_proxies(toxiproxy, fake_urls, plan.target.upstream_port if plan.target else None)
    gateway: ManagedProcess | None = None
    if plan.target is None:
        gateway = start_gateway(plan, run_dir, sup, gateway_urls)
        assert gateway.address is not None
        host = gateway.address
    else:
        host = _await_target(plan.target, run_dir, gateway_urls, sup)
    prompts_path = write_prompts(plan, run_dir)
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
    driver = TimelineDriver(plan.steps, epoch, LiveApplier(toxiproxy, gateway.address if gateway else None),
                            events.write)
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
    record_limits(plan, fake_urls, epoch, events)
    save_stats(fake_urls, gateway, run_dir)
    if gateway is None:   # no gateway log to read: the calls are what the fakes saw
        _, problems = write_fake_calls(fake_urls, run_dir)
        for problem in problems:
            events.write(EventRecord(round(time.monotonic() - epoch, 6), "data_problem", {"detail": problem}))
    if prom is not None:
        record_alerts(prom, run_dir, plan.scenario.duration_s)
    failure = watch.failure(result, locust)
    if proxy_api.startswith("http") and not we_started_proxy(sup):
        for provider in PROVIDERS:   # an external Toxiproxy keeps running: leave it as we found it
            with contextlib.suppress(Exception):
                toxiproxy.destroy_proxy(provider)
    if failure is not None:
        raise failure
    return result


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


