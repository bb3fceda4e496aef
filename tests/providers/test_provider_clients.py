"""The three clients against respx: one success and every failure class, per provider."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx
from provider_wire import (
    BASE,
    KEY,
    NOW,
    REQUEST,
    Spec,
    anthropic_error,
    assert_no_key,
    call,
    json_response,
    openai_error,
)

from gateway.errors import (
    BadResponse,
    ClientError,
    ConnectionRefused,
    ConnectionReset,
    Overloaded,
    ProviderError,
    ProviderTimeout,
    QuotaExhausted,
    RateLimited,
    ServerError,
)
from gateway.outcomes import ChatRequest, FailureKind, Message, ProviderFailure


def fail(
    spec: Spec, response: httpx.Response | None = None, side_effect: object = None, timeout_s: float = 5.0
) -> ProviderError:
    with respx.mock(assert_all_called=True) as router:
        route = router.post(spec.url)
        if side_effect is not None:
            route.mock(side_effect=side_effect)
        else:
            route.mock(return_value=response)
        with pytest.raises(ProviderError) as info:
            call(spec.name, timeout_s=timeout_s)
    exc = info.value
    assert exc.failure.provider == spec.name
    assert exc.failure.kind is type(exc).kind
    assert_no_key(exc, repr(exc), exc.failure)
    return exc


# -- success ---------------------------------------------------------------------------------------


def test_success_text_usage_and_rate_limits(spec: Spec) -> None:
    with respx.mock(assert_all_called=True) as router:
        route = router.post(spec.url).mock(
            return_value=json_response(
                200, spec.ok_body("hola, cita confirmada", 31, 7), spec.ratelimit_headers
            )
        )
        completion = call(spec.name)
    assert completion.provider == spec.name
    assert completion.text == "hola, cita confirmada"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (31, 7)
    assert completion.model == "served-model"
    assert completion.finish_reason == "stop"
    limits = completion.rate_limits
    assert limits is not None
    if spec.name == "claude":
        assert (limits.limit_requests, limits.remaining_requests) == (50, 49)
        assert limits.reset_requests_s == pytest.approx(1.0)
        assert (limits.limit_tokens, limits.remaining_tokens) == (80000, 79000)
        assert limits.reset_tokens_s == pytest.approx(30.5)
    else:
        assert (limits.limit_requests, limits.remaining_requests) == (100, 99)
        assert limits.reset_requests_s == pytest.approx(0.6)
        assert (limits.limit_tokens, limits.remaining_tokens) == (60000, 59880)
        assert limits.reset_tokens_s == pytest.approx(360.0)
    sent = route.calls.last.request
    assert sent.url.path == spec.path
    body = json.loads(sent.content)
    assert body["model"] == spec.default_model
    assert body["max_tokens"] == 120
    if spec.name == "claude":
        assert sent.headers["x-api-key"] == KEY
        assert sent.headers["anthropic-version"] == "2023-06-01"
        assert "authorization" not in sent.headers
        assert body["system"] == "llmdrill:parse-appointment/v1 reply JSON"
        assert body["messages"] == [{"role": "user", "content": "cita mañana 10am con Dr. Pérez"}]
    else:
        assert sent.headers["authorization"] == f"Bearer {KEY}"
        assert "x-api-key" not in sent.headers
        assert [m["role"] for m in body["messages"]] == ["system", "user"]
        assert body["messages"][1]["content"] == "cita mañana 10am con Dr. Pérez"


def test_request_model_overrides_configured_model(spec: Spec) -> None:
    with respx.mock() as router:
        route = router.post(spec.url).mock(return_value=json_response(200, spec.ok_body("ok", 1, 1)))
        call(spec.name, ChatRequest(messages=REQUEST.messages, model="other-model"), model="configured")
        assert json.loads(route.calls.last.request.content)["model"] == "other-model"
        call(spec.name, model="configured")
        assert json.loads(route.calls.last.request.content)["model"] == "configured"


def test_success_without_rate_limit_headers_has_no_snapshot(spec: Spec) -> None:
    with respx.mock() as router:
        router.post(spec.url).mock(return_value=json_response(200, spec.ok_body("x", 1, 2)))
        assert call(spec.name).rate_limits is None


# -- timeouts ------------------------------------------------------------------------------------


def test_read_timeout(spec: Spec) -> None:
    exc = fail(spec, side_effect=httpx.ReadTimeout("timed out"))
    assert isinstance(exc, ProviderTimeout)
    assert exc.failure.kind is FailureKind.TIMEOUT


def test_connect_timeout(spec: Spec) -> None:
    assert isinstance(fail(spec, side_effect=httpx.ConnectTimeout("connect timed out")), ProviderTimeout)


class _SlowBody(httpx.AsyncByteStream):
    """Headers at once, then a body that stalls far past any deadline."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"choices": ['
        await asyncio.sleep(30)
        yield b"]}"


