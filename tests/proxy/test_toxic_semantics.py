"""What each toxic does to real loopback traffic, with tolerances that survive a busy 2-core box."""

from __future__ import annotations

import contextlib
import socket
import statistics
import time
from collections.abc import Iterator

import pytest
import requests
from proxy_helpers import EchoServer, SinkServer, connect, listen_port, read_all, round_trip


def _proxy(api: str, name: str, upstream: str) -> int:
    r = requests.post(api + "/proxies", json={"name": name, "upstream": upstream}, timeout=5)
    assert r.status_code == 201, r.text
    return listen_port(r.json())


def _toxic(api: str, proxy: str, **body: object) -> None:
    r = requests.post(f"{api}/proxies/{proxy}/toxics", json=body, timeout=10)
    assert r.status_code == 200, r.text


@pytest.fixture
def sink() -> Iterator[SinkServer]:
    srv = SinkServer(bytes(range(256)) * 800)  # 204,800 bytes
    yield srv
    srv.close()


def test_latency_adds_its_delay_to_a_round_trip(api: str, echo: EchoServer) -> None:
    port = _proxy(api, "lat", echo.address)
    sock = connect(port)
    base = statistics.median(round_trip(sock) for _ in range(7))
    _toxic(api, "lat", type="latency", attributes={"latency": 200})
    delayed = statistics.median(round_trip(sock) for _ in range(5))  # applied to the live connection
    assert 0.180 <= delayed - base <= 0.220, (base, delayed)
    fresh = connect(port)
    assert 0.180 <= statistics.median(round_trip(fresh) for _ in range(3)) - base <= 0.220


def test_upstream_latency_and_live_update_and_removal(api: str, echo: EchoServer) -> None:
    port = _proxy(api, "up", echo.address)
    sock = connect(port)
    _toxic(api, "up", type="latency", stream="upstream", attributes={"latency": 100})
    assert 0.09 <= round_trip(sock) <= 0.2
    r = requests.patch(f"{api}/proxies/up/toxics/latency_upstream", json={"attributes": {"latency": 300}},
                       timeout=5)
    assert r.status_code == 200
    assert 0.28 <= round_trip(sock) <= 0.45
    assert requests.delete(f"{api}/proxies/up/toxics/latency_upstream", timeout=5).status_code == 204
    assert round_trip(sock) < 0.08


def test_bandwidth_holds_the_rate(api: str, sink: SinkServer) -> None:
    port = _proxy(api, "bw", sink.address)
    _toxic(api, "bw", type="bandwidth", attributes={"rate": 100})  # KB/s
    start = time.perf_counter()
    data, _ = read_all(connect(port), limit_s=10)
    elapsed = time.perf_counter() - start
    assert data == sink.payload
    rate_kbps = len(data) / elapsed / 1000
    assert 90 <= rate_kbps <= 110, rate_kbps


def test_reset_peer_resets_the_connection(api: str, echo: EchoServer) -> None:
    port = _proxy(api, "rst", echo.address)
    _toxic(api, "rst", type="reset_peer", attributes={"timeout": 0})
    sock = connect(port)
    sock.sendall(b"hello")
    with pytest.raises(ConnectionResetError):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and sock.recv(100):
            pass


def test_reset_peer_waits_its_timeout(api: str, echo: EchoServer) -> None:
    port = _proxy(api, "rst2", echo.address)
    _toxic(api, "rst2", type="reset_peer", stream="upstream", attributes={"timeout": 300})
    sock = connect(port)
    start = time.perf_counter()
    sock.sendall(b"hello")
    with pytest.raises(ConnectionResetError):
        while time.perf_counter() - start < 5 and sock.recv(100):
            pass
    assert 0.28 <= time.perf_counter() - start <= 1.0


def test_timeout_stalls_then_closes(api: str, echo: EchoServer) -> None:
    port = _proxy(api, "to", echo.address)
    _toxic(api, "to", type="timeout", attributes={"timeout": 500})
    sock = connect(port)
    start = time.perf_counter()
    sock.sendall(b"hello")
    data, _ = read_all(sock, limit_s=5)
    elapsed = time.perf_counter() - start
    assert data == b""  # nothing came through while stalled
    assert 0.45 <= elapsed <= 1.2, elapsed


