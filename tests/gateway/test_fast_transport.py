"""FastHTTPTransport against scripted raw-socket upstreams, judged by httpx's own transport.

Every scripted answer (good, chunked, closed early, reset, malformed, hanging,
refused...) is sent to both transports; the gateway must see the same thing
from each: the same status and body, or a failure of the same kind.
"""

from __future__ import annotations

import asyncio
import collections
import socket
import struct
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.providers.base import transport_failure
from gateway.service.fast_transport import FastHTTPTransport


@dataclass(frozen=True)
class Script:
    """What the upstream does with one request: write ``raw`` in pieces of ``split`` bytes, then ``after``."""

    raw: bytes
    after: str = "keep"        # keep | close | reset | hang
    split: int = 0             # 0: one write


def _ok(body: bytes = b'{"ok":true}', status: int = 200, extra: bytes = b"") -> bytes:
    return (b"HTTP/1.1 %d X\r\ncontent-type: application/json\r\n%scontent-length: %d\r\n\r\n"
            % (status, extra, len(body)) + body)


def _chunked(parts: list[bytes]) -> bytes:
    out = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
    for p in parts:
        out += b"%x\r\n%s\r\n" % (len(p), p)
    return out + b"0\r\n\r\n"


SCRIPTS = {
    "ok": Script(_ok()),
    "ok-split": Script(_ok(b"x" * 300), split=7),
    "429": Script(_ok(b'{"error":{"code":"rate_limit_exceeded"}}', 429, b"retry-after: 2\r\n")),
    "chunked": Script(_chunked([b"hel", b"lo ", b"world"]), split=5),
    "until-close": Script(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nbody until close", after="close"),
    "conn-close": Script(_ok(extra=b"connection: close\r\n"), after="close"),
    "http10": Script(b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nhi", after="close"),
    "no-answer": Script(b"", after="close"),
    "cut-body": Script(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly a little", after="close"),
    "reset": Script(b"", after="reset"),
    "reset-mid-body": Script(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial", after="reset"),
    "garbage": Script(b"this is not http\r\n\r\n", after="close"),
    "hang": Script(b"", after="hang"),
    "hang-mid-body": Script(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc", after="hang"),
    "interim-100": Script(b"HTTP/1.1 100 Continue\r\n\r\n" + _ok(b"after continue")),
    "no-content": Script(b"HTTP/1.1 204 No Content\r\n\r\n"),
    # a keep-alive answer, then the server's idle timeout closes the connection
    "closed-after-answer": Script(_ok(), after="close"),
}


class Upstream:
    """A loopback server answering each request with the next queued script (default: ok)."""

    def __init__(self) -> None:
        self.scripts: collections.deque[Script] = collections.deque()
        self.connections = 0
        self.requests: list[bytes] = []
        self._server: asyncio.Server | None = None
        self._hangs: list[asyncio.Event] = []
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for ev in self._hangs:
            ev.set()
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/chat/completions"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                script = self.scripts.popleft() if self.scripts else SCRIPTS["ok"]
                step = script.split or len(script.raw) or 1
                for i in range(0, len(script.raw), step):
                    writer.write(script.raw[i:i + step])
                    await writer.drain()
                if script.after == "keep":
                    continue
                if script.after == "reset":
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                elif script.after == "hang":
                    ev = asyncio.Event()
                    self._hangs.append(ev)
                    await ev.wait()
                writer.close()
                return
        finally:
            writer.close()


@asynccontextmanager
async def upstream() -> AsyncIterator[Upstream]:
    up = Upstream()
    await up.start()
    try:
        yield up
    finally:
        await up.stop()


Outcome = tuple[object, ...]


async def _outcome(client: httpx.AsyncClient, url: str) -> Outcome:
    try:
        async with client.stream("POST", url, json={"messages": [{"role": "user", "content": "hola"}]}) as r:
            body = await r.aread()
            return ("answer", r.status_code, body, r.headers.get("retry-after"))
    except httpx.HTTPError as exc:
        return ("failure", transport_failure("openai", exc, 0.3).kind.value)


def _client(fast: bool, max_connections: int = 8) -> httpx.AsyncClient:
    fallback = httpx.AsyncHTTPTransport()
    transport: httpx.AsyncBaseTransport = (
        FastHTTPTransport(fallback, max_connections=max_connections) if fast else fallback)
    return httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(0.3))


async def _run_both(names: list[str]) -> tuple[list[Outcome], list[Outcome], Upstream, Upstream]:
    results = []
    ups = []
    for fast in (False, True):
        async with upstream() as up, _client(fast) as client:
            out = []
            for name in names:
                up.scripts.append(SCRIPTS[name])
                out.append(await _outcome(client, up.url))
            results.append(out)
            ups.append(up)
    return results[0], results[1], ups[0], ups[1]


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_each_scripted_answer_looks_the_same_through_both_transports(name: str) -> None:
    reference, fast, _, _ = asyncio.run(_run_both([name, "ok"]))
    assert fast == reference
    assert fast[1] == ("answer", 200, b'{"ok":true}', None), "the next call works after any failure"


@given(st.lists(st.sampled_from(sorted(set(SCRIPTS) - {"hang", "hang-mid-body"})), min_size=1, max_size=8))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_sequence_of_answers_on_one_pool_matches_httpx(names: list[str]) -> None:
    reference, fast, _, _ = asyncio.run(_run_both(names))
    assert fast == reference


def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    # A server in its own thread answers with keep-alive headers, then closes: its FIN reaches the
    # kernel while our loop is blocked, so only the readability check can tell the connection is dead.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    accepted: list[int] = []

    def serve_two() -> None:
        for _ in range(2):
            conn, _ = listener.accept()
            accepted.append(1)
            data = b""
            while b'"hola"}]}' not in data:
                data += conn.recv(65536)
            conn.sendall(_ok())
            conn.close()

    server = threading.Thread(target=serve_two, daemon=True)
    server.start()

    async def go() -> list[Outcome]:
        async with _client(True) as client:
            first = await _outcome(client, f"http://127.0.0.1:{port}/x")
            time.sleep(0.1)      # block the loop: the close arrives unseen
            second = await _outcome(client, f"http://127.0.0.1:{port}/x")
            return [first, second]
    try:
        outs = asyncio.run(go())
    finally:
        server.join(timeout=5)
        listener.close()
    assert [o[:2] for o in outs] == [("answer", 200), ("answer", 200)]
    assert len(accepted) == 2


def test_keep_alive_reuses_one_connection_and_honours_connection_close() -> None:
    async def go() -> None:
        async with upstream() as up, _client(True) as client:
            for _ in range(5):
                assert (await _outcome(client, up.url))[1] == 200
            assert up.connections == 1
            up.scripts.append(SCRIPTS["conn-close"])
            await _outcome(client, up.url)
            await _outcome(client, up.url)
            assert up.connections == 2
            assert all(req.startswith(b"POST /v1/chat/completions HTTP/1.1\r\n") for req in up.requests)
            assert all(b'"content":"hola"' in req for req in up.requests)
    asyncio.run(go())


def test_concurrent_calls_never_exceed_the_connection_limit() -> None:
    async def go() -> None:
        async with upstream() as up, _client(True, max_connections=3) as client:
            outs = await asyncio.gather(*(_outcome(client, up.url) for _ in range(40)))
            assert all(o[:2] == ("answer", 200) for o in outs)
            assert up.connections <= 3
    asyncio.run(go())


def test_refused_connection_is_a_connect_error() -> None:
    async def go() -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()   # nothing listens there now
        async with _client(True) as client:
            out = await _outcome(client, f"http://127.0.0.1:{port}/x")
        assert out == ("failure", "connection_refused")
    asyncio.run(go())


def test_a_large_body_streams_through_intact() -> None:
    body = bytes(range(256)) * (12 * 1024)    # 3 MiB: past the pause threshold
    async def go() -> None:
        async with upstream() as up, _client(True) as client:
            up.scripts.append(Script(_ok(body), split=100_000))
            out = await _outcome(client, up.url)
            assert out[:2] == ("answer", 200) and out[2] == body
    asyncio.run(go())


def test_a_cancelled_call_does_not_leak_its_connection() -> None:
    async def go() -> None:
        async with upstream() as up, _client(True, max_connections=1) as client:
            up.scripts.append(SCRIPTS["hang"])
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.1):
                    await _outcome(client, up.url)
            # the only connection slot must be free again
            assert (await _outcome(client, up.url))[:2] == ("answer", 200)
    asyncio.run(go())


def test_https_goes_to_the_fallback_transport() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"via": "fallback"})

    async def go() -> None:
        transport = FastHTTPTransport(httpx.MockTransport(handler))
        async with httpx.AsyncClient(transport=transport) as client:
            r = await client.post("https://api.example.test/v1/chat/completions", json={})
            assert r.json() == {"via": "fallback"}
    asyncio.run(go())
    assert seen == ["https://api.example.test/v1/chat/completions"]


def test_bad_limit_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="max_connections"):
        FastHTTPTransport(httpx.AsyncHTTPTransport(), max_connections=0)


def test_idle_connections_beyond_the_keepalive_limit_are_closed() -> None:
    async def go() -> None:
        async with upstream() as up:
            transport = FastHTTPTransport(httpx.AsyncHTTPTransport(), max_connections=8, max_keepalive_connections=1)
            async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(0.3)) as client:
                await asyncio.gather(*(_outcome(client, up.url) for _ in range(6)))
                opened = up.connections
                assert opened > 1, "six calls at once need more than one connection"
                for _ in range(3):
                    assert (await _outcome(client, up.url))[:2] == ("answer", 200)
                assert up.connections == opened, "the one kept-alive connection is reused"
    asyncio.run(go())


def test_the_gateway_client_takes_the_fast_path_only_when_asked() -> None:
    from gateway.service.upstream_http import upstream_client

    async def go() -> None:
        async with upstream() as up:
            for fast in (True, False):
                async with upstream_client(1.0, fast=fast) as client:
                    assert isinstance(client._transport, FastHTTPTransport) is fast
                    assert (await _outcome(client, up.url))[:2] == ("answer", 200)
    asyncio.run(go())
