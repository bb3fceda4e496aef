"""Invariant: adding, updating and removing toxics on a live connection never loses, duplicates or
reorders a byte (the link's interrupt-and-rewire state machine), whatever the sequence."""

from __future__ import annotations

import socket
import threading
import time

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from proxy_helpers import EchoServer, connect, listen_port

TOXICS = {
    "latency": {"latency": 20, "jitter": 5},
    "slicer": {"average_size": 512, "size_variation": 64, "delay": 500},
    "bandwidth": {"rate": 2_000},
    "noop": {},
    "slow_close": {"delay": 0},
}
OPS = st.lists(
    st.tuples(st.sampled_from(["add", "update", "remove"]), st.sampled_from(sorted(TOXICS)),
              st.sampled_from(["upstream", "downstream"]), st.floats(0, 1)),
    min_size=1, max_size=8,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_bytes_survive_any_sequence_of_live_changes(api: str, echo: EchoServer, ops: list[tuple]) -> None:
    requests.delete(api + "/proxies/rw", timeout=5)
    r = requests.post(api + "/proxies", json={"name": "rw", "upstream": echo.address}, timeout=5)
    sock = connect(listen_port(r.json()), timeout=10)
    payload = bytes(i % 251 for i in range(120_000))
    received = bytearray()

    def reader() -> None:
        while len(received) < len(payload):
            chunk = sock.recv(65536)
            if not chunk:
                return
            received.extend(chunk)

    def writer() -> None:
        for i in range(0, len(payload), 4000):
            sock.sendall(payload[i:i + 4000])
            time.sleep(0.002)  # keep data in flight while the toxics change

    threads = [threading.Thread(target=reader), threading.Thread(target=writer)]
    for t in threads:
        t.start()
    url = api + "/proxies/rw/toxics"
    present: set[str] = set()
    for op, kind, stream, toxicity in ops:
        name = f"{kind}_{stream}"
        if op == "add" and name not in present:
            body = {"type": kind, "stream": stream, "toxicity": toxicity, "attributes": TOXICS[kind]}
            assert requests.post(url, json=body, timeout=10).status_code == 200
            present.add(name)
        elif op == "update" and name in present:
            assert requests.patch(f"{url}/{name}", json={"toxicity": toxicity}, timeout=10).status_code == 200
        elif op == "remove" and name in present:
            assert requests.delete(f"{url}/{name}", timeout=10).status_code == 204
            present.discard(name)
    threads[1].join(20)
    threads[0].join(20)
    sock.close()
    assert len(received) == len(payload)
    assert bytes(received) == payload


def _recv_exactly(sock: socket.socket, n: int, limit_s: float) -> bytes:
    sock.settimeout(limit_s)
    got = b""
    while len(got) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    return got


def _setup(api: str, echo: EchoServer, name: str, toxic: dict[str, object]) -> socket.socket:
    r = requests.post(api + "/proxies", json={"name": name, "upstream": echo.address}, timeout=5)
    sock = connect(listen_port(r.json()), timeout=10)
    assert requests.post(f"{api}/proxies/{name}/toxics", json=toxic, timeout=5).status_code == 200
    return sock


def test_adding_a_toxic_releases_what_the_last_one_held(api: str, echo: EchoServer) -> None:
    sock = _setup(api, echo, "held1", {"type": "latency", "attributes": {"latency": 1500}})
    sock.sendall(b"held-by-latency")
    time.sleep(0.15)
    start = time.perf_counter()
    body = {"type": "noop", "name": "second"}
    assert requests.post(api + "/proxies/held1/toxics", json=body, timeout=5).status_code == 200
    assert _recv_exactly(sock, 15, 3) == b"held-by-latency"
    assert time.perf_counter() - start < 1.0  # Toxiproxy flushes on interrupt, without the delay


def test_removing_a_toxic_flushes_held_queued_and_upstream_data_in_order(api: str, echo: EchoServer) -> None:
    toxic = {"type": "slicer", "attributes": {"average_size": 10, "size_variation": 0, "delay": 50_000}}
    sock = _setup(api, echo, "held2", toxic)
    parts = [bytes([65 + i]) * 1000 for i in range(4)]
    for part in parts:  # separate chunks: one sliced, one queued, one held before the slicer...
        sock.sendall(part)
        time.sleep(0.03)
    assert requests.delete(api + "/proxies/held2/toxics/slicer_downstream", timeout=5).status_code == 204
    assert _recv_exactly(sock, 4000, 3) == b"".join(parts)
