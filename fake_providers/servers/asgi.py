"""The few ASGI pieces the fakes need: types, reading a body, sending a response."""

from __future__ import annotations

import json

from units.asgi import Message, Receive, Scope, Send

__all__ = [
    "BodyTooLarge",
    "ClientGone",
    "Headers",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "json_bytes",
    "read_body",
    "send_bytes",
    "send_json",
]

Headers = list[tuple[bytes, bytes]]

MAX_BODY = 4 * 1024 * 1024


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    """The client disconnected before its request body arrived."""


def json_bytes(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


async def read_body(receive: Receive, limit: int = MAX_BODY) -> bytes:
    message = await receive()
    if message["type"] == "http.request" and not message.get("more_body", False):
        body: bytes = message.get("body", b"")   # the usual case: the whole body in one message
        if len(body) > limit:
            raise BodyTooLarge
        return body
    return await _read_chunks(message, receive, limit)


async def _read_chunks(message: Message, receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
        message = await receive()


async def send_bytes(
    send: Send, status: int, body: bytes, headers: Headers, content_type: bytes = b"application/json"
) -> None:
    all_headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        *headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})


async def send_json(send: Send, status: int, obj: object, headers: Headers | None = None) -> None:
    await send_bytes(send, status, json_bytes(obj), headers or [])
