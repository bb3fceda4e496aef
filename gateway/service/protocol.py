"""uvicorn's httptools protocol with the limits it lacks: header size, header/body timeouts, connections.

uvicorn bounds none of these for httptools (h11's ``h11_max_incomplete_event_size``
does not apply to it): its parser buffers a header of any size, a connection that
never finishes its headers is kept forever, and every accepted connection holds a
descriptor until the process runs out.  One subclass adds each bound where the
bytes arrive, so the app never sees a request that broke one:

- more than ``max_header_bytes`` before the headers end: 431, connection closed;
- headers not complete ``header_timeout`` after the connection opened (or after the
  previous answer on it): 408, closed — slowloris and silent connections alike;
- body not complete ``body_timeout`` after the headers: 408, closed;
- more than ``max_connections`` open: the new one gets 503 and is closed at once.

The idle time between requests is uvicorn's own ``timeout_keep_alive``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..config import LimitsSettings

__all__ = ["guarded_protocol"]


def _plain(status: bytes, message: str) -> bytes:
    body = message.encode("ascii")
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: "
            + str(len(body)).encode("ascii") + b"\r\nconnection: close\r\n\r\n" + body)


class _GuardedProtocol(HttpToolsProtocol):
    max_header_bytes = 65536
    header_timeout = 10.0
    body_timeout = 30.0
    max_connections = 4096

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._awaiting_headers = True
        self._header_bytes = 0
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            self._refuse(b"503 Service Unavailable", f"more than {self.max_connections} connections are open "
                                                     "(limits.max_connections)")
            return
        self._arm(self.header_timeout, "headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._awaiting_headers and not self.transport.is_closing():
            # Counted after the parser has seen the chunk: a chunk that ends the headers and goes on
            # into the body is not held against the headers.
            self._header_bytes += len(data)
            if self._header_bytes > self.max_header_bytes:
                self._refuse(b"431 Request Header Fields Too Large",
                             f"request headers larger than {self.max_header_bytes} bytes "
                             "(limits.max_header_bytes)")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._awaiting_headers = True

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        self._header_bytes = 0
        self._arm(self.body_timeout, "body")
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._awaiting_headers = True
            self._header_bytes = 0
            self._arm(self.header_timeout, "headers")

    def _arm(self, seconds: float, what: str) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._timed_out, what, seconds)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self, what: str, seconds: float) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and self.cycle.response_started:
            self.transport.close()   # too late for a status line: just end it
            return
        setting = "header_timeout" if what == "headers" else "body_timeout"
        self._refuse(b"408 Request Timeout", f"request {what} not received within {seconds:g} s "
                                             f"(limits.{setting})")

    def _refuse(self, status: bytes, message: str) -> None:
        self._disarm()
        if self.cycle is not None and not self.cycle.response_complete:
            # The app sees a disconnect, not a body that will never come.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.write(_plain(status, message))
        self.transport.close()


def guarded_protocol(limits: LimitsSettings) -> type[HttpToolsProtocol]:
    """The protocol class uvicorn should instantiate per connection, with ``limits`` built in."""
    return type("GuardedHttpToolsProtocol", (_GuardedProtocol,), {
        "max_header_bytes": limits.max_header_bytes,
        "header_timeout": limits.header_timeout,
        "body_timeout": limits.body_timeout,
        "max_connections": limits.max_connections,
    })
