"""OpenAI Chat Completions on the wire; Qwen's DashScope compatible mode uses the same shapes.

Bodies, SSE chunks (``data: {chunk}`` … ``data: [DONE]``), error bodies
(``{"error": {"message", "type", "param", "code"}}``) and ``x-ratelimit-*``
headers as the real API sends them.  Pure: no I/O.
"""

from __future__ import annotations

import json
import math

from fake_providers.faults.answers import count_tokens
from fake_providers.faults.call import ChatCall
from fake_providers.faults.quota import QuotaView
from fake_providers.servers.asgi import Headers
from fake_providers.servers.dialect import RequestProblem
from fake_providers.servers.json_fragments import quote

__all__ = ["OpenAIDialect", "go_duration"]

_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request.", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    403: ("You are not allowed to sample from this model.", "invalid_request_error", None),
    404: ("The model does not exist or you do not have access to it.", "invalid_request_error", "model_not_found"),
    408: ("Request timed out.", "timeout", None),
    409: ("Conflict.", "invalid_request_error", None),
    413: ("Request too large.", "invalid_request_error", None),
    500: ("The server had an error while processing your request. Sorry about that!", "server_error", None),
    502: ("Bad gateway.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later", "server_error", None),
    504: ("Gateway timeout.", "server_error", None),
    529: ("The server is overloaded, please try again later.", "server_error", None),
}
_QUOTA_MESSAGE = (
    "You exceeded your current quota, please check your plan and billing details. For more information "
    "on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
)


def go_duration(seconds: float) -> str:
    """Durations as OpenAI's reset headers write them: ``12ms``, ``1.5s``, ``6m0s``."""
    seconds = max(seconds, 0.0)
    if seconds < 1:
        return f"{math.ceil(seconds * 1000)}ms"
    if seconds < 60:
        return f"{round(seconds, 3):g}s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m{round(rest, 3):g}s"


def _reset_bytes(seconds: float) -> bytes:
    """``go_duration(seconds)`` as header bytes; the common sub-second case without string formatting."""
    if 0 < seconds < 1:
        return b"%dms" % math.ceil(seconds * 1000)
    return b"0ms" if seconds <= 0 else go_duration(seconds).encode()


def _sse(obj: object) -> bytes:
    return b"data: " + json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"


def _text(content: object, where: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return "".join(str(p) for p in parts)
    if content is None:
        return ""
    raise RequestProblem(f"Invalid type for '{where}': expected a string or an array of parts.", where)


class OpenAIDialect:
    def __init__(self, name: str = "openai", created: int = 1_767_225_600) -> None:
        self.name = name
        self._created = created   # a fixed "created" keeps bodies deterministic
        self._completion_created = b',"object":"chat.completion","created":%d,"model":' % created

    def new_id(self, seq: int) -> str:
        return f"chatcmpl-llmdrill{seq:012d}"

    def parse_request(self, body: object) -> ChatCall:
        if not isinstance(body, dict):
            raise RequestProblem("The request body must be a JSON object.")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise RequestProblem("you must provide a model parameter", "model")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise RequestProblem("'messages' must be a non-empty array.", "messages")
        system, prompt, chars = [], "", 0
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or not isinstance(message.get("role"), str):
                raise RequestProblem(f"Invalid value for 'messages[{i}]': expected an object with a role.",
                                     f"messages[{i}]")
            text = _text(message.get("content"), f"messages[{i}].content")
            chars += len(text)
            if message["role"] in ("system", "developer"):
                system.append(text)
            elif message["role"] == "user":
                prompt = text
        limit = body.get("max_completion_tokens", body.get("max_tokens", 256))
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise RequestProblem("Invalid 'max_tokens': expected a positive integer.", "max_tokens")
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise RequestProblem("Invalid 'stream': expected a boolean.", "stream")
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        tokens = count_tokens("x" * chars) + 4 * len(messages)
        return ChatCall(model, "\n".join(system), prompt, tokens, limit, stream, include_usage)

    def completion(self, call: ChatCall, rid: str, text: str, completion_tokens: int) -> dict[str, object]:
        return {
            "id": rid,
            "object": "chat.completion",
            "created": self._created,
            "model": call.model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }],
            "usage": self._usage(call, completion_tokens),
            "system_fingerprint": "fp_llmdrill",
        }

    def completion_body(self, call: ChatCall, rid: str, text: str, completion_tokens: int) -> bytes:
        prompt_tokens = call.prompt_tokens
        return b"".join((
            b'{"id":', quote(rid), self._completion_created, quote(call.model),
            b',"choices":[{"index":0,"message":{"role":"assistant","content":', quote(text),
            b',"refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":%d,'
            b'"completion_tokens":%d,"total_tokens":%d},"system_fingerprint":"fp_llmdrill"}'
            % (prompt_tokens, completion_tokens, prompt_tokens + completion_tokens),
        ))

    def _usage(self, call: ChatCall, completion_tokens: int) -> dict[str, int]:
        return {
            "prompt_tokens": call.prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": call.prompt_tokens + completion_tokens,
        }

    def _chunk(self, call: ChatCall, rid: str, delta: dict[str, object], finish: str | None) -> dict[str, object]:
        return {
            "id": rid,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": call.model,
            "system_fingerprint": "fp_llmdrill",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    def stream_open(self, call: ChatCall, rid: str) -> bytes:
        return _sse(self._chunk(call, rid, {"role": "assistant", "content": "", "refusal": None}, None))

    def stream_piece(self, call: ChatCall, rid: str, piece: str) -> bytes:
        return _sse(self._chunk(call, rid, {"content": piece}, None))

    def stream_close(self, call: ChatCall, rid: str, completion_tokens: int) -> bytes:
        out = _sse(self._chunk(call, rid, {}, "stop"))
        if call.include_usage:
            usage_chunk = self._chunk(call, rid, {}, None)
            usage_chunk["choices"] = []
            usage_chunk["usage"] = self._usage(call, completion_tokens)
            out += _sse(usage_chunk)
        return out + b"data: [DONE]\n\n"

    def error(self, status: int, code: str | None, rid: str, message: str | None = None) -> dict[str, object]:
        code_out: str | None
        if status == 429 and code == "insufficient_quota":
            default, kind, code_out = _QUOTA_MESSAGE, "insufficient_quota", "insufficient_quota"
        elif status == 429:
            default = "Rate limit reached for requests. Please try again later."
            kind, code_out = "requests", "rate_limit_exceeded"
        else:
            default, kind, fallback = _ERRORS.get(status, ("Error.", "server_error", None))
            code_out = code or fallback
        return {"error": {"message": message or default, "type": kind, "param": None, "code": code_out}}

    def headers(self, view: QuotaView, rid: str, wall_now: float) -> Headers:
        # Every answer carries these: built in one expression each, the resets by _reset_bytes.
        out: Headers = [(b"x-request-id", rid.encode())]
        limit, remaining = view.limit_requests, view.remaining_requests
        if limit is not None and remaining is not None:
            out += ((b"x-ratelimit-limit-requests", b"%d" % limit),
                    (b"x-ratelimit-remaining-requests", b"%d" % remaining),
                    (b"x-ratelimit-reset-requests", _reset_bytes(view.reset_requests_s)))
        limit, remaining = view.limit_tokens, view.remaining_tokens
        if limit is not None and remaining is not None:
            out += ((b"x-ratelimit-limit-tokens", b"%d" % limit),
                    (b"x-ratelimit-remaining-tokens", b"%d" % remaining),
                    (b"x-ratelimit-reset-tokens", _reset_bytes(view.reset_tokens_s)))
        return out
