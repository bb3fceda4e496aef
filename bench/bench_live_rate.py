"""Benchmark (not a test): the highest open-model rate the live runner sustains on this machine.

A ladder of rates (default 50, 100, 200, 400, 800, 1200, 1600, 2400 req/s), each one a short scenario through
the whole stack (Locust → gateway → proxy → fakes) with the fakes' no-fault latency set to zero
(``baseline: 0s``), time_scale 1, the response cache off, a 100,000-prompt corpus and Qwen's
client-side quota lifted (the runbook's 100 rpm would queue every request: a policy, not a cost).  A rung
passes when, over its steady stage, ≤ 1 % of requests left more than 10 ms after their intended
time and ≥ 99 % were ``ok``; the ladder stops at the first rung that fails (with ``--workers 0``
a failing rung whose Locust process is near a full core is retried with two Locust workers), and
one halving step between the last pass and the first failure refines the answer.

Each scenario opens with a short low-rate warm-up stage that is left out of every figure: it
absorbs the load generator's start-up (Locust can start ~1 s after the run's t=0 on a busy
2-core machine, which alone would make ~rate requests late) and the stack's first connections.

While a rung runs, the CPU time (utime + stime from ``/proc/PID/stat``) of every process under
``llmdrill run`` is sampled and, over the steady stage, printed per role (gateway, fakes, proxy,
locust, runner) as a share of one core.  For context the same run measures Locust alone sending
to a bare loopback endpoint (uvicorn + a fixed JSON answer) at the first failing rate.

    .venv/bin/python bench/bench_live_rate.py                 # ≤ 6 minutes, loopback only
    .venv/bin/python bench/bench_live_rate.py --rates 50,100 --duration 10

The parts, one file each beside this one: ``live_rate_rung.py`` (one rate through the stack),
``live_rate_figures.py`` (what its requests say), ``live_rate_cpu.py`` (CPU per role, machine
context), ``live_rate_bare.py`` (the bare-endpoint baseline), ``live_rate_table.py`` (the rows);
this file is the search for the highest rate.

Run it when the machine is quiet (``uptime`` load < 1.5): the figures are only as good as that.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

from live_rate_bare import run_bare
from live_rate_cpu import ROLES, Sampler, cpu_shares, other_stacks, role_of, tcp_counters
from live_rate_figures import Summary, summarize
from live_rate_rung import Rung, run_rung, scenario_text
from live_rate_table import HEADER, LEGEND, UNITS, row

__all__ = [
    "ROLES",
    "Rung",
    "Sampler",
    "Summary",
    "cpu_shares",
    "main",
    "other_stacks",
    "role_of",
    "scenario_text",
    "summarize",
    "tcp_counters",
]

#: a run's fixed costs beyond its load: process start-up, the drain, the report
_OVERHEAD_S = 25.0


def _load_average() -> float:
    return os.getloadavg()[0]


def _parse_rates(text: str) -> list[float]:
    try:
        rates = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise SystemExit(f"bench_live_rate: --rates: expected numbers separated by commas, got {text!r}") from None
    if not rates or any(not (math.isfinite(r) and 0 < r <= 10_000) for r in rates) or rates != sorted(rates):
        raise SystemExit(f"bench_live_rate: --rates: expected increasing rates in (0, 10000], got {text!r}")
    return rates


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--rates", default="50,100,200,400,800,1200,1600,2400", help="the ladder, increasing (req/s)")
    p.add_argument("--duration", type=float, default=20.0, help="seconds of steady load per rung")
    p.add_argument("--warmup", type=float, default=5.0, help="seconds of low-rate warm-up, left out")
    p.add_argument("--warmup-rate", type=float, default=5.0, help="the warm-up's rate (req/s)")
    p.add_argument("--late-ms", type=float, default=10.0, help="a request is late past this send lag")
    p.add_argument("--max-late", type=float, default=0.01, help="the share of late requests a pass allows")
    p.add_argument("--min-ok", type=float, default=0.99, help="the share of ok requests a pass needs")
    p.add_argument("--budget", type=float, default=360.0, help="seconds for the whole benchmark")
    p.add_argument("--no-workers-retry", action="store_true", help="never retry a failing rung with 2 workers")
    p.add_argument("--no-bisect", action="store_true", help="no halving step after the first failure")
    p.add_argument("--no-bare", action="store_true", help="skip the bare-endpoint baseline")
    p.add_argument("--wait-quiet", type=float, default=0.0,
                   help="first wait up to this many seconds for a 1-minute load average < 1.5")
    p.add_argument("--out", help="where the runs go (default: a new directory under /tmp)")
    args = p.parse_args(argv)
    rates = _parse_rates(args.rates)
    for name in ("duration", "budget"):
        if not 0 < getattr(args, name) <= 3600:
            raise SystemExit(f"bench_live_rate: --{name}: expected (0, 3600] seconds, got {getattr(args, name)}")
    if not 0 <= args.wait_quiet <= 1800:
        raise SystemExit(f"bench_live_rate: --wait-quiet: expected [0, 1800] seconds, got {args.wait_quiet}")
    if not 0 <= args.warmup <= 60 or not 0 <= args.warmup_rate <= 100:
        raise SystemExit("bench_live_rate: --warmup must be in [0, 60] s and --warmup-rate in [0, 100]/s")
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="llmdrill-bench-rate-"))
    out.mkdir(parents=True, exist_ok=True)
    quiet_by = time.monotonic() + args.wait_quiet
    while _load_average() >= 1.5 and time.monotonic() < quiet_by:
        time.sleep(5)   # bounded by --wait-quiet
    began = time.monotonic()
    load = _load_average()
    print(f"live runner capacity: {os.cpu_count()} cores, load average {load:.2f}"
          f"{'  (NOT quiet: figures are pessimistic)' if load >= 1.5 else ''}; runs in {out}")
    print(f"pass: late (send lag > {args.late_ms:g} ms) <= {100 * args.max_late:g} % and ok >= "
          f"{100 * args.min_ok:g} %, over {args.duration:g} s steady after a {args.warmup:g} s warm-up; "
          "fakes' latency 0, cache off, client timeout 10 s")
    print(LEGEND)
    print(HEADER)
    print(UNITS, flush=True)

    def left() -> float:
        return float(args.budget) - (time.monotonic() - began)

    rung_cost = args.warmup + args.duration + _OVERHEAD_S
    best: Rung | None = None
    failed_rate: float | None = None
    for rate in rates:
        if left() < rung_cost:
            print(f"{'':>12}  (time budget: stopping before {rate:g}/s)")
            break
        rung = run_rung(rate, 0, args, out)
        ok = rung.passed(args.max_late, args.min_ok)
        print(row(f"{rate:g} (w0)", rung, "pass" if ok else "FAIL " + (rung.error or "")), flush=True)
        if not ok and not args.no_workers_retry and rung.cpu.get("locust", 0.0) >= 0.8 and left() >= rung_cost + 5:
            # Locust near a full core: the load generator may be the limit, not the stack
            rung = run_rung(rate, 2, args, out)
            ok = rung.passed(args.max_late, args.min_ok)
            print(row(f"{rate:g} (w2)", rung, "pass" if ok else "FAIL " + (rung.error or "")), flush=True)
        if not ok:
            failed_rate = rate
            break
        best = rung
    if best is not None and failed_rate is not None and not args.no_bisect:
        # one halving step between the last pass and the first failure, budget permitting
        mid = round((best.rate + failed_rate) / 2 / 10) * 10
        if best.rate < mid < failed_rate and left() >= rung_cost + args.warmup + args.duration + 20:
            rung = run_rung(mid, best.workers, args, out)
            ok = rung.passed(args.max_late, args.min_ok)
            label = f"{mid:g} (w{best.workers})"
            print(row(label, rung, "pass" if ok else "FAIL " + (rung.error or "")), flush=True)
            if ok:
                best = rung
            else:
                failed_rate = mid
    bare_rate = failed_rate if failed_rate is not None else (best.rate if best else rates[0])
    if not args.no_bare and left() >= args.warmup + args.duration + 20:
        bare = run_bare(bare_rate, 0, args, out)
        ok = bare.passed(args.max_late, 0.0)
        print(row(f"bare {bare_rate:g}", bare, ("pass" if ok else "FAIL") + "  (Locust → bare endpoint; "
                   "'gateway' column = the bare server)"), flush=True)
    total = time.monotonic() - began
    if best is None:
        print(f"sustained: none of the rates tried ({rates[0]:g}/s and up) passed; {total:.0f} s in all")
        return 1
    more = f"; {failed_rate:g}/s failed" if failed_rate is not None else "; the top of the ladder passed"
    print(f"sustained: {best.rate:g} req/s (workers {best.workers}){more}; load average at start {load:.2f}; "
          f"{total:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # drill/ without an installed package
    raise SystemExit(main())
