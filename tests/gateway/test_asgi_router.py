"""The raw-ASGI router, driven with in-memory receive/send (no sockets)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.service.asgi import AsgiRouter, Route
from gateway.service.http import Request, Response, json_response, text_response

LIMIT = 64


async def _echo(request: Request) -> Response:
    return json_response({"method": request.method, "n": len(request.body), "too_large": request.too_large,
                          "hex": request.body.hex(), "auth": request.header(b"authorization")},
                         headers={"x-seen": "1"})


async def _static(request: Request) -> Response:
    return json_response({"status": "ok"})


async def _boom(request: Request) -> Response:
    raise RuntimeError("handler bug")


def _on_error(request: Request, exc: Exception) -> Response:
    return json_response({"error": {"type": "internal_error", "message": type(exc).__name__}}, 500)


def _router(lifespan: Any = None) -> AsgiRouter:
    return AsgiRouter([
        Route("POST", "/echo", _echo, reads_body=True),
        Route("GET", "/things", _echo),
        Route("PUT", "/things", _echo, reads_body=True),
        Route("GET", "/boom", _boom),
        Route("GET", "/static", _static),
    ], max_body=LIMIT, on_error=_on_error, lifespan=lifespan)


async def _call(app: AsgiRouter, method: str, path: str, chunks: list[bytes] | None = None,
                headers: list[tuple[bytes, bytes]] | None = None, query: bytes = b"",
                disconnect: bool = False) -> list[dict[str, Any]]:
    chunks = chunks or [b""]
    pending = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
               for i, c in enumerate(chunks)]
    if disconnect:
        pending = [{"type": "http.request", "body": b"x", "more_body": True}, {"type": "http.disconnect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {"type": "http", "method": method, "path": path, "headers": headers or [(b"host", b"gw.test")],
             "query_string": query, "scheme": "http", "server": ("127.0.0.1", 8000), "root_path": ""}
    await app(scope, receive, send)
    return sent


def _status_headers_body(sent: list[dict[str, Any]]) -> tuple[int, dict[bytes, bytes], bytes]:
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]


def test_unknown_path_wrong_method_and_slash_redirect_answer_as_starlette_did() -> None:
    app = _router()
    status, headers, body = _status_headers_body(asyncio.run(_call(app, "GET", "/nope")))
    assert (status, body, headers[b"content-type"]) == (404, b"Not Found", b"text/plain; charset=utf-8")
    status, headers, body = _status_headers_body(asyncio.run(_call(app, "DELETE", "/things")))
    assert (status, body, headers[b"allow"]) == (405, b"Method Not Allowed", b"GET, HEAD")
    status, headers, body = _status_headers_body(asyncio.run(_call(app, "GET", "/echo")))
    assert (status, headers[b"allow"]) == (405, b"POST")
    status, headers, body = _status_headers_body(asyncio.run(_call(app, "GET", "/things/", query=b"a=1")))
    assert (status, headers[b"location"], headers[b"content-length"]) == (307, b"http://gw.test/things?a=1", b"0")


def test_head_answers_like_get_without_a_body() -> None:
    app = _router()
    _, get_headers, get_body = _status_headers_body(asyncio.run(_call(app, "GET", "/static")))
    status, head_headers, head_body = _status_headers_body(asyncio.run(_call(app, "HEAD", "/static")))
    assert status == 200 and head_body == b"" and get_body
    assert head_headers[b"content-length"] == str(len(get_body)).encode() == get_headers[b"content-length"]


def test_header_lookup_and_extra_headers_come_first() -> None:
    sent = asyncio.run(_call(_router(), "PUT", "/things", [b"{}"],
                             headers=[(b"host", b"x"), (b"authorization", b"Bearer t")]))
    assert [k for k, _ in sent[0]["headers"]] == [b"x-seen", b"content-length", b"content-type"]
    assert b'"auth":"Bearer t"' in sent[1]["body"]


@given(st.binary(max_size=2 * LIMIT), st.lists(st.integers(1, 40), max_size=8))
@settings(max_examples=120, deadline=None)
def test_any_chunking_of_a_body_arrives_whole_or_is_flagged_too_large(body: bytes, cuts: list[int]) -> None:
    chunks, rest = [], body
    for c in cuts:
        chunks.append(rest[:c])
        rest = rest[c:]
    chunks.append(rest)
    status, _, raw = _status_headers_body(asyncio.run(_call(_router(), "POST", "/echo", chunks)))
    assert status == 200
    if len(body) <= LIMIT:
        assert f'"n":{len(body)},"too_large":false,"hex":"{body.hex()}"'.encode() in raw
    else:
        assert b'"n":0,"too_large":true' in raw


def test_a_declared_length_past_the_limit_is_refused_without_reading() -> None:
    sent = asyncio.run(_call(_router(), "POST", "/echo", [b"small"],
                             headers=[(b"content-length", str(LIMIT + 1).encode())]))
    assert b'"too_large":true' in sent[1]["body"]


def test_a_client_that_disconnects_mid_body_gets_nothing_sent() -> None:
    assert asyncio.run(_call(_router(), "POST", "/echo", disconnect=True)) == []


def test_a_handler_bug_is_a_json_500_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="llmdrill.gateway"):
        status, headers, body = _status_headers_body(asyncio.run(_call(_router(), "GET", "/boom")))
    assert status == 500 and headers[b"content-type"] == b"application/json"
    assert body == b'{"error":{"type":"internal_error","message":"RuntimeError"}}'
    assert "unexpected RuntimeError on GET /boom" in caplog.text


async def _lifespan_messages(app: AsgiRouter) -> list[dict[str, Any]]:
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await app({"type": "lifespan"}, receive, send)
    return sent


def test_lifespan_runs_the_context_and_reports_a_failed_startup() -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def good(app: object) -> AsyncIterator[None]:
        events.append("up")
        yield
        events.append("down")

    @contextlib.asynccontextmanager
    async def bad(app: object) -> AsyncIterator[None]:
        raise RuntimeError("cache.backend is redis but cache.redis_url is not set")
        yield

    sent = asyncio.run(_lifespan_messages(_router(good)))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert events == ["up", "down"]
    sent = asyncio.run(_lifespan_messages(_router(bad)))
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert "redis_url is not set" in sent[0]["message"]


def test_conflicting_routes_and_a_negative_limit_are_refused() -> None:
    with pytest.raises(ValueError, match="two routes for GET /things"):
        AsgiRouter([Route("GET", "/things", _echo), Route("GET", "/things", _echo)], max_body=1,
                   on_error=_on_error)
    with pytest.raises(ValueError, match="max_body"):
        AsgiRouter([], max_body=-1, on_error=_on_error)


def test_text_response_is_plain_text() -> None:
    r = text_response("hé", 418)
    assert r.raw_headers() == [(b"content-length", b"3"), (b"content-type", b"text/plain; charset=utf-8")]
