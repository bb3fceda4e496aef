"""The faults that happen below HTTP: a TCP RST mid-response, a listener closed and reopened.

The only module that touches sockets directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable
from typing import Any

from fake_providers.servers.asgi import Send

__all__ = ["Listener", "bind_socket", "reset_connection"]


def _transport(send: Send) -> asyncio.Transport | None:
    # uvicorn hands the app its per-request cycle's bound ``send``; the cycle holds the transport.
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    # Duck-typed: uvloop's transports are not subclasses of asyncio's.
    if all(hasattr(transport, name) for name in ("abort", "write", "get_extra_info")):
        return transport
    return None


async def reset_connection(send: Send, head: bytes) -> bool:
    """Write ``head`` then abort with SO_LINGER 0 so the kernel sends an RST.

    False when the transport cannot be reached (not uvicorn): the caller falls back to a truncated response.
    """
    transport = _transport(send)
    if transport is None:
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if head:
        transport.write(head)
    transport.abort()
    # Let uvicorn see the connection lost before the app returns, so it sends nothing more.
    for _ in range(3):
        await asyncio.sleep(0)
    return True


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only when it says TCP, and
    # without it a response written as head + body waits out the client's delayed ACK (~40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class Listener:
    """A listening port that can be closed (connections refused) and reopened on the same port."""

    def __init__(
        self,
        host: str,
        port: int,
        factory: Callable[[], asyncio.Protocol],
        backlog: int = 2048,
        on_open: Callable[[Any], None] | None = None,
    ) -> None:
        self.host, self.port = host, port
        self._on_open = on_open
        self._factory = factory
        self._backlog = backlog
        self.server: asyncio.AbstractServer | None = None
        self.refusing = False

    def adopt(self, server: asyncio.AbstractServer) -> None:
        self.server = server

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        self.refusing = True

    async def reopen(self) -> None:
        if self.server is not None:
            return
        sock = bind_socket(self.host, self.port)
        loop = asyncio.get_running_loop()
        factory: Any = self._factory
        self.server = await loop.create_server(factory, sock=sock, backlog=self._backlog)
        self.refusing = False
        if self._on_open is not None:
            self._on_open(self.server)
