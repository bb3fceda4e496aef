"""What each provider's wire format must offer the fake server: one narrow seam.

The request they read is ``fake_providers.faults.call.ChatCall``.  Pure: no
I/O.  ``openai_wire`` (OpenAI and Qwen's compatible mode) and
``anthropic_wire`` implement it.
"""

from __future__ import annotations

from typing import Protocol

from fake_providers.faults.call import ChatCall
from fake_providers.faults.quota import QuotaView
from fake_providers.servers.asgi import Headers

__all__ = ["Dialect", "RequestProblem"]


class RequestProblem(Exception):
    """A request the real API would reject with 400, naming the parameter."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class Dialect(Protocol):
    name: str

    def new_id(self, seq: int) -> str: ...

    def parse_request(self, body: object) -> ChatCall: ...

    def completion(self, call: ChatCall, rid: str, text: str, completion_tokens: int) -> dict[str, object]: ...

    def completion_body(self, call: ChatCall, rid: str, text: str, completion_tokens: int) -> bytes:
        """``completion`` as the compact UTF-8 JSON the fakes send, byte for byte."""
        ...

    def stream_open(self, call: ChatCall, rid: str) -> bytes: ...

    def stream_piece(self, call: ChatCall, rid: str, piece: str) -> bytes: ...

    def stream_close(self, call: ChatCall, rid: str, completion_tokens: int) -> bytes: ...

    def error(self, status: int, code: str | None, rid: str, message: str | None = None) -> dict[str, object]: ...

    def headers(self, view: QuotaView, rid: str, wall_now: float) -> Headers: ...
