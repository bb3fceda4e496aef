"""Anthropic Messages on the wire.

Bodies, the SSE event sequence (``message_start``, ``content_block_start``,
``ping``, ``content_block_delta``…, ``content_block_stop``, ``message_delta``,
``message_stop``), error bodies (``{"type": "error", "error": {...},
"request_id": ...}``) and ``anthropic-ratelimit-*`` headers (resets as RFC 3339
times).  Pure: no I/O; the wall time comes in as an argument.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

from fake_providers.faults.answers import count_tokens
from fake_providers.faults.call import ChatCall
from fake_providers.faults.memo import Memo
from fake_providers.faults.quota import QuotaView
from fake_providers.servers.asgi import Headers
from fake_providers.servers.dialect import RequestProblem
from fake_providers.servers.json_fragments import quote

__all__ = ["AnthropicDialect", "rfc3339"]

#: the (limit, remaining, reset) header names of each token family
_TOKEN_HEADERS: tuple[tuple[bytes, bytes, bytes], ...] = tuple(
    (b"anthropic-ratelimit-" + family + b"-limit", b"anthropic-ratelimit-" + family + b"-remaining",
     b"anthropic-ratelimit-" + family + b"-reset")
    for family in (b"tokens", b"input-tokens", b"output-tokens"))

_TYPES: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "The requested resource could not be found."),
    408: ("api_error", "Request timed out."),
    409: ("api_error", "Conflict."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of requests has exceeded your per-minute rate limit. Please try again later."),
    500: ("api_error", "Internal server error"),
    502: ("api_error", "Bad gateway"),
    503: ("api_error", "Service unavailable"),
    504: ("api_error", "Gateway timeout"),
    529: ("overloaded_error", "Overloaded"),
}
_SPEND_LIMIT = "You have reached your specified API usage limits. You will regain access when your limits reset."


#: reset times by whole second: strftime costs ~4 us and every answer carries two of them
_RFC3339: Memo[str] = Memo(64)


def rfc3339(wall: float) -> str:
    second = math.floor(wall)
    if wall - second >= 0.999999:   # fromtimestamp may round this into the next second: let it decide
        return _format(wall)
    return _RFC3339.get(second) or _RFC3339.put(second, _format(second))


def _format(wall: float) -> str:
    return datetime.fromtimestamp(wall, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(name: str, obj: object) -> bytes:
    data = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return f"event: {name}\ndata: {data}\n\n".encode()


def _text(content: object, where: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text")
    raise RequestProblem(f"{where}: Input should be a valid string or list of content blocks", where)


class AnthropicDialect:
    name = "claude"

    def new_id(self, seq: int) -> str:
        return f"msg_llmdrill{seq:012d}"

    def parse_request(self, body: object) -> ChatCall:
        if not isinstance(body, dict):
            raise RequestProblem("The request body must be a JSON object.")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise RequestProblem("model: Field required", "model")
        limit = body.get("max_tokens")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise RequestProblem("max_tokens: Field required (a positive integer)", "max_tokens")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise RequestProblem("messages: at least one message is required", "messages")
        system = _text(body.get("system", ""), "system")
        prompt, chars = "", len(system)
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
                raise RequestProblem(f"messages.{i}.role: Input should be 'user' or 'assistant'", f"messages.{i}")
            text = _text(message.get("content"), f"messages.{i}.content")
            chars += len(text)
            if message["role"] == "user":
                prompt = text
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise RequestProblem("stream: Input should be a valid boolean", "stream")
        tokens = count_tokens("x" * chars) + 4 * len(messages)
        return ChatCall(model, system, prompt, tokens, limit, stream, True)

    def completion(self, call: ChatCall, rid: str, text: str, completion_tokens: int) -> dict[str, object]:
        return {
            "id": rid,
            "type": "message",
            "role": "assistant",
            "model": call.model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": call.prompt_tokens, "output_tokens": completion_tokens},
        }

    def completion_body(self, call: ChatCall, rid: str, text: str, completion_tokens: int) -> bytes:
        return b"".join((
            b'{"id":', quote(rid), b',"type":"message","role":"assistant","model":', quote(call.model),
            b',"content":[{"type":"text","text":', quote(text),
            b'}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":%d,"output_tokens":%d}}'
            % (call.prompt_tokens, completion_tokens),
        ))

    def stream_open(self, call: ChatCall, rid: str) -> bytes:
        message: dict[str, object] = {
            "id": rid, "type": "message", "role": "assistant", "model": call.model, "content": [],
            "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": call.prompt_tokens, "output_tokens": 1},
        }
        return (
            _event("message_start", {"type": "message_start", "message": message})
            + _event("content_block_start",
                     {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
            + _event("ping", {"type": "ping"})
        )

    def stream_piece(self, call: ChatCall, rid: str, piece: str) -> bytes:
        delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}
        return _event("content_block_delta", delta)

    def stream_close(self, call: ChatCall, rid: str, completion_tokens: int) -> bytes:
        return (
            _event("content_block_stop", {"type": "content_block_stop", "index": 0})
            + _event("message_delta", {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": completion_tokens},
            })
            + _event("message_stop", {"type": "message_stop"})
        )

    def error(self, status: int, code: str | None, rid: str, message: str | None = None) -> dict[str, object]:
        kind, default = _TYPES.get(status, ("api_error", "Internal server error"))
        if status == 429 and code == "insufficient_quota":
            default = _SPEND_LIMIT
        return {"type": "error", "error": {"type": kind, "message": message or default}, "request_id": rid}

    def headers(self, view: QuotaView, rid: str, wall_now: float) -> Headers:
        out: Headers = [(b"request-id", rid.encode())]
        if view.limit_requests is not None and view.remaining_requests is not None:
            out += [
                (b"anthropic-ratelimit-requests-limit", str(view.limit_requests).encode()),
                (b"anthropic-ratelimit-requests-remaining", str(view.remaining_requests).encode()),
                (b"anthropic-ratelimit-requests-reset", rfc3339(wall_now + view.reset_requests_s).encode()),
            ]
        if view.limit_tokens is not None and view.remaining_tokens is not None:
            limit, remaining = str(view.limit_tokens).encode(), str(view.remaining_tokens).encode()
            reset = rfc3339(wall_now + view.reset_tokens_s).encode()
            for limit_name, remaining_name, reset_name in _TOKEN_HEADERS:
                out += [(limit_name, limit), (remaining_name, remaining), (reset_name, reset)]
        return out
