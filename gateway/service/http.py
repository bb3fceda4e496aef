"""The gateway's HTTP values: one request in, one response out.

Plain slotted values instead of Starlette's ``Request``/``Response``: on the hot
path (a cache hit costs ~30 µs of policy work) building those objects and their
header multidicts cost more than the work itself.  Header names are lower-case
bytes, as ASGI carries them, so nothing is re-encoded on the way out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "JSON_TYPE",
    "Headers",
    "Request",
    "Response",
    "json_bytes",
    "json_response",
    "text_response",
]

JSON_TYPE = b"application/json"

# One encoder for the process: ``json.dumps`` with keyword arguments builds a new
# encoder on every call, which showed up in profiles of the hit path.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

Headers = tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True, slots=True)
class Request:
    """What a handler sees: method, path, raw headers and the whole body (bounded by the router)."""

    method: str
    path: str
    headers: Headers
    body: bytes = b""
    #: the body went past the router's limit and was not kept
    too_large: bool = False

    def header(self, name: bytes) -> str | None:
        """The first value of a header (``name`` lower-case), or None."""
        for key, value in self.headers:
            if key == name:
                return value.decode("latin-1")
        return None


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    content_type: bytes | None = JSON_TYPE
    #: extra headers, sent before content-length and content-type (Starlette's order)
    headers: Headers = ()

    def with_headers(self, extra: Iterable[tuple[bytes, bytes]]) -> Response:
        return Response(self.status, self.body, self.content_type, self.headers + tuple(extra))

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        out = list(self.headers)
        out.append((b"content-length", str(len(self.body)).encode("ascii")))
        if self.content_type is not None:
            out.append((b"content-type", self.content_type))
        return out


def json_bytes(body: Any) -> bytes:
    return _ENCODER.encode(body).encode("utf-8")


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    extra: Headers = ()
    if headers:
        extra = tuple((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())
    return Response(status, json_bytes(body), JSON_TYPE, extra)


def text_response(text: str, status: int, headers: Headers = ()) -> Response:
    return Response(status, text.encode("utf-8"), b"text/plain; charset=utf-8", headers)
