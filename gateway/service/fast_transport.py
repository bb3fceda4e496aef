"""An httpx transport for plain-HTTP/1.1 upstreams: asyncio protocol + httptools parser.

Why it exists: on one core httpx's default transport (httpcore 1.0) tops out
below 1,000 calls/s at 64 concurrent calls.  Its pool rescans every connection
(and polls each idle socket) on every request and on every response close, once
per queued request, with an O(n²) keep-alive check; anyio adds a cancel scope per
read.  Measured in ``bench/bench_gateway.py``.

This transport keeps httpx's client, its models and its exception types, and so
``providers/base.py`` unchanged; only ``http://`` origins take it (the fakes and
the fault proxy), ``https://`` and anything unusual (HEAD, upgrades) go to the
fallback transport.  Errors are httpx's own: ``ConnectError``/``ConnectTimeout``
on connect, ``ReadTimeout``, ``PoolTimeout``, ``ReadError`` for a reset and
``RemoteProtocolError`` for a close mid-answer or a malformed answer.
"""

from __future__ import annotations

import asyncio
import collections
import select
from collections.abc import AsyncIterator
from typing import Any

import httptools
import httpx

__all__ = ["FastHTTPTransport"]

_PAUSE_AT = 1 << 20        # stop reading the socket past 1 MiB of unread body: bounded memory


def _expire(fut: asyncio.Future[Any], exc: Exception) -> None:
    if not fut.done():
        fut.set_exception(exc)


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._fd = -1
        self._reset_response()

    def _reset_response(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self.status = 0
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.complete = False
        self.until_close = False
        self.keep_alive = False
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._paused = False
        self._error: Exception | None = None
        self._waiter: asyncio.Future[None] | None = None

    # -- asyncio.Protocol --------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's TCPTransport is not a subclass
        sock = transport.get_extra_info("socket")
        self._fd = sock.fileno() if sock is not None else -1

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(httpx.RemoteProtocolError("upstream switched protocols"))
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"malformed HTTP response from upstream: {exc}"))

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.complete:
            return
        if self.head_done and self.until_close and exc is None:
            self.complete = True   # a body delimited by the end of the connection
            self._wake()
        elif exc is not None:
            self._fail(httpx.ReadError(f"{type(exc).__name__}: {exc}"), close=False)
        elif self.head_done:
            self._fail(httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
                       close=False)
        else:
            self._fail(httpx.RemoteProtocolError("Server disconnected without sending a response."), close=False)

    def pause_writing(self) -> None:  # request bodies are small; the kernel buffers them
        pass

    def resume_writing(self) -> None:
        pass

    # -- httptools callbacks -----------------------------------------------------

    def on_status(self, status: bytes) -> None:
        self.reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()
        if 100 <= self.status < 200:     # an interim answer (100 Continue): wait for the real one
            self.reason, self.headers, self.status = b"", [], 0
            return
        names = {k.lower() for k, _ in self.headers}
        self.until_close = (b"content-length" not in names and b"transfer-encoding" not in names
                            and self.status not in (204, 304))
        # Asked now: after the message completes the parser answers for the next one.
        self.keep_alive = self._parser.should_keep_alive()
        self.head_done = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > _PAUSE_AT and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self.head_done:
            self.complete = True
            self._wake()

    # -- used by the transport ---------------------------------------------------

    def _wake(self) -> None:
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    def _fail(self, exc: Exception, close: bool = True) -> None:
        if self._error is None:
            self._error = exc
        w = self._waiter
        if w is not None and not w.done():
            w.set_exception(exc)
        if close:
            self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def stale(self) -> bool:
        """True when an idle connection has something to read: the server's close, not yet seen by the loop.

        httpcore makes the same check; without it a call races the server's keep-alive timeout and
        fails as a reset the provider never caused.
        """
        if self._fd < 0:
            return False
        try:
            readable, _, _ = select.select([self._fd], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def reusable(self) -> bool:
        return (self.complete and self.keep_alive and not self.closed and self._error is None
                and not self.until_close)

    def send(self, data: bytes) -> None:
        self._reset_response()
        assert self.transport is not None
        self.transport.write(data)

    async def _wait(self, timeout: float | None) -> None:
        if self._error is not None:
            raise self._error
        fut: asyncio.Future[None] = self._loop.create_future()
        self._waiter = fut
        handle = None if timeout is None else self._loop.call_later(
            timeout, _expire, fut, httpx.ReadTimeout(f"no data from upstream within {timeout:g} s"))
        try:
            await fut
        finally:
            self._waiter = None
            if handle is not None:
                handle.cancel()

    async def response_head(self, timeout: float | None) -> None:
        while not self.head_done:
            await self._wait(timeout)

    async def next_chunk(self, timeout: float | None) -> bytes:
        """The next piece of body, or b"" at its end."""
        while True:
            if self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                if self._paused and self._buffered <= _PAUSE_AT // 2 and self.transport is not None:
                    self._paused = False
                    self.transport.resume_reading()
                return chunk
            if self.complete:
                return b""
            await self._wait(timeout)


class _Pool:
    """Connections to one origin: LIFO idle stack, O(1) checkout, FIFO waiters past the limit."""

    def __init__(self, host: str, port: int, max_connections: int, max_idle: int,
                 keepalive_expiry: float) -> None:
        self.host, self.port = host, port
        self.max_connections = max_connections
        self.max_idle = max_idle
        self.keepalive_expiry = keepalive_expiry
        self.idle: list[_Connection] = []
        self.open = 0
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self, pool_timeout: float | None, connect_timeout: float | None) -> _Connection:
        loop = asyncio.get_running_loop()
        deadline = None if pool_timeout is None else loop.time() + pool_timeout
        while True:
            now = loop.time()
            while self.idle:
                conn = self.idle.pop()
                if not conn.closed and now - conn.idle_since < self.keepalive_expiry and not conn.stale():
                    return conn
                conn.close()
                self.open -= 1
            if self.open < self.max_connections:
                self.open += 1
                try:
                    return await self._connect(loop, connect_timeout)
                except BaseException:
                    self.open -= 1
                    self._wake_one()
                    raise
            fut: asyncio.Future[None] = loop.create_future()
            self.waiters.append(fut)
            handle = None
            if deadline is not None:
                handle = loop.call_later(max(0.0, deadline - now), _expire, fut,
                                         httpx.PoolTimeout("no upstream connection free in time"))
            try:
                await fut
            except BaseException:
                if fut in self.waiters:
                    self.waiters.remove(fut)
                elif fut.done() and not fut.cancelled() and fut.exception() is None:
                    self._wake_one()   # we were handed a turn we won't use: pass it on
                raise
            finally:
                if handle is not None:
                    handle.cancel()

    async def _connect(self, loop: asyncio.AbstractEventLoop, timeout: float | None) -> _Connection:
        try:
            async with asyncio.timeout(timeout):
                _, conn = await loop.create_connection(lambda: _Connection(loop), self.host, self.port)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"no connection to {self.host}:{self.port} within {timeout:g} s") from None
        except OSError as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: [Errno {exc.errno}] {exc.strerror or exc}") from None
        return conn

    def release(self, conn: _Connection) -> None:
        if conn.reusable() and len(self.idle) < self.max_idle:
            conn.idle_since = asyncio.get_running_loop().time()
            self.idle.append(conn)
        else:
            conn.close()
            self.open -= 1
        self._wake_one()

    def _wake_one(self) -> None:
        while self.waiters:
            fut = self.waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


