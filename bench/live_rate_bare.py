"""The bare-endpoint baseline: Locust alone against a fixed JSON answer, at a rung's schedule.

Part of ``bench_live_rate.py``: it measures the load generator without the stack, so a failing rung
can be read as the stack's limit or Locust's.  Run as a script, this file is the bare server: it
binds an ephemeral loopback port, prints its URL and serves until SIGINT.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from live_rate_cpu import Sampler, cpu_shares, other_stacks, tcp_counters
from live_rate_figures import read_records, summarize
from live_rate_rung import Rung, stop_group

__all__ = ["run_bare"]


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
    server = subprocess.Popen([sys.executable, __file__], stdout=subprocess.PIPE, start_new_session=True)
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
        stop_group(server, grace_s=5)
    sampler.roles = {pid: role for pid, role in sampler.roles.items() if role in ("locust", "gateway")}
    t0 = epoch + args.warmup
    cpu = cpu_shares(sampler.samples, sampler.roles, t0, t0 + args.duration)
    summary = summarize(read_records(run_dir / "requests.jsonl"), args.warmup, args.late_ms / 1000)
    overflows = tcp_counters().get("ListenOverflows", 0) - context[2]
    return Rung(rate, workers, summary, cpu, time.monotonic() - started, None, context[0], context[1], overflows)


if __name__ == "__main__":
    _serve_bare()