def test_slow_body_exceeds_overall_deadline(spec: Spec) -> None:
    slow = httpx.Response(200, headers={"content-type": "application/json"}, stream=_SlowBody())
    start = time.monotonic()
    exc = fail(spec, slow, timeout_s=0.3)
    elapsed = time.monotonic() - start
    assert isinstance(exc, ProviderTimeout)
    assert "deadline" in exc.failure.message
    # The deadline is 0.3 s; a broken deadline would wait the stream's 30 s.
    assert 0.25 <= elapsed < 5.0


def test_http_408_is_a_timeout(spec: Spec) -> None:
    exc = fail(spec, json_response(408, spec.error_body("Request timed out", "timeout", None)))
    assert isinstance(exc, ProviderTimeout)
    assert exc.failure.status == 408


# -- 429 -----------------------------------------------------------------------------------------


def _rate_limit_body(spec: Spec) -> dict[str, object]:
    if spec.name == "claude":
        return anthropic_error(
            "Number of request tokens has exceeded your per-minute rate limit", "rate_limit_error"
        )
    return openai_error("Rate limit reached for requests", "requests", "rate_limit_exceeded")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after": "20", "retry-after-ms": "250"}, 0.25),
        ({"retry-after": format_datetime(NOW + timedelta(seconds=42), usegmt=True)}, 42.0),
    ],
    ids=["seconds", "ms", "ms-wins", "http-date"],
)
def test_429_retryable_with_retry_after(spec: Spec, headers: dict[str, str], expected: float) -> None:
    exc = fail(spec, json_response(429, _rate_limit_body(spec), headers))
    assert type(exc) is RateLimited
    assert exc.failure.kind is FailureKind.RATE_LIMITED
    assert not exc.failure.permanent
    assert exc.failure.status == 429
    assert exc.failure.retry_after_s == pytest.approx(expected)


def test_429_carries_rate_limit_snapshot(spec: Spec) -> None:
    exc = fail(
        spec, json_response(429, _rate_limit_body(spec), {**spec.ratelimit_headers, "retry-after": "1"})
    )
    assert exc.failure.rate_limits is not None
    assert exc.failure.rate_limits.limit_requests in (50, 100)


def test_429_insufficient_quota_is_permanent(spec: Spec) -> None:
    body = openai_error(
        "You exceeded your current quota, please check your plan and billing details.",
        "insufficient_quota",
        "insufficient_quota",
    )
    exc = fail(spec, json_response(429, body, {"retry-after": "20"}))
    assert isinstance(exc, QuotaExhausted)
    assert exc.failure.permanent
    assert exc.failure.retry_after_s is None
    assert "exceeded your current quota" in exc.failure.message


@pytest.mark.parametrize(
    "message",
    [
        "You have reached your specified API usage limits. You will regain access on 2026-02-01.",
        "This request would exceed your organization's monthly spend limit.",
        "Your workspace has reached its spending cap.",
    ],
)
def test_anthropic_spend_limit_429_is_permanent(message: str) -> None:
    from provider_wire import SPECS

    exc = fail(SPECS["claude"], json_response(429, anthropic_error(message, "rate_limit_error")))
    assert isinstance(exc, QuotaExhausted)
    assert exc.failure.permanent


def test_anthropic_429_with_retry_after_is_not_a_spend_limit() -> None:
    from provider_wire import SPECS

    body = anthropic_error("You have reached your usage limit for this minute", "rate_limit_error")
    exc = fail(SPECS["claude"], json_response(429, body, {"retry-after": "3"}))
    assert type(exc) is RateLimited
    assert exc.failure.retry_after_s == 3.0


