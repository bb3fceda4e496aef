"""One keep-alive HTTP/1.1 connection to an upstream: an asyncio protocol fed to httptools.

The connection half of ``fast_transport`` (which holds the pool and the httpx
transport over it; why the pair exists is told there).  One request at a time:
``send`` a request, await ``response_head``, then pull ``next_chunk`` until b"".
Every failure is httpx's own exception type, so ``providers/base.py`` classifies
it as it would httpx's default transport's.
"""

from __future__ import annotations

import asyncio
import collections
import select
from typing import Any

import httptools
import httpx

__all__ = ["Connection", "expire"]

_PAUSE_AT = 1 << 20        # stop reading the socket past 1 MiB of unread body: bounded memory


def expire(fut: asyncio.Future[Any], exc: Exception) -> None:
    """Fail ``fut`` with ``exc`` unless it is already done (a timer's callback)."""
    if not fut.done():
        fut.set_exception(exc)


class Connection(asyncio.Protocol):
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
            timeout, expire, fut, httpx.ReadTimeout(f"no data from upstream within {timeout:g} s"))
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
