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

Run it when the machine is quiet (``uptime`` load < 1.5): the figures are only as good as that.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
LLMDRILL = [PY, "-m", "drill.cli"]

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

ROLES = ("gateway", "fakes", "proxy", "locust", "runner")
_TICK = os.sysconf("SC_CLK_TCK")
_SAMPLE_EVERY_S = 0.25
#: a run's fixed costs beyond its load: process start-up, the drain, the report
_OVERHEAD_S = 25.0


# -- the scenario -------------------------------------------------------------------------------


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


# -- what the requests say ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    n: int
    late_share: float          # sent more than `late_s` after the intended time (or never sent)
    ok_share: float
    lag_p50_s: float
    lag_p99_s: float
    latency_p99_s: float
    start_lag_s: float         # the send lag of the very first request of the run (warm-up included)


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return math.nan
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


def summarize(records: Iterable[Mapping[str, Any]], from_s: float, late_s: float = 0.010) -> Summary:
    """Figures over the requests intended at or after ``from_s`` (the steady stage)."""
    lags: list[float] = []
    latencies: list[float] = []
    n = late = ok = 0
    first: tuple[float, float] | None = None
    for rec in records:
        intended = float(rec["intended_s"])
        sent = rec.get("sent_s")
        if sent is not None and (first is None or intended < first[0]):
            first = (intended, float(sent) - intended)
        if intended < from_s:
            continue
        n += 1
        ok += rec.get("outcome") == "ok"
        if sent is None:
            late += 1
        else:
            lag = float(sent) - intended
            lags.append(lag)
            late += lag > late_s
        if rec.get("latency_s") is not None:
            latencies.append(float(rec["latency_s"]))
    lags.sort()
    latencies.sort()
    return Summary(
        n=n,
        late_share=late / n if n else 1.0,
        ok_share=ok / n if n else 0.0,
        lag_p50_s=_quantile(lags, 0.50),
        lag_p99_s=_quantile(lags, 0.99),
        latency_p99_s=_quantile(latencies, 0.99),
        start_lag_s=first[1] if first else math.nan,
    )


def _read_records(path: Path) -> list[dict[str, Any]]:
    out = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
    return out


# -- CPU of the processes under a run -----------------------------------------------------------


def role_of(argv: Sequence[str]) -> str | None:
    """Which part of the stack a process is, from its command line (None: not one of ours)."""
    if any(a == "locust" or a.endswith("/locust") for a in argv):
        return "locust"
    if argv and Path(argv[0]).name == "toxiproxy-server":
        return "proxy"
    if "drill.cli" in argv:
        i = argv.index("drill.cli")
        sub = argv[i + 1] if i + 1 < len(argv) else ""
        return {"gateway": "gateway", "fake-providers": "fakes", "proxy": "proxy", "run": "runner"}.get(sub)
    return None