class _Body(httpx.AsyncByteStream):
    def __init__(self, pool: _Pool, conn: _Connection, read_timeout: float | None) -> None:
        self._pool, self._conn, self._timeout = pool, conn, read_timeout
        self._released = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        try:
            while True:
                chunk = await conn.next_chunk(self._timeout)
                if not chunk:
                    return
                yield chunk
        except BaseException:
            conn.close()
            raise

    async def aclose(self) -> None:
        if not self._released:
            self._released = True
            self._pool.release(self._conn)


class FastHTTPTransport(httpx.AsyncBaseTransport):
    """Plain-HTTP/1.1 keep-alive transport; ``fallback`` serves every other request."""

    def __init__(self, fallback: httpx.AsyncBaseTransport, *, max_connections: int = 2000,
                 max_keepalive_connections: int = 200, keepalive_expiry: float = 5.0) -> None:
        if max_connections < 1:
            raise ValueError(f"FastHTTPTransport: max_connections must be >= 1, got {max_connections}")
        if max_keepalive_connections < 0:
            raise ValueError("FastHTTPTransport: max_keepalive_connections must be >= 0, "
                             f"got {max_keepalive_connections}")
        self._fallback = fallback
        self._max_connections = max_connections
        self._max_idle = max_keepalive_connections
        self._keepalive_expiry = keepalive_expiry
        self._pools: dict[tuple[str, int], _Pool] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "http" or request.method in ("HEAD", "CONNECT") or "upgrade" in request.headers:
            return await self._fallback.handle_async_request(request)
        key = (url.host, url.port or 80)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = _Pool(key[0], key[1], self._max_connections, self._max_idle,
                                            self._keepalive_expiry)
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        body = await request.aread()
        head = _request_head(request, len(body))
        conn = await pool.acquire(timeouts.get("pool"), timeouts.get("connect"))
        read_timeout = timeouts.get("read")
        try:
            conn.send(head + body if len(body) < 65536 else head)
            if len(body) >= 65536:
                assert conn.transport is not None
                conn.transport.write(body)
            await conn.response_head(read_timeout)
        except BaseException:
            conn.close()
            pool.release(conn)
            raise
        return httpx.Response(
            conn.status, headers=conn.headers, stream=_Body(pool, conn, read_timeout),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": conn.reason.strip()},
        )

    async def aclose(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()
        await self._fallback.aclose()


def _request_head(request: httpx.Request, length: int) -> bytes:
    parts = [request.method.encode("ascii"), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    has_length = False
    for name, value in request.headers.raw:
        low = name.lower()
        if low == b"transfer-encoding":
            continue   # the body was read whole: it goes with a content-length
        if low == b"content-length":
            has_length = True
        parts += (name, b": ", value, b"\r\n")
    if not has_length and (length or request.method in ("POST", "PUT", "PATCH")):
        parts += (b"Content-Length: ", str(length).encode("ascii"), b"\r\n")
    parts.append(b"\r\n")
    return b"".join(parts)
