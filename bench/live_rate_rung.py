"""One rung of the ladder: a generated scenario at one rate, run through the whole stack by ``llmdrill run``.

Part of ``bench_live_rate.py``.  The scenario has a short low-rate warm-up, left out of every figure,
then steady load at the rung's rate, with the fakes' latency 0, the cache off and Qwen's quota lifted.
The run is a child process group, bounded in time and stopped with SIGINT (SIGKILL if it lingers);
its CPU is sampled per role while it runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from live_rate_cpu import Sampler, cpu_shares, other_stacks, tcp_counters
from live_rate_figures import Summary, read_records, summarize

__all__ = ["LLMDRILL", "ROOT", "Rung", "run_rung", "scenario_text", "stop_group"]

ROOT = Path(__file__).resolve().parent.parent
LLMDRILL = [sys.executable, "-m", "drill.cli"]


def scenario_text(rate: float, duration_s: float, warmup_s: float, warmup_rate: float, seed: int = 7) -> str:
    """A scenario: ``warmup_s`` at ``warmup_rate``, then ``duration_s`` of steady load at ``rate``."""
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(f"rate: must be a positive number of requests per second, got {rate!r}")
    if not (duration_s > 0 and warmup_s >= 0 and warmup_rate >= 0):
        raise ValueError(f"duration/warm-up: must be positive, got {duration_s!r}/{warmup_s!r}")
    total = warmup_s + duration_s
    stages = f"    - {{until: {total:g}s, rate: {rate:g}/s}}\n"
    if warmup_s > 0:
        stages = f"    - {{until: {warmup_s:g}s, rate: {warmup_rate:g}/s}}\n" + stages
    return (
        "name: bench-live-rate\n"
        "description: capacity benchmark (bench/bench_live_rate.py), generated\n"
        f"seed: {seed}\n"
        "time_scale: 1\n"
        f"duration: {total:g}s\n"
        "baseline: 0s            # zero injected latency at the fakes\n"
        "load:\n"
        "  arrival: poisson\n"
        "  prompts: {corpus: appointments-es, n: 100000}   # misses: no prompt repeats in a rung\n"
        "  client_timeout: 10s    # the runbook's per-call threshold; bounds the drain\n"
        "  stages:\n"
        f"{stages}"
        "stack:\n"
        "  cache: {enabled: false}\n"
        "  # the runbook's qwen quota (100 rpm) would make this a test of its queue, not of the machinery\n"
        "  providers: {qwen: {rpm: 10000000, tpm: 1000000000}}\n"
    )


@dataclass(frozen=True, slots=True)
class Rung:
    rate: float
    workers: int
    summary: Summary | None
    cpu: dict[str, float]
    wall_s: float
    error: str | None = None
    load_avg: float = math.nan           # 1-minute load average when the rung began
    others: int = 0                      # other llmdrill gateways running when it began
    overflows: int = 0                   # listen-queue overflows during the rung (system-wide)

    def passed(self, max_late: float, min_ok: float) -> bool:
        s = self.summary
        return self.error is None and s is not None and s.late_share <= max_late and s.ok_share >= min_ok


def _epoch(run_dir: Path) -> float:
    """The run's t=0 (CLOCK_MONOTONIC), from the load config the runner wrote for Locust."""
    for name in ("load-config.json", "load-config.master.json", "load-config.w0.json"):
        path = run_dir / "logs" / "load" / name
        if path.is_file():
            value = json.loads(path.read_text(encoding="utf-8")).get("epoch_monotonic")
            if isinstance(value, int | float):
                return float(value)
    raise RuntimeError(f"{run_dir}/logs/load: no load config with epoch_monotonic (did Locust start?)")


def stop_group(proc: subprocess.Popen[bytes], grace_s: float) -> None:
    """SIGINT first (the runner's supervisor then stops its own children), SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


def run_rung(rate: float, workers: int, args: argparse.Namespace, out: Path) -> Rung:
    run_dir = out / f"rate{rate:g}-w{workers}"
    run_dir.mkdir(parents=True, exist_ok=True)
    scenario = run_dir.parent / f"{run_dir.name}.yaml"
    scenario.write_text(scenario_text(rate, args.duration, args.warmup, args.warmup_rate), encoding="utf-8")
    argv = [*LLMDRILL, "run", str(scenario), "--out", str(run_dir), "--no-view", "--workers", str(workers)]
    bound = args.warmup + args.duration + 10 + 60   # load + client timeout + start-up, drain, report
    context = (os.getloadavg()[0], other_stacks(), tcp_counters().get("ListenOverflows", 0))
    started = time.monotonic()
    with (run_dir.parent / f"{run_dir.name}.log").open("wb") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        sampler = Sampler(proc.pid)
        sampler.start()
        error = None
        try:
            proc.wait(timeout=bound)
        except subprocess.TimeoutExpired:
            error = f"llmdrill run still going after {bound:.0f} s; stopped"
        finally:
            stop_group(proc, grace_s=20)
            sampler.stop()
    wall = time.monotonic() - started
    if error is None and proc.returncode not in (0, 1):   # 1: an expectation failed; this has none
        error = f"llmdrill run exited {proc.returncode}; see {run_dir.parent / run_dir.name}.log"
    records = run_dir / "requests.jsonl"
    overflows = tcp_counters().get("ListenOverflows", 0) - context[2]
    if not records.is_file():
        return Rung(rate, workers, None, {}, wall, error or f"{records}: missing", context[0], context[1], overflows)
    t0 = _epoch(run_dir) + args.warmup
    cpu = cpu_shares(sampler.samples, sampler.roles, t0, t0 + args.duration)
    summary = summarize(read_records(records), args.warmup, args.late_ms / 1000)
    return Rung(rate, workers, summary, cpu, wall, error, context[0], context[1], overflows)
