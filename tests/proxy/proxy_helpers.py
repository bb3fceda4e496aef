"""Loopback upstreams and socket helpers for the proxy tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class EchoServer:
    """Threaded loopback TCP echo server; ``connections`` counts accepted clients."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.connections = 0
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except OSError:
                pass

    def close(self) -> None:
        self._stop = True
        self.sock.close()


class SinkServer:
    """Sends ``payload`` to each client, then closes (a download); for downstream toxics."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._send, args=(conn,), daemon=True).start()

    def _send(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.sendall(self.payload)

    def close(self) -> None:
        self.sock.close()


def listen_port(proxy_json: dict[str, object]) -> int:
    listen = proxy_json["listen"]
    assert isinstance(listen, str)
    return int(listen.rsplit(":", 1)[1])


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def round_trip(sock: socket.socket, payload: bytes = b"ping") -> float:
    """Seconds for ``payload`` to come back through an echo path."""
    start = time.perf_counter()
    sock.sendall(payload)
    got = b""
    while len(got) < len(payload):
        chunk = sock.recv(65536)
        assert chunk, "connection closed mid round trip"
        got += chunk
    assert got == payload
    return time.perf_counter() - start


def read_all(sock: socket.socket, limit_s: float = 10.0) -> tuple[bytes, list[int]]:
    """Everything until EOF, and the size of each recv (bounded by ``limit_s``)."""
    sock.settimeout(limit_s)
    data, sizes = b"", []
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        sizes.append(len(chunk))
    return data, sizes
