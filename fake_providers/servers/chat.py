"""The chat endpoint of a fake: read the request, ask the engine, make the fault happen on the wire."""

from __future__ import annotations

import asyncio
import json
import math
import time

from fake_providers.faults.engine import FaultEngine
from fake_providers.faults.outcomes import BadJson, Decision, Hang, HttpError, Refuse, Reset, StreamShape
from fake_providers.servers.answers import compose, count_tokens, split_tokens
from fake_providers.servers.asgi import (
    BodyTooLarge,
    ClientGone,
    Headers,
    Receive,
    Send,
    read_body,
    send_bytes,
    send_json,
)
from fake_providers.servers.bad_json import HTML_PAGE, envelope_text, truncate
from fake_providers.servers.dialect import ChatCall, Dialect, RequestProblem
from fake_providers.servers.memo import Memo
from fake_providers.servers.state import FakeState
from fake_providers.servers.tcp import reset_connection

__all__ = ["handle_chat", "retry_headers"]

_SSE = b"text/event-stream; charset=utf-8"
_HTML = b"text/html; charset=utf-8"
#: Parsed bodies by (dialect, raw bytes): parsing is pure and load repeats its bodies.
_PARSED: Memo[ChatCall] = Memo(1024)


def retry_headers(retry_after_s: float) -> Headers:
    """``retry-after`` in whole seconds as the providers send it, and exact ``retry-after-ms``."""
    return [
        (b"retry-after", str(max(1, math.ceil(retry_after_s))).encode()),
        (b"retry-after-ms", str(math.ceil(retry_after_s * 1000)).encode()),
    ]


async def handle_chat(state: FakeState, dialect: Dialect, receive: Receive, send: Send) -> None:
    started = time.monotonic()
    started_plan_s = state.plan_time()
    rid = dialect.new_id(state.next_seq())
    engine = state.engine   # a plan replaced mid-request must not receive this request's release
    headers: Headers = []
    try:
        call = _parse(dialect, await read_body(receive))
    except ClientGone:
        return
    except BodyTooLarge:
        await send_json(send, 413, dialect.error(413, None, rid), headers)
        return
    except (ValueError, UnicodeDecodeError):
        message = "We could not parse the JSON body of your request."
        await send_json(send, 400, dialect.error(400, None, rid, message), headers)
        return
    except RequestProblem as problem:
        await send_json(send, 400, dialect.error(400, None, rid, problem.message), headers)
        return
    decision = engine.decide(state.plan_time(), state.provider, call.request_info())
    headers = dialect.headers(engine.limits(state.plan_time(), state.provider), rid, time.time())
    completion_tokens = 0
    try:
        completion_tokens = await _perform(engine, dialect, call, rid, decision, headers, state, receive, send)
    finally:
        engine.release(decision, state.plan_time())
        billed = call.prompt_tokens if completion_tokens else 0
        state.stats.record(decision.label, time.monotonic() - started, billed, completion_tokens, started_plan_s)


def _parse(dialect: Dialect, raw: bytes) -> ChatCall:
    key = (dialect.name, raw)
    return _PARSED.get(key) or _PARSED.put(key, dialect.parse_request(json.loads(raw)))