# -- 5xx -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors(spec: Spec, status: int) -> None:
    exc = fail(spec, json_response(status, spec.error_body("The server had an error", "api_error", None)))
    assert type(exc) is ServerError
    assert exc.failure.kind is FailureKind.SERVER_ERROR
    assert exc.failure.status == status
    assert "The server had an error" in exc.failure.message


def test_529_overloaded(spec: Spec) -> None:
    exc = fail(spec, json_response(529, spec.error_body("Overloaded", "overloaded_error", None)))
    assert isinstance(exc, Overloaded)
    assert exc.failure.kind is FailureKind.OVERLOADED


def test_server_error_with_html_body(spec: Spec) -> None:
    page = httpx.Response(
        502, content=b"<html><body>502 Bad Gateway</body></html>", headers={"content-type": "text/html"}
    )
    exc = fail(spec, page)
    assert type(exc) is ServerError
    assert "502 Bad Gateway" in exc.failure.message


# -- connection ----------------------------------------------------------------------------------


def test_connection_refused(spec: Spec) -> None:
    exc = fail(spec, side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    assert isinstance(exc, ConnectionRefused)


@pytest.mark.parametrize(
    "error",
    [
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
    ],
    ids=["remote-protocol", "read-error"],
)
def test_connection_reset(spec: Spec, error: Exception) -> None:
    assert isinstance(fail(spec, side_effect=error), ConnectionReset)


# -- bad responses -------------------------------------------------------------------------------


def _bad_responses(spec: Spec) -> dict[str, httpx.Response]:
    good = json.dumps(spec.ok_body("x", 1, 1)).encode()
    wrong_schema = {"id": "x", "object": "chat.completion", "result": "hola"}
    wrong_types = spec.ok_body("x", 1, 1)
    if spec.name == "claude":
        wrong_types["content"] = [{"type": "text", "text": 42}]
    else:
        wrong_types["choices"][0]["message"]["content"] = ["not", "a", "string"]
    return {
        "invalid-json": httpx.Response(
            200, content=good[: len(good) // 2], headers={"content-type": "application/json"}
        ),
        "html-200": httpx.Response(
            200,
            content=b"<html><body>Welcome to nginx!</body></html>",
            headers={"content-type": "text/html; charset=utf-8"},
        ),
        "wrong-schema": json_response(200, wrong_schema),
        "wrong-types": json_response(200, wrong_types),
        "wrong-content-type": httpx.Response(200, content=good, headers={"content-type": "text/plain"}),
        "empty": json_response(200, spec.empty_body),
        "json-array": json_response(200, []),
    }


@pytest.mark.parametrize(
    "case",
    ["invalid-json", "html-200", "wrong-schema", "wrong-types", "wrong-content-type", "empty", "json-array"],
)
def test_bad_responses(spec: Spec, case: str) -> None:
    exc = fail(spec, _bad_responses(spec)[case])
    assert isinstance(exc, BadResponse)
    assert exc.failure.kind is FailureKind.BAD_RESPONSE
    assert exc.failure.status == 200


def test_bad_response_names_the_field(spec: Spec) -> None:
    exc = fail(spec, _bad_responses(spec)["wrong-types"])
    field = "content[0].text" if spec.name == "claude" else "choices[0].message.content"
    assert field in exc.failure.message


# -- 4xx -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "type_"),
    [(400, "invalid_request_error"), (401, "authentication_error"), (404, "not_found_error"), (413, "x")],
)
def test_client_errors(spec: Spec, status: int, type_: str) -> None:
    exc = fail(spec, json_response(status, spec.error_body(f"problem {status}", type_, None)))
    assert isinstance(exc, ClientError)
    assert exc.failure.permanent
    assert exc.failure.status == status
    assert f"problem {status}" in exc.failure.message


def test_echoed_key_is_redacted(spec: Spec) -> None:
    body = spec.error_body(f"Incorrect API key provided: {KEY}.", "invalid_request_error", "invalid_api_key")
    exc = fail(spec, json_response(401, body))
    assert "Incorrect API key provided" in exc.failure.message  # redaction keeps the rest of the message
    html = httpx.Response(
        200,
        content=f"<html>debug: Authorization: Bearer {KEY}</html>".encode(),
        headers={"content-type": "text/html"},
    )
    fail(spec, html)


# -- bad input never reaches the network ---------------------------------------------------------


@pytest.mark.parametrize("timeout_s", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_timeout_is_a_value_error(spec: Spec, timeout_s: float) -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.post(spec.url).mock(return_value=json_response(200, spec.ok_body("x", 1, 1)))
        with pytest.raises(ValueError, match="timeout_s"):
            call(spec.name, timeout_s=timeout_s)
        assert not route.called


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (ChatRequest(messages=()), "messages"),
        (ChatRequest(messages=(Message("robot", "hi"),)), "messages[0].role"),
        (ChatRequest(messages=(Message("user", "hi"),), max_tokens=0), "max_tokens"),
        (ChatRequest(messages=(Message("user", "hi"),), temperature=9.0), "temperature"),
    ],
)
def test_bad_request_is_a_value_error(spec: Spec, request_: ChatRequest, field: str) -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.post(spec.url).mock(return_value=json_response(200, spec.ok_body("x", 1, 1)))
        with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
            call(spec.name, request_)
        assert not route.called


