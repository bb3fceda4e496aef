"""Benchmark (not a test): admission control at 1x and 2x the stack's capacity, open-loop load.

The bottleneck is the upstream, as in an incident: a zero-CPU OpenAI-compatible
server that answers ``SLOTS`` requests at a time, each after ``SERVICE_S`` (so the
stack's capacity is SLOTS / SERVICE_S requests per second) and queues the rest
without bound.  Open-model arrivals (Poisson, whether or not earlier requests have
finished; latency from the *intended* send time) hit ``/v1/chat/completions`` at
1x and 2x that capacity, on

- the gateway with its in-flight cap (``limits.max_in_flight``) sized to the upstream, and
- the baseline measured in the same run: the same gateway with the cap out of reach
  (what the gateway did before issue 8 — no admission control).

For each it prints the shed rate (429 + Retry-After), the p50/p99 of the requests it
admitted (200s), other failures, the peak number in flight and the gateway's RSS
(peak and growth over the phase).  Each configuration gets a fresh upstream and a
fresh gateway process, the gateway pinned to core 0, the rest to core 1 when there
is one; these machines are shared and noisy, so read the two side by side.

    python bench/bench_overload.py
    BENCH_SECONDS=20 BENCH_SLOTS=40 python bench/bench_overload.py

Target (issue 8): at 2x, admitted p99 stays near its 1x value and RSS stays flat, where the
baseline's latency and memory grow with the backlog.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DURATION_S = float(os.environ.get("BENCH_SECONDS", "10"))
SLOTS = int(os.environ.get("BENCH_SLOTS", "10"))
SERVICE_S = float(os.environ.get("BENCH_SERVICE_S", "0.2"))
CAPACITY = SLOTS / SERVICE_S
#: the gateway's cap: the upstream's slots and a little queue (a 50 % longer wait at most)
CAP = int(os.environ.get("BENCH_CAP", str(int(SLOTS * 1.5))))
CLIENT_TIMEOUT_S = 30.0
OTHER_CORE = ["taskset", "-c", "1"] if (os.cpu_count() or 1) > 1 else []

UPSTREAM = r'''
import asyncio, json, sys, socket, uvicorn
SLOTS, SERVICE_S = int(sys.argv[1]), float(sys.argv[2])
BODY = json.dumps({"id": "c", "object": "chat.completion", "created": 0, "model": "m",
  "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
  "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}).encode()
slots = None
async def app(scope, receive, send):
    global slots
    if scope["type"] == "lifespan":
        while True:
            m = await receive()
            if m["type"] == "lifespan.startup":
                slots = asyncio.Semaphore(SLOTS); await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"}); return
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    async with slots:
        await asyncio.sleep(SERVICE_S)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); sock.listen(4096)
print(sock.getsockname()[1], flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="on", limit_concurrency=None)).run(sockets=[sock])
'''


@dataclass
class Phase:
    label: str
    rate: float
    sent: int = 0
    ok: list[float] = field(default_factory=list)
    shed: int = 0
    other: dict[str, int] = field(default_factory=dict)
    rss_before_mb: float = 0.0
    rss_peak_mb: float = 0.0
    in_flight_peak: int = 0

    def pct(self, q: float) -> float:
        if not self.ok:
            return float("nan")
        ordered = sorted(self.ok)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _start(argv: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, **(env or {})}, start_new_session=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line:
        raise RuntimeError(f"{argv[:4]} printed nothing")
    return proc, line


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS:")).split()[1]) / 1024


class _Pool:
    """A minimal keep-alive HTTP/1.1 client: httpx's per-request CPU would make the load generator the
    bottleneck on a shared core, and a late send is latency the gateway did not cause."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def post(self, path: str, body: bytes) -> int:
        request = (b"POST " + path.encode() + b" HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: "
                   b"application/json\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        if self._idle:
            conn = self._idle.pop()
            conn[1].write(request)
            try:
                head = await conn[0].readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                # The server closed this kept-alive connection while it sat idle (its idle timeout):
                # what any HTTP client does, resend once on a new connection.
                conn[1].close()
                conn = await asyncio.open_connection("127.0.0.1", self._port)
                conn[1].write(request)
                head = await conn[0].readuntil(b"\r\n\r\n")
        else:
            conn = await asyncio.open_connection("127.0.0.1", self._port)
            conn[1].write(request)
            head = await conn[0].readuntil(b"\r\n\r\n")
        reader, writer = conn
        status = int(head[9:12])
        length, close = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
            elif name.lower() == b"connection" and value.strip().lower() == b"close":
                close = True
        await reader.readexactly(length)
        if close:
            writer.close()
        else:
            self._idle.append(conn)
        return status

    def close(self) -> None:
        for _, writer in self._idle:
            writer.close()


async def _run_phase(port: int, pid: int, phase: Phase, seed: int) -> None:
    rng = random.Random(seed)
    pool = _Pool(port)
    in_flight = 0

    async def one(i: int, intended: float) -> None:
        nonlocal in_flight
        in_flight += 1
        phase.in_flight_peak = max(phase.in_flight_peak, in_flight)
        body = json.dumps({"messages": [{"role": "user", "content": f"overload {phase.label} {i}"}]}).encode()
        try:
            status = str(await asyncio.wait_for(pool.post("/v1/chat/completions", body), CLIENT_TIMEOUT_S))
        except TimeoutError:
            status = "client_timeout"
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status = type(exc).__name__
        finally:
            in_flight -= 1
        if status == "200":
            phase.ok.append(time.monotonic() - intended)
        elif status == "429":
            phase.shed += 1
        else:
            phase.other[status] = phase.other.get(status, 0) + 1

    async def sample_rss() -> None:
        while True:
            phase.rss_peak_mb = max(phase.rss_peak_mb, _rss_mb(pid))
            await asyncio.sleep(0.2)

    phase.rss_before_mb = phase.rss_peak_mb = _rss_mb(pid)
    sampler = asyncio.create_task(sample_rss())
    tasks = []
    start = time.monotonic()
    t = 0.0
    while True:
        t += rng.expovariate(phase.rate)
        if t >= DURATION_S:
            break
        delay = start + t - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(phase.sent, start + t)))
        phase.sent += 1
    await asyncio.gather(*tasks)
    sampler.cancel()
    pool.close()