async def _perform(
    engine: FaultEngine,
    dialect: Dialect,
    call: ChatCall,
    rid: str,
    decision: Decision,
    headers: Headers,
    state: FakeState,
    receive: Receive,
    send: Send,
) -> int:
    """Answer as decided; the number of completion tokens delivered."""
    response = decision.response
    if isinstance(response, Hang):
        await state.hold(receive)
        return 0
    if isinstance(response, Refuse):
        # A per-request refusal (probabilistic or matched): the closest a live socket can do is an RST.
        if not await reset_connection(send, b""):
            raise ConnectionAbortedError("refused")
        return 0
    shape = decision.stream
    if isinstance(response, HttpError):
        await _sleep(decision.latency_s)
        extra = retry_headers(response.retry_after_s) if response.retry_after_s is not None else []
        await send_json(send, response.status, dialect.error(response.status, response.code, rid), headers + extra)
        return 0
    answer = compose(call.system, call.prompt, decision.quality, engine.rng)
    variant = response.variant if isinstance(response, BadJson) else None
    text = (envelope_text(variant, answer) if variant else None) or answer.text
    tokens = count_tokens(text)
    if call.stream:
        body = _stream_bytes(dialect, call, rid, text, tokens)
        first_wait = shape.ttft_s if shape is not None and shape.ttft_s is not None else decision.latency_s
        await _sleep(first_wait)
        if isinstance(response, Reset):
            return await _reset(send, 200, headers, _SSE, body, response.after_bytes)
        if variant in ("truncated", "empty", "wrong_content_type"):
            return await _broken(send, variant, body, headers, _SSE)
        await _stream(dialect, call, rid, text, tokens, shape, headers, send)
        return tokens
    await _sleep(shape.duration_s(tokens, decision.latency_s) if shape is not None else decision.latency_s)
    body = dialect.completion_body(call, rid, text, tokens)
    if isinstance(response, Reset):
        return await _reset(send, 200, headers, b"application/json", body, response.after_bytes)
    if variant in ("truncated", "empty", "wrong_content_type"):
        return await _broken(send, variant, body, headers, b"application/json")
    await send_bytes(send, 200, body, headers)
    return tokens


async def _sleep(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)


def _stream_bytes(dialect: Dialect, call: ChatCall, rid: str, text: str, tokens: int) -> bytes:
    pieces = b"".join(dialect.stream_piece(call, rid, p) for p in split_tokens(text))
    return dialect.stream_open(call, rid) + pieces + dialect.stream_close(call, rid, tokens)


async def _broken(send: Send, variant: str | None, body: bytes, headers: Headers, content_type: bytes) -> int:
    if variant == "truncated":
        await send_bytes(send, 200, truncate(body), headers, content_type)
    elif variant == "empty":
        await send_bytes(send, 200, b"", headers, content_type)
    else:
        await send_bytes(send, 200, HTML_PAGE, headers, _HTML)
    return 0


async def _reset(send: Send, status: int, headers: Headers, content_type: bytes, body: bytes, after: int) -> int:
    lines = [b"HTTP/1.1 %d OK" % status, b"content-type: " + content_type, b"content-length: %d" % len(body)]
    lines += [name + b": " + value for name, value in headers]
    raw = b"\r\n".join(lines) + b"\r\n\r\n" + body
    if not await reset_connection(send, raw[:after]):
        raise ConnectionResetError("reset")
    return 0


async def _stream(
    dialect: Dialect,
    call: ChatCall,
    rid: str,
    text: str,
    tokens: int,
    shape: StreamShape | None,
    headers: Headers,
    send: Send,
) -> None:
    start_headers = [(b"content-type", _SSE), (b"cache-control", b"no-cache"), *headers]
    await send({"type": "http.response.start", "status": 200, "headers": start_headers})
    pieces = split_tokens(text)
    opening = dialect.stream_open(call, rid)
    if shape is None or (shape.tokens_per_s is None and shape.stall_after_tokens is None):
        body = opening + b"".join(dialect.stream_piece(call, rid, p) for p in pieces)
        await send({"type": "http.response.body", "body": body + dialect.stream_close(call, rid, tokens)})
        return
    loop = asyncio.get_running_loop()
    begin = loop.time()
    await send({"type": "http.response.body", "body": opening + dialect.stream_piece(call, rid, pieces[0]),
                "more_body": True})
    for index in range(1, len(pieces)):
        due = begin + (index / shape.tokens_per_s if shape.tokens_per_s else 0.0)
        if shape.stall_after_tokens is not None and index >= shape.stall_after_tokens:
            due += shape.stall_s
        await _sleep(due - loop.time())
        await send({"type": "http.response.body", "body": dialect.stream_piece(call, rid, pieces[index]),
                    "more_body": True})
    await send({"type": "http.response.body", "body": dialect.stream_close(call, rid, tokens)})