def test_base_url_with_trailing_slash(spec: Spec) -> None:
    from gateway.providers import make_client

    async def go() -> str:
        async with httpx.AsyncClient() as http:
            client = make_client(spec.name, BASE + "/", KEY, None, http)
            assert KEY not in repr(client)
            completion = await client.complete(REQUEST, 5.0)
            return completion.text

    with respx.mock() as router:
        router.post(spec.url).mock(return_value=json_response(200, spec.ok_body("fine", 1, 1)))
        assert asyncio.run(go()) == "fine"


# -- the transport seam itself -------------------------------------------------------------------


def test_post_json_caps_the_body() -> None:
    from gateway.providers import post_json

    async def go() -> object:
        async with httpx.AsyncClient() as http:
            return await post_json(
                http,
                provider="p",
                url=BASE + "/x",
                headers={},
                payload={"a": 1},
                timeout_s=5.0,
                max_body_bytes=1000,
            )

    with respx.mock() as router:
        router.post(BASE + "/x").mock(return_value=httpx.Response(200, content=b"x" * 5000))
        failure = asyncio.run(go())
    assert isinstance(failure, ProviderFailure)
    assert failure.kind is FailureKind.BAD_RESPONSE and "larger than 1000 bytes" in failure.message


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (TimeoutError(), FailureKind.TIMEOUT),
        (httpx.PoolTimeout("pool"), FailureKind.TIMEOUT),
        (httpx.WriteTimeout("write"), FailureKind.TIMEOUT),
        (httpx.ConnectError("refused"), FailureKind.CONNECTION_REFUSED),
        (httpx.ProxyError("proxy down"), FailureKind.CONNECTION_REFUSED),
        (httpx.RemoteProtocolError("peer closed"), FailureKind.CONNECTION_RESET),
        (httpx.ReadError("reset"), FailureKind.CONNECTION_RESET),
        (httpx.WriteError("broken pipe"), FailureKind.CONNECTION_RESET),
        (httpx.CloseError("close"), FailureKind.CONNECTION_RESET),
        (httpx.DecodingError("bad gzip"), FailureKind.BAD_RESPONSE),
        (httpx.UnsupportedProtocol("gopher"), FailureKind.BAD_RESPONSE),
    ],
)
def test_transport_failure_table(exc: BaseException, kind: FailureKind) -> None:
    from gateway.providers import transport_failure

    failure = transport_failure("qwen", exc, 2.5, secrets=[KEY])
    assert failure.kind is kind
    assert failure.provider == "qwen" and failure.status is None
    assert failure.message


def test_transport_failure_redacts() -> None:
    from gateway.providers import transport_failure

    failure = transport_failure("qwen", httpx.ConnectError(f"refused for {KEY}"), 1.0, secrets=[KEY])
    assert_no_key(failure.message)


def test_transport_failure_reads_the_cause_of_an_empty_message() -> None:
    from gateway.providers import transport_failure

    exc = httpx.ReadError("")
    exc.__cause__ = ConnectionResetError(104, "Connection reset by peer")
    failure = transport_failure("claude", exc, 1.0)
    assert failure.kind is FailureKind.CONNECTION_RESET
    assert "Connection reset by peer" in failure.message
