"""The chat endpoint of a fake: read the request, ask the engine and the reply model, play the reply out.

What the fake answers, and when, is decided by pure code shared with the twin:
``FaultEngine.decide`` → ``reply`` → ``serve`` (the provider's service queue).
This module only renders that ``Reply`` on the wire: status, body, headers,
stream frames at their pace, broken bodies and resets.  Every time read and
wait goes through the fake's injected clock (``FakeState``).

A call's answers are drawn from ``call_rng(seed, key)``: ``key`` is the
request's ``x-llmdrill-call-key`` header when a caller sends one (a harness
that wants a call's answer independent of how calls interleave), else the
fake's request sequence number.
"""

from __future__ import annotations

import json
import math

from fake_providers.faults.answers import split_tokens
from fake_providers.faults.broken_bodies import HTML_PAGE, truncate
from fake_providers.faults.call import ChatCall
from fake_providers.faults.decisions import HttpError, Refuse, Reset, outcome_label
from fake_providers.faults.engine import RequestInfo
from fake_providers.faults.memo import Memo
from fake_providers.faults.reply import Pace, Reply, call_rng, reply, serve
from fake_providers.servers.asgi import (
    BodyTooLarge,
    ClientGone,
    Headers,
    Receive,
    Scope,
    Send,
    json_bytes,
    read_body,
    send_bytes,
    send_json,
)
from fake_providers.servers.dialect import Dialect, RequestProblem
from fake_providers.servers.state import FakeState
from fake_providers.servers.tcp import reset_connection
from units.retry_after import retry_after_seconds

__all__ = ["CALL_KEY_HEADER", "handle_chat", "retry_headers"]

CALL_KEY_HEADER = b"x-llmdrill-call-key"
_MAX_KEY = (1 << 63) - 1
_SSE = b"text/event-stream; charset=utf-8"
_JSON = b"application/json"
_HTML = b"text/html; charset=utf-8"
#: Parsed bodies by (dialect, raw bytes), with what the engine decides on: both are pure and load repeats
#: its bodies.
_PARSED: Memo[tuple[ChatCall, RequestInfo]] = Memo(1024)


def retry_headers(retry_after_s: float) -> Headers:
    """``retry-after`` in whole seconds as the providers send it, and exact ``retry-after-ms``.

    Whole seconds by the one rounding the gateway uses too (``units.retry_after``): up, at least 1, and a
    wait a float error over a whole second (2.0000000001) stays 2 rather than becoming 3.
    """
    return [
        (b"retry-after", str(retry_after_seconds(retry_after_s)).encode()),
        (b"retry-after-ms", str(math.ceil(retry_after_s * 1000)).encode()),
    ]


def call_key(scope: Scope, seq: int) -> int:
    """The call's key for its RNG: the caller's header, else the sequence number; ValueError if malformed."""
    for name, value in scope.get("headers", ()):
        if name == CALL_KEY_HEADER:
            text = value.decode("latin-1").strip()
            if not text.isdigit() or int(text) > _MAX_KEY:
                raise ValueError(f"{CALL_KEY_HEADER.decode()}: expected an integer 0..{_MAX_KEY}, got {text!r}")
            return int(text)
    return seq


async def handle_chat(state: FakeState, dialect: Dialect, scope: Scope, receive: Receive, send: Send) -> None:
    started = state.clock()
    started_plan_s = state.plan_time()
    seq = state.next_seq()
    rid = dialect.new_id(seq)
    engine = state.engine   # a plan replaced mid-request must not receive this request's release
    try:
        key = call_key(scope, seq)
    except ValueError as exc:
        await send_json(send, 400, dialect.error(400, None, rid, str(exc)), [])
        return
    try:
        call, info = _parse(dialect, await read_body(receive))
    except ClientGone:
        return
    except BodyTooLarge:
        await send_json(send, 413, dialect.error(413, None, rid), [])
        return
    except (ValueError, UnicodeDecodeError):
        message = "We could not parse the JSON body of your request."
        await send_json(send, 400, dialect.error(400, None, rid, message), [])
        return
    except RequestProblem as problem:
        await send_json(send, 400, dialect.error(400, None, rid, problem.message), [])
        return
    now = state.plan_time()
    rng = call_rng(state.seed, key)
    decision = engine.decide(now, state.provider, info, rng)
    answer, _ = serve(reply(decision, call, rng), decision, call, engine.service(now, state.provider), now)
    headers = dialect.headers(engine.limits(now, state.provider), rid, state.wall())
    completion_tokens = 0
    try:
        # the reply's times run from the request's arrival, not from after reading and deciding it
        completion_tokens = await _play(state, dialect, call, rid, answer, headers, started, receive, send)
    finally:
        engine.release(decision, state.plan_time())
        billed = call.prompt_tokens if completion_tokens else 0
        label = outcome_label(answer.response)
        state.stats.record(label, state.clock() - started, billed, completion_tokens, started_plan_s)


