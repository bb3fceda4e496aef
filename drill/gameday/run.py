"""``llmdrill gameday``: the whole stack under steady open-model load until someone stops it.

Start-up: the scenario (or an empty one) with steady load at ``--rate`` for at most ``--max-duration``
→ the plan → fakes, proxy, gateway (``drill.live.bringup``) → the fault plan on the game day's epoch →
the session, the control API and the dashboard → ``gameday.json`` → the scenario's timeline → Locust
load until Ctrl-C, SIGTERM, ``llmdrill gameday stop`` or the bound.  Then limits and stats are read
while the stack is still up, every process is stopped, the requests are accounted up to the moment of
the stop (not to the bound), and the report and the write-up are written in the run directory.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from drill.live.bringup import Stack, start_stack
from drill.live.collect import JsonlAppender, collect_gateway_events, finish_report, write_clock
from drill.live.harness import StackWatch, describe, record_outcome
from drill.live.plan import LivePlan, make_plan
from drill.live.readings import record_limits, save_stats
from drill.live.timeline import Apply, LiveApplier, TimelineDriver
from drill.load.config import LoadConfig
from drill.load.merge import merge_records
from drill.load.runner import run_load
from drill.supervisor import Supervisor
from gateway.outcomes import PROVIDERS
from reports.records import EventRecord
from reports.runinfo import FaultWindow
from scenarios.schema import Scenario
from scenarios.schema import Stage as ScenarioStage
from sim.steps import Step
from workload.prompts import load_prompts
from workload.schedule import Stage as LoadStage

from .act_log import read_acts
from .fault_book import ScriptedNetwork
from .live import live_report, panels, read_live_records
from .postmortem import write_up
from .server import ControlServer
from .session import Session
from .state import STATE_FILE, GamedayState, write_state
from .stopper import GracefulStop
from .terminal import watch as watch_dashboard

__all__ = ["GamedaySetup", "build_scenario", "run_gameday"]

#: seconds between "everything is up" and t=0, so Locust is ready on time
START_LEAD_S = 4.0
#: the runbook's test_llm_recovery, as the report's expectation language says it
RECOVERY = "recovery passes"
#: what the bound and the loopback machine allow
MAX_DURATION_S = 24 * 3600.0
MAX_RUN_RATE = 200.0


@dataclass(frozen=True, slots=True)
class GamedaySetup:
    """What ``llmdrill gameday`` was asked for, checked by the command."""

    scenario: Scenario
    rate: float
    max_duration_s: float
    out: Path
    who: str
    view: bool = False
    workers: int = 0


def build_scenario(base: Scenario, rate: float | None, max_duration_s: float, time_scale: float) -> Scenario:
    """``base`` with steady load (its first stage's rate unless ``rate``) until the bound, at ``time_scale``."""
    steady = rate if rate is not None else (base.load.stages[0].rate if base.load.stages else 2.0)
    load = replace(base.load, stages=(ScenarioStage(max_duration_s, steady),))
    return replace(base, load=load, duration_s=max_duration_s, time_scale=time_scale)


def _write_info(run_dir: Path, info: Any) -> None:
    (run_dir / "run.json").write_text(json.dumps(info.to_dict(), indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")


def run_gameday(setup: GamedaySetup) -> int:
    plan = make_plan(setup.scenario)
    run_dir = setup.out
    run_dir.mkdir(parents=True, exist_ok=True)
    if (run_dir / STATE_FILE).exists():
        print(f"llmdrill gameday: {run_dir} already holds a game day; choose another --out", file=sys.stderr)
        return 2
    _write_info(run_dir, plan.run_info)
    events = JsonlAppender(run_dir / "events.jsonl")
    scale = plan.scenario.time_scale
    stop_run_s = 0.0
    state: GamedayState | None = None
    load: LoadConfig | None = None
    windows: tuple[FaultWindow, ...] = ()
    harness_error: str | None = None
    graceful_stop_s: float | None = None
    failures: list[dict[str, Any]] = []
    server: ControlServer | None = None
    with GracefulStop() as stopper:
        try:
            with Supervisor(run_dir / "logs", handle_signals=False) as sup:
                stack = start_stack(plan, run_dir, sup)
                epoch = time.monotonic() + START_LEAD_S
                write_clock(run_dir, epoch)
                session = _session(plan, run_dir, stack, epoch, events)
                server = ControlServer(session, scale, lambda: _panels(plan, run_dir, session),
                                       stopper.request).start()
                state = GamedayState(str(run_dir), _pid(), epoch, datetime.now(UTC).isoformat(timespec="seconds"),
                                     scale, plan.scenario.name, stack.gateway_url, server.url, server.url + "/",
                                     stack.proxy_api, stack.fakes, stack.through_proxy, "running")
                write_state(run_dir, state)
                session.start(setup.who, f"game day started: {plan.scenario.name}, steady "
                                         f"{plan.scenario.load.stages[0].rate:g} req/s")
                events.write(EventRecord(round(time.monotonic() - epoch, 6), "run",
                                         {"gateway": stack.gateway_url, "fakes": stack.fakes,
                                          "proxy": stack.proxy_api, "through_proxy": stack.through_proxy}))
                _announce(state, run_dir, setup)
                driver = TimelineDriver(plan.steps, epoch,
                                        _unless_superseded(session, LiveApplier(stack.toxiproxy, stack.gateway_url)),
                                        events.write)
                watch = StackWatch(sup, epoch, scale, events.write)
                threading.Thread(target=_forward, args=(watch, stopper), name="gameday-watch", daemon=True).start()
                driver.start()
                view = _start_view(server.url) if setup.view else None
                try:
                    load = _load_config(plan, run_dir, stack, epoch)
                    if not stopper.event.is_set():
                        result = run_load(load, stack.gateway_url, workers=setup.workers,
                                          log_dir=run_dir / "logs" / "load", abort=stopper.event)
                        graceful_stop_s = result.stop_at_s
                finally:
                    watch.stop()
                    driver.stop()
                    if view is not None:
                        view.set()
                failures = list(watch.entries)
                if failures:
                    harness_error = "; ".join(describe(e) for e in failures)
                    print(f"llmdrill gameday: the harness failed: {harness_error}", file=sys.stderr)
                # a graceful stop ends the load at a second of its choosing, just after the request to
                # stop: requests before it were sent and awaited, none after it left
                stop_run_s = graceful_stop_s if graceful_stop_s is not None else \
                    (stopper.at or time.monotonic()) - epoch
                state = replace(state, status="stopping")
                write_state(run_dir, state)
                record_limits(plan, stack.fakes, epoch, events)
                save_stats(stack.fakes, stack.gateway, run_dir)
                session.close(stopper.by, f"game day stopped by {stopper.by}")
                windows = session.windows(stop_run_s)
        except Exception as exc:  # the harness failed: say so; whatever was recorded is still written up
            harness_error = f"{type(exc).__name__}: {exc}"
            print(f"llmdrill gameday: the harness failed: {harness_error}; logs in {run_dir / 'logs'}",
                  file=sys.stderr)
        finally:
            if server is not None:
                server.stop()
            events.close()
    if load is None:
        if state is not None:
            write_state(run_dir, replace(state, status="stopped"))
        return 3
    _finish(plan, run_dir, load, stop_run_s, windows, failures, setup.workers)
    if state is not None:
        write_state(run_dir, replace(state, status="stopped"))
    print(f"llmdrill gameday: stopped; the write-up is in {run_dir} (postmortem.md, timeline.md, "
          f"announcement.md, report.html)", flush=True)
    return 3 if harness_error else 0


def _pid() -> int:
    return os.getpid()


def _session(plan: LivePlan, run_dir: Path, stack: Stack, epoch: float, events: JsonlAppender) -> Session:
    for provider in PROVIDERS:
        r = httpx.put(stack.fakes[provider] + "/_control/faults", json={**plan.fault_plan, "epoch": epoch},
                      timeout=10, trust_env=False)
        if r.status_code != 200:
            raise RuntimeError(f"the {provider} fake refused the fault plan: {r.text[:300]}")
    scripted = tuple(FaultWindow(w.index, w.at_s, w.until_s, w.provider, w.label) for w in plan.run_info.faults)
    network = tuple(ScriptedNetwork(n.index, n.at_s, n.until_s, n.provider, n.label, n.proxies(PROVIDERS),
                                    None if n.is_down else n.toxic_name)
                    for n in plan.run.network)   # run seconds, as the timeline applies them
    return Session(run_dir, epoch, plan.scenario.time_scale, stack.fakes, stack.toxiproxy, stack.gateway_url,
                   plan.fault_plan, scripted, events.write, scripted_network=network)


class AlreadyCleared(Exception):
    """A scripted end the timeline skips: someone cleared that fault by hand before it came."""


def _unless_superseded(session: Session, apply: Apply) -> Apply:
    """The scenario's timeline, less the scripted ends of network faults cleared by hand (already undone);
    the skipped step is still recorded, with why it was not applied."""
    def step(s: Step) -> None:
        if session.superseded(s):
            raise AlreadyCleared("not applied: the fault was cleared by hand before its scripted end")
        apply(s)
    return step


def _load_config(plan: LivePlan, run_dir: Path, stack: Stack, epoch: float) -> LoadConfig:
    run = plan.run
    return LoadConfig(stages=tuple(LoadStage(s.until_s, s.rate) for s in run.load.stages),
                      prompts_path=str(stack.prompts_path), records_path=str(run_dir / "requests.jsonl"),
                      seed=run.seed, arrival=run.load.arrival, epoch_monotonic=epoch,
                      client_timeout_s=run.load.client_timeout_s,
                      # a stop awaits the requests in flight instead of recording them as lost
                      stop_file=str(run_dir / "logs" / "load" / "stop"))


def _panels(plan: LivePlan, run_dir: Path, session: Session) -> dict[str, Any]:
    now = session.now_run_s()
    if now <= 0:
        return {"status": "starting", "t_s": round(now, 1)}
    records = read_live_records(run_dir)
    report = live_report(plan.run_info, records, now, session.windows(now))
    return panels(report, records, read_acts(run_dir, plan.scenario.time_scale), session.active())


def _announce(state: GamedayState, run_dir: Path, setup: GamedaySetup) -> None:
    d = f" --gameday {run_dir}"
    print(f"llmdrill gameday: {state.scenario} is up; run directory {run_dir}\n"
          f"  dashboard:  {state.dashboard}\n"
          f"  terminal:   llmdrill gameday watch {run_dir}\n"
          f"  act:        llmdrill inject{d} --provider qwen --latency lognormal:8s,12s --for 5m\n"
          f"              llmdrill clear{d} all | llmdrill action{d} --provider claude | "
          f"llmdrill note{d} \"...\"\n"
          f"  diagnose:   llmdrill diagnose{d}\n"
          f"  stop:       Ctrl-C here, or llmdrill gameday stop {run_dir} "
          f"(at the latest after {setup.max_duration_s:g} s)", flush=True)


def _start_view(url: str) -> threading.Event:
    done = threading.Event()
    threading.Thread(target=watch_dashboard, args=(url, done, sys.stderr), name="gameday-view", daemon=True).start()
    return done


def _forward(watch: StackWatch, stopper: GracefulStop) -> None:
    """A process of the stack that dies ends the game day: what follows would not be the stack's doing."""
    while not stopper.event.wait(0.5):
        if watch.abort.is_set():
            stopper.request("llmdrill (a process of the stack died)")
            return


def _finish(plan: LivePlan, run_dir: Path, load: LoadConfig, stop_run_s: float,
            windows: tuple[FaultWindow, ...], failures: list[dict[str, Any]], workers: int = 0) -> bool | None:
    """Requests accounted up to the stop, calls and events collected, the report and the write-up."""
    stop = max(stop_run_s, 1e-3)
    stages, start = [], 0.0
    for st in load.stages:
        if start >= stop:
            break
        stages.append(LoadStage(min(st.until_s, stop), st.rate_per_s))
        start = st.until_s
    parts = sorted((run_dir / "logs" / "load").glob("requests.w*.jsonl"))
    merge_records(parts, run_dir / "requests.jsonl", replace(load, stages=tuple(stages)), max(1, workers),
                  load_prompts(load.prompts_path))
    collect_gateway_events(run_dir)
    info = plan.run_info
    expectations = info.expectations if RECOVERY in info.expectations else (*info.expectations, RECOVERY)
    _write_info(run_dir, replace(info, duration_s=stop / plan.scenario.time_scale, faults=windows,
                                 expectations=expectations))
    record_outcome(run_dir, failures)
    passed = finish_report(run_dir, "; ".join(describe(e) for e in failures) or None)
    write_up(run_dir)
    return passed
