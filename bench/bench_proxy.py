"""Benchmark (not a test): what the proxy costs with no toxics, against a direct connection.

Latency: p50/p99 of small echo round trips, direct vs through the proxy (target: p50 added
<= 0.5 ms).  Throughput: MB/s of a bulk download, direct vs through the proxy.  The proxy runs as
its own process (``python -m fake_providers.proxy``), as in a drill; everything is loopback and
bounded (< 30 s).  Run: ``.venv/bin/python bench/bench_proxy.py``.
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import threading
import time

import requests

ROUND_TRIPS = 3000
PAYLOAD = b"x" * 64
BULK_BYTES = 256 * 1024 * 1024
BLOCK = b"\0" * (1024 * 1024)
TIME_LIMIT_S = 8.0  # per measurement


def _serve(handler: object) -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)

    def accept() -> None:
        while True:
            conn, _ = sock.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=handler, args=(conn,), daemon=True).start()  # type: ignore[arg-type]

    threading.Thread(target=accept, daemon=True).start()
    return int(sock.getsockname()[1])


def _echo(conn: socket.socket) -> None:
    with conn:
        while data := conn.recv(65536):
            conn.sendall(data)


def _bulk(conn: socket.socket) -> None:
    with conn:
        for _ in range(BULK_BYTES // len(BLOCK)):
            conn.sendall(BLOCK)


def _latencies(port: int) -> list[float]:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    out: list[float] = []
    deadline = time.monotonic() + TIME_LIMIT_S
    for _ in range(ROUND_TRIPS):
        start = time.perf_counter()
        sock.sendall(PAYLOAD)
        got = 0
        while got < len(PAYLOAD):
            got += len(sock.recv(65536))
        out.append(time.perf_counter() - start)
        if time.monotonic() > deadline:
            break
    sock.close()
    return out


def _throughput(port: int) -> float:
    sock = socket.create_connection(("127.0.0.1", port))
    buf = bytearray(1024 * 1024)
    total, start = 0, time.perf_counter()
    deadline = time.monotonic() + TIME_LIMIT_S
    while (n := sock.recv_into(buf)) and time.monotonic() < deadline:
        total += n
    elapsed = time.perf_counter() - start
    sock.close()
    return total / elapsed / 1e6


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if q < 100 else max(values) * 1000


def main() -> int:
    echo_port, bulk_port = _serve(_echo), _serve(_bulk)
    proc = subprocess.Popen([sys.executable, "-m", "fake_providers.proxy", "--port", "0"],
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        timer = threading.Timer(15, proc.kill)
        timer.start()
        api = proc.stdout.readline().decode().strip()
        timer.cancel()
        if not api.startswith("http://"):
            print("proxy did not start", file=sys.stderr)
            return 1
        ports = {}
        for name, port in (("echo", echo_port), ("bulk", bulk_port)):
            body = {"name": name, "upstream": f"127.0.0.1:{port}"}
            r = requests.post(api + "/proxies", json=body, timeout=5)
            ports[name] = int(r.json()["listen"].rsplit(":", 1)[1])

        _latencies(echo_port)  # warm-up
        direct = _latencies(echo_port)
        proxied = _latencies(ports["echo"])
        d50, d99 = _pct(direct, 50), _pct(direct, 99)
        p50, p99 = _pct(proxied, 50), _pct(proxied, 99)
        print(f"round trip ({len(direct)} x {len(PAYLOAD)} B)  direct p50 {d50:.3f} ms  p99 {d99:.3f} ms")
        print(f"round trip ({len(proxied)} x {len(PAYLOAD)} B)  proxy  p50 {p50:.3f} ms  p99 {p99:.3f} ms")
        print(f"added by the proxy: p50 {p50 - d50:.3f} ms (target <= 0.5 ms)  p99 {p99 - d99:.3f} ms  "
              f"ratio p50 {p50 / d50:.2f}x")

        direct_mbs = _throughput(bulk_port)
        proxy_mbs = _throughput(ports["bulk"])
        print(f"throughput  direct {direct_mbs:.0f} MB/s  proxy {proxy_mbs:.0f} MB/s  "
              f"ratio {proxy_mbs / direct_mbs:.2f}")
        return 0
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    raise SystemExit(main())