def _configuration(cap: int, phases: list[Phase]) -> None:
    upstream, port = _start([*OTHER_CORE, PY, "-c", UPSTREAM, str(SLOTS), str(SERVICE_S)])
    up_url = f"http://127.0.0.1:{port}"
    env = {f"LLMDRILL_{p.upper()}_URL": up_url for p in ("qwen", "claude", "openai")}
    argv = ["taskset", "-c", "0", PY, "-m", "drill.cli", "gateway", "--set", "provider=openai",
            "--set", "cache.enabled=false", "--set", "providers.qwen.rpm=null", "--set", "providers.qwen.tpm=null",
            "--set", f"limits.max_in_flight={cap}"]
    gateway, gw_url = _start(argv, env)
    try:
        httpx.post(gw_url + "/v1/chat/completions", json={"messages": [{"role": "user", "content": "warm"}]},
                   timeout=10)
        for i, phase in enumerate(phases):
            asyncio.run(_run_phase(int(gw_url.rsplit(":", 1)[1]), gateway.pid, phase, seed=i))
            time.sleep(1.0)   # let the upstream's backlog, if any, drain before the next phase
    finally:
        for proc in (gateway, upstream):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)


def main() -> int:
    capped = [Phase("1x", CAPACITY), Phase("2x", 2 * CAPACITY)]
    baseline = [Phase("1x", CAPACITY), Phase("2x", 2 * CAPACITY)]
    _configuration(CAP, capped)
    _configuration(1_000_000, baseline)
    print(f"overload benchmark: upstream {SLOTS} slots x {SERVICE_S * 1000:.0f} ms = capacity {CAPACITY:.0f} req/s; "
          f"open-loop Poisson, {DURATION_S:g} s per phase; gateway cap limits.max_in_flight={CAP}; "
          "baseline: the same gateway with no reachable cap")
    print(f"{'config':<10}{'load':>6}{'sent':>7}{'shed':>8}{'ok p50':>10}{'ok p99':>10}{'other':>7}"
          f"{'in flight':>11}{'rss peak':>10}{'rss +':>8}")
    result: dict[str, dict[str, object]] = {}
    for name, phases in (("capped", capped), ("baseline", baseline)):
        for ph in phases:
            other = sum(ph.other.values())
            print(f"{name:<10}{ph.label:>6}{ph.sent:>7}{ph.shed / max(1, ph.sent):>7.1%}{ph.pct(0.5):>8.0f}ms"
                  f"{ph.pct(0.99):>8.0f}ms{other:>7}{ph.in_flight_peak:>11}{ph.rss_peak_mb:>8.0f}MB"
                  f"{ph.rss_peak_mb - ph.rss_before_mb:>6.0f}MB")
            result[f"{name}_{ph.label}"] = {
                "rate": ph.rate, "sent": ph.sent, "shed_rate": round(ph.shed / max(1, ph.sent), 4),
                "ok_p50_ms": round(ph.pct(0.5), 1), "ok_p99_ms": round(ph.pct(0.99), 1), "other": ph.other,
                "in_flight_peak": ph.in_flight_peak, "rss_peak_mb": round(ph.rss_peak_mb, 1),
                "rss_growth_mb": round(ph.rss_peak_mb - ph.rss_before_mb, 1)}
    c1, c2 = result["capped_1x"], result["capped_2x"]
    print(f"capped: admitted p99 at 2x / at 1x = {float(c2['ok_p99_ms']) / float(c1['ok_p99_ms']):.2f} "   # type: ignore[arg-type]
          f"(target: near 1); baseline at 2x / capped at 2x = "
          f"{float(result['baseline_2x']['ok_p99_ms']) / float(c2['ok_p99_ms']):.1f}")   # type: ignore[arg-type]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
