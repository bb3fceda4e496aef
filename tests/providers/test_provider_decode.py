"""``decode`` and ``call``: the client seam answers with values, whatever the bytes or the socket do."""

from __future__ import annotations

import asyncio
import json

import httpx
import respx
from hypothesis import given, settings
from hypothesis import strategies as st
from provider_wire import BASE, KEY, NOW, REQUEST, SPECS, Spec, assert_no_key, json_response

from gateway.outcomes import Completion, FailureKind, ProviderFailure
from gateway.providers import CLIENT_TYPES, HTTPProviderClient, RawResponse

_HTTP = httpx.AsyncClient()   # never sent through: decode is pure


def _client(name: str) -> HTTPProviderClient:
    return CLIENT_TYPES[name](BASE, KEY, http=_HTTP, utcnow=lambda: NOW)


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(sorted(SPECS)),
    status=st.integers(100, 599),
    body=st.binary(max_size=200) | st.sampled_from([b"{}", b"[]", b'{"choices": []}', b'{"content": []}']),
    ctype=st.sampled_from(["application/json", "text/html", ""]),
)
def test_decode_never_raises_and_a_non_2xx_is_a_failure_with_its_status(
    name: str, status: int, body: bytes, ctype: str
) -> None:
    client = _client(name)
    result = client.decode(RawResponse(status, {"content-type": ctype}, body), NOW)
    assert isinstance(result, Completion | ProviderFailure)
    if not 200 <= status <= 299:
        assert isinstance(result, ProviderFailure) and result.status == status
    if isinstance(result, ProviderFailure):
        assert result.provider == name
        assert_no_key(result.message)


def test_decode_reads_a_good_answer(spec: Spec) -> None:
    body = json.dumps(spec.ok_body("hola", 3, 4)).encode()
    result = _client(spec.name).decode(
        RawResponse(200, {"content-type": "application/json"}, body), NOW)
    assert isinstance(result, Completion)
    assert (result.provider, result.text, result.usage.total_tokens) == (spec.name, "hola", 7)


def test_encode_is_the_body_call_sends(spec: Spec) -> None:
    sent: list[bytes] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        response: httpx.Response = json_response(200, spec.ok_body("ok", 1, 1))
        return response

    async def go() -> Completion | ProviderFailure:
        async with httpx.AsyncClient() as http:
            client = CLIENT_TYPES[spec.name](BASE, KEY, http=http, utcnow=lambda: NOW)
            return await client.call(REQUEST, 5.0)

    with respx.mock() as router:
        router.post(spec.url).mock(side_effect=record)
        result = asyncio.run(go())
    assert isinstance(result, Completion) and result.text == "ok"
    assert json.loads(sent[0]) == _client(spec.name).encode(REQUEST)


def test_call_returns_a_transport_failure_as_a_value(spec: Spec) -> None:
    async def go() -> Completion | ProviderFailure:
        async with httpx.AsyncClient() as http:
            return await CLIENT_TYPES[spec.name](BASE, KEY, http=http).call(REQUEST, 5.0)

    with respx.mock() as router:
        router.post(spec.url).mock(side_effect=httpx.ConnectError("refused"))
        result = asyncio.run(go())
    assert isinstance(result, ProviderFailure) and result.kind is FailureKind.CONNECTION_REFUSED
