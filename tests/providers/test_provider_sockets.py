"""The two transport failures that respx can only imitate, on real loopback sockets."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from gateway.errors import ConnectionRefused, ConnectionReset, ProviderTimeout
from gateway.outcomes import ChatRequest, Message
from gateway.providers import make_client

REQUEST = ChatRequest(messages=(Message("user", "hola"),))


def _free_port() -> int:
    # Bound then closed: nothing listens there, so a connect is refused.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _complete(base_url: str, timeout_s: float) -> None:
    async with httpx.AsyncClient() as http:
        await make_client("openai", base_url, "sk-sock", None, http).complete(REQUEST, timeout_s)


def test_refused_on_a_closed_port() -> None:
    with pytest.raises(ConnectionRefused):
        asyncio.run(_complete(f"http://127.0.0.1:{_free_port()}", 5.0))


async def _serve_then(handler_bytes: bytes | None, timeout_s: float) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if handler_bytes is None:
            await asyncio.sleep(10)  # hang: never answer
        else:
            writer.write(handler_bytes)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        await _complete(f"http://127.0.0.1:{port}", timeout_s)
    finally:
        server.close()


def test_closed_mid_body_is_a_reset() -> None:
    partial = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{"choices": ['
    with pytest.raises(ConnectionReset):
        asyncio.run(_serve_then(partial, 5.0))


def test_server_that_never_answers_times_out() -> None:
    with pytest.raises(ProviderTimeout):
        asyncio.run(asyncio.wait_for(_serve_then(None, 0.3), timeout=5.0))