def _stat(pid: int) -> tuple[int, float] | None:
    """(ppid, CPU seconds) of a live process, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    rest = raw[raw.rfind(b")") + 2 :].split()
    # after the name: state ppid ... utime (14th field of the line) stime (15th)
    return int(rest[1]), (int(rest[11]) + int(rest[12])) / _TICK


def _argv(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


@dataclass(slots=True)
class Sampler:
    """Samples the CPU time of every descendant of ``root`` until stopped, in its own thread."""

    root: int
    samples: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="cpu-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(_SAMPLE_EVERY_S):
            self.sample_once()

    def sample_once(self) -> None:
        now = time.monotonic()
        stats: dict[int, tuple[int, float]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                found = _stat(int(entry))
                if found is not None:
                    stats[int(entry)] = found
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in stats.items():
            children.setdefault(ppid, []).append(pid)
        todo, seen = [self.root], set()
        while todo:
            pid = todo.pop()
            if pid in seen or pid not in stats:
                continue
            seen.add(pid)
            todo.extend(children.get(pid, ()))
            if pid not in self.roles:
                role = "runner" if pid == self.root else role_of(_argv(pid))
                if role is None:
                    continue
                self.roles[pid] = role
            self.samples.setdefault(pid, []).append((now, stats[pid][1]))


def _cpu_at(samples: Sequence[tuple[float, float]], t: float) -> float:
    """Cumulative CPU seconds at ``t``: interpolated; 0 before a process was first seen, last after."""
    if not samples or t < samples[0][0]:
        return 0.0
    for (t0, c0), (t1, c1) in itertools.pairwise(samples):
        if t0 <= t <= t1:
            return c0 if t1 == t0 else c0 + (c1 - c0) * (t - t0) / (t1 - t0)
    return samples[-1][1]


def cpu_shares(
    samples: Mapping[int, Sequence[tuple[float, float]]], roles: Mapping[int, str], t0: float, t1: float
) -> dict[str, float]:
    """CPU used between ``t0`` and ``t1`` per role, as a share of one core."""
    if t1 <= t0:
        raise ValueError(f"window: end {t1} must be after start {t0}")
    out = dict.fromkeys(ROLES, 0.0)
    for pid, series in samples.items():
        role = roles.get(pid)
        if role is not None:
            out[role] = out.get(role, 0.0) + (_cpu_at(series, t1) - _cpu_at(series, t0)) / (t1 - t0)
    return out


# -- what else is going on ---------------------------------------------------------------------


def tcp_counters() -> dict[str, int]:
    """System-wide TcpExt counters that show a listen queue overflowing (SYNs dropped, then resent)."""
    wanted = ("ListenOverflows", "TCPSynRetrans")
    try:
        lines = Path("/proc/net/netstat").read_text(encoding="ascii").splitlines()
    except OSError:
        return {}
    out: dict[str, int] = {}
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            for name, value in zip(names.split()[1:], values.split()[1:], strict=False):
                if name in wanted:
                    out[name] = int(value)
    return out


def other_stacks() -> int:
    """Gateways of other llmdrill runs on this machine (other engineers' tests skew every figure)."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit() and role_of(_argv(int(entry))) == "gateway":
            count += 1
    return count


# -- one rung -----------------------------------------------------------------------------------


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


def _stop_group(proc: subprocess.Popen[bytes], grace_s: float) -> None:
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
            _stop_group(proc, grace_s=20)
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
    summary = summarize(_read_records(records), args.warmup, args.late_ms / 1000)
    return Rung(rate, workers, summary, cpu, wall, error, context[0], context[1], overflows)


# -- the bare-endpoint baseline -----------------------------------------------------------------


async def _bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A fixed small JSON answer to anything: no work, so only the load generator is measured."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    body = b'{"entities": {}, "confidence": 1.0, "ambiguities": [], "meta": {}}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _serve_bare() -> None:
    import uvicorn

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(_bare_app, log_level="warning", access_log=False, lifespan="off")
    with contextlib.suppress(KeyboardInterrupt):   # SIGINT is how the benchmark stops it
        uvicorn.Server(config).run(sockets=[sock])


def run_bare(rate: float, workers: int, args: argparse.Namespace, out: Path) -> Rung:
    """Locust alone against the bare endpoint, with the rung's schedule; CPU of Locust and the server."""
    from dataclasses import asdict

    from drill.load.config import LoadConfig
    from drill.load.runner import run_load
    from fake_providers.corpus import REFERENCE_DATE, generate_corpus
    from workload.schedule import Stage

    run_dir = out / f"bare-rate{rate:g}-w{workers}"
    run_dir.mkdir(parents=True, exist_ok=True)
    prompts = run_dir / "prompts.json"
    rows = [{**asdict(c), "reference_date": REFERENCE_DATE.isoformat()} for c in generate_corpus(seed=0, n=2000)]
    prompts.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    stages = (Stage(args.warmup, args.warmup_rate), Stage(args.warmup + args.duration, rate))
    server = subprocess.Popen([PY, __file__, "--serve-bare"], stdout=subprocess.PIPE, start_new_session=True)
    context = (os.getloadavg()[0], other_stacks(), tcp_counters().get("ListenOverflows", 0))
    started = time.monotonic()
    sampler = Sampler(os.getpid())
    sampler.roles[server.pid] = "gateway"   # shown in the gateway's column: it stands in for the stack
    try:
        assert server.stdout is not None
        host = server.stdout.readline().decode().strip()
        if not host.startswith("http://127.0.0.1:"):
            return Rung(rate, workers, None, {}, 0.0, f"the bare endpoint did not start (said {host!r})")
        epoch = time.monotonic() + 5.0
        config = LoadConfig(stages=stages, prompts_path=str(prompts), records_path=str(run_dir / "requests.jsonl"),
                            seed=7, epoch_monotonic=epoch, client_timeout_s=10.0)
        sampler.start()
        run_load(config, host, workers=workers, log_dir=run_dir / "logs", margin_s=10.0)
    finally:
        sampler.stop()
        _stop_group(server, grace_s=5)
    sampler.roles = {pid: role for pid, role in sampler.roles.items() if role in ("locust", "gateway")}
    t0 = epoch + args.warmup
    cpu = cpu_shares(sampler.samples, sampler.roles, t0, t0 + args.duration)
    summary = summarize(_read_records(run_dir / "requests.jsonl"), args.warmup, args.late_ms / 1000)
    overflows = tcp_counters().get("ListenOverflows", 0) - context[2]
    return Rung(rate, workers, summary, cpu, time.monotonic() - started, None, context[0], context[1], overflows)


# -- the table ----------------------------------------------------------------------------------


def _row(label: str, rung: Rung, verdict: str) -> str:
    s = rung.summary
    if s is None:
        return f"{label:>12}  {'':>6}  error: {rung.error}"
    cpu = "  ".join(f"{rung.cpu.get(r, 0.0):5.2f}" for r in ROLES)
    return (
        f"{label:>12}  {s.n:6d}  {100 * s.late_share:6.2f}  {100 * s.ok_share:6.2f}  "
        f"{1000 * s.lag_p50_s:8.2f}  {1000 * s.lag_p99_s:8.1f}  {1000 * s.latency_p99_s:8.0f}  "
        f"{1000 * s.start_lag_s:7.0f}  {cpu}  {rung.load_avg:5.2f}  {rung.others:3d}  {rung.overflows:6d}  {verdict}"
    )


_HEADER = (
    f"{'rate/s (wN)':>12}  {'n':>6}  {'late%':>6}  {'ok%':>6}  {'lag p50':>8}  {'lag p99':>8}  "
    f"{'lat p99':>8}  {'start':>7}  " + "  ".join(f"{r[:5]:>5}" for r in ROLES)
    + f"  {'load':>5}  {'oth':>3}  {'ovfl':>6}  verdict"
)
_UNITS = f"{'':>12}  {'':>6}  {'':>6}  {'':>6}  {'ms':>8}  {'ms':>8}  {'ms':>8}  {'ms':>7}  " + (
    "CPU share of one core (steady)     load avg, other stacks, listen overflows at/while"
)
_LEGEND = (
    "start: the send lag of the run's first request (Locust's start-up, absorbed by the warm-up); "
    "oth: other llmdrill gateways running (other engineers' tests); ovfl: system-wide TcpExt "
    "ListenOverflows during the rung (dropped SYNs: clients resend after 1 s, 3 s, ...)"
)


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
    p.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve_bare:
        _serve_bare()
        return 0
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
    print(_LEGEND)
    print(_HEADER)
    print(_UNITS, flush=True)

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
        print(_row(f"{rate:g} (w0)", rung, "pass" if ok else "FAIL " + (rung.error or "")), flush=True)
        if not ok and not args.no_workers_retry and rung.cpu.get("locust", 0.0) >= 0.8 and left() >= rung_cost + 5:
            # Locust near a full core: the load generator may be the limit, not the stack
            rung = run_rung(rate, 2, args, out)
            ok = rung.passed(args.max_late, args.min_ok)
            print(_row(f"{rate:g} (w2)", rung, "pass" if ok else "FAIL " + (rung.error or "")), flush=True)
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
            print(_row(label, rung, "pass" if ok else "FAIL " + (rung.error or "")), flush=True)
            if ok:
                best = rung
            else:
                failed_rate = mid
    bare_rate = failed_rate if failed_rate is not None else (best.rate if best else rates[0])
    if not args.no_bare and left() >= args.warmup + args.duration + 20:
        bare = run_bare(bare_rate, 0, args, out)
        ok = bare.passed(args.max_late, 0.0)
        print(_row(f"bare {bare_rate:g}", bare, ("pass" if ok else "FAIL") + "  (Locust → bare endpoint; "
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
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