def _parse(dialect: Dialect, raw: bytes) -> tuple[ChatCall, RequestInfo]:
    key = (dialect.name, raw)
    found = _PARSED.get(key)
    if found is None:
        call = dialect.parse_request(json.loads(raw))
        found = _PARSED.put(key, (call, call.request_info()))
    return found


async def _play(
    state: FakeState,
    dialect: Dialect,
    call: ChatCall,
    rid: str,
    answer: Reply,
    headers: Headers,
    arrived: float,
    receive: Receive,
    send: Send,
) -> int:
    """Put ``answer`` on the wire, its times counted from ``arrived``; the completion tokens delivered.

    Bodies are built before the wait, so that at the deadline only the send is left to do.
    """
    response = answer.response
    if answer.text is None:
        if isinstance(response, HttpError):
            extra = retry_headers(response.retry_after_s) if response.retry_after_s is not None else []
            error = json_bytes(dialect.error(response.status, response.code, rid))
            await state.sleep_until(arrived + answer.delay_s)
            await send_bytes(send, response.status, error, headers + extra)
        elif isinstance(response, Refuse):
            # A per-request refusal (probabilistic or matched): the closest a live socket can do is an RST.
            if not await reset_connection(send, b""):
                raise ConnectionAbortedError("refused")
        else:
            await state.hold(receive)
        return 0
    text, tokens = answer.text, answer.completion_tokens
    if call.stream:
        if isinstance(response, Reset) or answer.broken is not None:
            body = _stream_bytes(dialect, call, rid, text, tokens)
            await state.sleep_until(arrived + answer.first_s)
            return await _cut(send, answer, body, headers, _SSE)
        await state.sleep_until(arrived + answer.first_s)
        await _stream(state, dialect, call, rid, text, tokens, answer.pace, arrived, headers, send)
        return tokens
    body = dialect.completion_body(call, rid, text, tokens)
    await state.sleep_until(arrived + answer.delay_s)
    if isinstance(response, Reset) or answer.broken is not None:
        return await _cut(send, answer, body, headers, _JSON)
    await send_bytes(send, 200, body, headers)
    return tokens


def _stream_bytes(dialect: Dialect, call: ChatCall, rid: str, text: str, tokens: int) -> bytes:
    pieces = b"".join(dialect.stream_piece(call, rid, p) for p in split_tokens(text))
    return dialect.stream_open(call, rid) + pieces + dialect.stream_close(call, rid, tokens)


async def _cut(send: Send, answer: Reply, body: bytes, headers: Headers, content_type: bytes) -> int:
    """A reset or broken answer: none of its tokens reach the client as an answer."""
    response = answer.response
    if isinstance(response, Reset):
        await _reset(send, 200, headers, content_type, body, response.after_bytes)
    elif answer.broken == "truncated":
        await send_bytes(send, 200, truncate(body), headers, content_type)
    elif answer.broken == "empty":
        await send_bytes(send, 200, b"", headers, content_type)
    else:
        await send_bytes(send, 200, HTML_PAGE, headers, _HTML)
    return 0


async def _reset(send: Send, status: int, headers: Headers, content_type: bytes, body: bytes, after: int) -> None:
    lines = [b"HTTP/1.1 %d OK" % status, b"content-type: " + content_type, b"content-length: %d" % len(body)]
    lines += [name + b": " + value for name, value in headers]
    raw = b"\r\n".join(lines) + b"\r\n\r\n" + body
    if not await reset_connection(send, raw[:after]):
        raise ConnectionResetError("reset")


async def _stream(
    state: FakeState,
    dialect: Dialect,
    call: ChatCall,
    rid: str,
    text: str,
    tokens: int,
    pace: Pace | None,
    arrived: float,
    headers: Headers,
    send: Send,
) -> None:
    """The SSE frames of an answer, each token at its ``pace``; frames already due go out together."""
    start_headers = [(b"content-type", _SSE), (b"cache-control", b"no-cache"), *headers]
    await send({"type": "http.response.start", "status": 200, "headers": start_headers})
    chunk = dialect.stream_open(call, rid)
    for index, piece in enumerate(split_tokens(text)):
        if pace is not None and not pace.at_once:
            due = arrived + pace.at_s(index)
            if due > state.clock():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                chunk = b""
                await state.sleep_until(due)
        chunk += dialect.stream_piece(call, rid, piece)
    await send({"type": "http.response.body", "body": chunk + dialect.stream_close(call, rid, tokens)})