def test_timeout_zero_holds_until_removed_and_removal_closes(api: str, echo: EchoServer) -> None:
    port = _proxy(api, "to0", echo.address)
    _toxic(api, "to0", type="timeout", attributes={"timeout": 0})
    sock = connect(port)
    sock.sendall(b"hello")
    sock.settimeout(0.7)
    with pytest.raises(TimeoutError):
        sock.recv(100)
    assert requests.delete(f"{api}/proxies/to0/toxics/timeout_downstream", timeout=5).status_code == 204
    data, _ = read_all(sock, limit_s=5)
    assert data == b""  # as in Toxiproxy, removing a timeout toxic closes what it stalled


def test_limit_data_closes_after_n_bytes(api: str, sink: SinkServer) -> None:
    port = _proxy(api, "lim", sink.address)
    _toxic(api, "lim", type="limit_data", attributes={"bytes": 1000})
    data, _ = read_all(connect(port), limit_s=5)
    assert data == sink.payload[:1000]


def test_slicer_delivers_the_same_bytes_in_many_pieces(api: str) -> None:
    payload = bytes(range(256)) * 40  # 10,240 bytes
    sink = SinkServer(payload)
    try:
        port = _proxy(api, "sl", sink.address)
        whole, plain_sizes = read_all(connect(port), limit_s=5)
        slicer = {"average_size": 100, "size_variation": 20, "delay": 2000}
        _toxic(api, "sl", type="slicer", attributes=slicer)
        sliced, sizes = read_all(connect(port), limit_s=5)
    finally:
        sink.close()
    assert whole == sliced == payload
    assert len(plain_sizes) <= 4
    assert len(sizes) >= 20 and max(sizes) < 1000, sizes


def test_slow_close_delays_the_close(api: str) -> None:
    sink = SinkServer(b"bye")
    try:
        port = _proxy(api, "sc", sink.address)
        _toxic(api, "sc", type="slow_close", attributes={"delay": 400})
        sock = connect(port)
        start = time.perf_counter()
        data, _ = read_all(sock, limit_s=5)
        elapsed = time.perf_counter() - start
    finally:
        sink.close()
    assert data == b"bye"
    assert 0.38 <= elapsed <= 1.0, elapsed


def test_disabled_proxy_refuses_and_drops_connections(api: str, echo: EchoServer) -> None:
    port = _proxy(api, "off", echo.address)
    live = connect(port)
    assert round_trip(live) < 1
    r = requests.patch(f"{api}/proxies/off", json={"enabled": False}, timeout=5)
    assert r.json()["enabled"] is False
    with pytest.raises(OSError):
        connect(port, timeout=1)
    live.settimeout(2)
    with contextlib.suppress(ConnectionResetError):
        assert live.recv(10) == b""
    requests.patch(f"{api}/proxies/off", json={"enabled": True}, timeout=5)
    assert round_trip(connect(port)) < 1


def test_toxicity_zero_never_applies(api: str, echo: EchoServer) -> None:
    port = _proxy(api, "tx", echo.address)
    _toxic(api, "tx", type="latency", toxicity=0.0, attributes={"latency": 500})
    for _ in range(5):
        assert round_trip(connect(port)) < 0.3


def test_toxicity_is_drawn_once_per_connection(api: str, echo: EchoServer) -> None:
    port = _proxy(api, "half", echo.address)
    _toxic(api, "half", type="latency", toxicity=0.5, attributes={"latency": 150})
    slow = 0
    for _ in range(12):
        sock = connect(port)
        times = [round_trip(sock) for _ in range(3)]
        hit = [t >= 0.14 for t in times]
        assert all(hit) or not any(hit), times  # the same decision for the whole connection
        slow += hit[0]
    assert 0 < slow < 12


def test_moving_a_proxy_to_another_upstream(api: str, echo: EchoServer) -> None:
    sink = SinkServer(b"from-sink")
    try:
        port = _proxy(api, "mv", echo.address)
        r = requests.patch(f"{api}/proxies/mv", json={"upstream": sink.address}, timeout=5)
        assert r.json()["upstream"] == sink.address and r.json()["enabled"] is True
        data, _ = read_all(connect(port), limit_s=5)
    finally:
        sink.close()
    assert data == b"from-sink"


def test_unreachable_upstream_closes_the_client(api: str) -> None:
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    dead = f"127.0.0.1:{free.getsockname()[1]}"
    free.close()
    port = _proxy(api, "dead", dead)
    data, _ = read_all(connect(port), limit_s=5)
    assert data == b""
