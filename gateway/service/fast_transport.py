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

Here: the per-origin pool and the transport; one connection's protocol is
``upstream_connection``.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator

import httpx

from .upstream_connection import Connection, expire

__all__ = ["FastHTTPTransport"]


class _Pool:
    """Connections to one origin: LIFO idle stack, O(1) checkout, FIFO waiters past the limit."""

    def __init__(self, host: str, port: int, max_connections: int, max_idle: int,
                 keepalive_expiry: float) -> None:
        self.host, self.port = host, port
        self.max_connections = max_connections
        self.max_idle = max_idle
        self.keepalive_expiry = keepalive_expiry
        self.idle: list[Connection] = []
        self.open = 0
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self, pool_timeout: float | None, connect_timeout: float | None) -> Connection:
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
                handle = loop.call_later(max(0.0, deadline - now), expire, fut,
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

    async def _connect(self, loop: asyncio.AbstractEventLoop, timeout: float | None) -> Connection:
        try:
            async with asyncio.timeout(timeout):
                _, conn = await loop.create_connection(lambda: Connection(loop), self.host, self.port)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"no connection to {self.host}:{self.port} within {timeout:g} s") from None
        except OSError as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: [Errno {exc.errno}] {exc.strerror or exc}") from None
        return conn

    def release(self, conn: Connection) -> None:
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
    def __init__(self, pool: _Pool, conn: Connection, read_timeout: float | None) -> None:
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
