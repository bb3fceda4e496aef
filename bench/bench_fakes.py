"""Benchmark (not a test): a fake's throughput vs a bare Starlette endpoint, and injected-latency accuracy.

Each server runs in its own process the same way (uvicorn, httptools, one
event loop); the load generator is a small raw-asyncio HTTP/1.1 keep-alive
client in this process, so the client's own cost stays out of the servers'.
Loopback only; bounded to about 30 s.

    .venv/bin/python bench/bench_fakes.py
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx

BARE_SERVER = r"""
import socket, sys, uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

async def chat(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"id": "x", "choices": [{"message": {"role": "assistant", "content": "hola"}}]})

sock = socket.socket(); sock.bind(("127.0.0.1", 0))
print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
uvicorn.Server(uvicorn.Config(app, http="httptools", lifespan="off", log_level="warning",
                              access_log=False)).run(sockets=[sock])
"""
BODY = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hola"}],
                   "max_tokens": 50}).encode()
CONNECTIONS = 32
THROUGHPUT_S = 5.0
#: The throughput time is split into rounds alternating bare and fake, and the ratio is the median of the
#: rounds' ratios: on a shared machine, load from elsewhere then hits both sides of a ratio alike.
ROUNDS = 5


@contextlib.contextmanager
def _process(args: list[str]) -> Iterator[str]:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> None:
        self.reader, self.writer, self.request = reader, writer, request

    async def call(self) -> int:
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await self.reader.readexactly(length)
        return status


async def _connect(url: str, n: int) -> list[_Conn]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    request = (b"POST /v1/chat/completions HTTP/1.1\r\nhost: %s\r\ncontent-type: application/json\r\n"
               b"content-length: %d\r\n\r\n" % (host.encode(), len(BODY))) + BODY
    conns = []
    for _ in range(n):
        reader, writer = await asyncio.open_connection(host, int(port))
        conns.append(_Conn(reader, writer, request))
    return conns


async def _throughput(url: str, seconds: float) -> float:
    conns = await _connect(url, CONNECTIONS)
    done = 0
    stop_at = time.monotonic() + seconds

    async def worker(conn: _Conn) -> None:
        nonlocal done
        while time.monotonic() < stop_at:
            assert await conn.call() == 200
            done += 1

    await asyncio.gather(*(worker(c) for c in conns))
    for c in conns:
        c.writer.close()
    return done / seconds


async def _latencies(url: str, rate: float, count: int) -> list[float]:
    pool: asyncio.Queue[_Conn] = asyncio.Queue()
    for conn in await _connect(url, 100):
        pool.put_nowait(conn)
    out: list[float] = []

    async def one(at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        conn = await pool.get()
        started = time.monotonic()
        assert await conn.call() == 200
        out.append(time.monotonic() - started)
        pool.put_nowait(conn)

    base = time.monotonic() + 0.2
    await asyncio.gather(*(one(base + i / rate) for i in range(count)))
    while not pool.empty():
        pool.get_nowait().writer.close()
    return out


def _put(url: str, faults: list[object]) -> None:
    body = {"faults": faults, "baseline": {"dist": "constant", "value": 0}}
    httpx.put(url + "/_control/faults", json=body, timeout=5).raise_for_status()


def main() -> None:
    fakes_cmd = [sys.executable, "-m", "fake_providers.cli"]
    with _process([sys.executable, "-c", BARE_SERVER]) as bare, _process(fakes_cmd) as line:
        fake = json.loads(line)["openai"]
        _put(fake, [])
        asyncio.run(_throughput(bare, 0.5))   # warm-up
        asyncio.run(_throughput(fake, 0.5))
        rounds = []
        for _ in range(ROUNDS):
            bare_rps = asyncio.run(_throughput(bare, THROUGHPUT_S / ROUNDS))
            rounds.append((bare_rps, asyncio.run(_throughput(fake, THROUGHPUT_S / ROUNDS))))
        ratios = sorted(fake_rps / bare_rps for bare_rps, fake_rps in rounds)
        print(f"bare starlette: {statistics.median(b for b, _ in rounds):8.0f} req/s (median of {ROUNDS} rounds)")
        print(f"openai fake   : {statistics.median(f for _, f in rounds):8.0f} req/s   ratio "
              f"{statistics.median(ratios):.2f} (target >= 0.75; rounds {' '.join(f'{r:.2f}' for r in ratios)})")
        configured = 0.050
        overhead = sorted(asyncio.run(_latencies(fake, 500, 1000)))   # no injected latency
        _put(fake, [{"latency": configured}])
        measured = asyncio.run(_latencies(fake, 500, 2500))
        base = overhead[len(overhead) // 2]
        errors = sorted(abs(m - configured - base) for m in measured)
        print(f"latency {configured * 1000:.0f} ms at 500 req/s: round trip without it p50 {base * 1000:.2f} ms; "
              f"|measured - configured| p50 {errors[len(errors) // 2] * 1000:.2f} ms, "
              f"p99 {errors[int(0.99 * len(errors))] * 1000:.2f} ms (target <= 2 ms)")


if __name__ == "__main__":
    main()
