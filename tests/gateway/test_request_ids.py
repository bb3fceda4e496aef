"""The load generator's request id through the gateway: on every CallEvent, in the event log, as call keys.

``x-llmdrill-request-id`` tags each provider call of the request (retries and
failovers included) and, with ``harness.call_keys`` on, goes to the provider as
``x-llmdrill-call-key`` = ``call_key(request_id, n)`` — the key the twin gives
the same call.  In-process: ASGI transports, scripted providers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.live.collect import collect_gateway_events
from fake_providers.servers.chat import CALL_KEY_HEADER as FAKE_CALL_KEY_HEADER
from gateway.core.call_key import (
    CALL_KEY_HEADER,
    CALLS_PER_REQUEST,
    MAX_CALL_KEY,
    MAX_REQUEST_ID,
    REQUEST_ID_HEADER,
    call_key,
    parse_request_id,
)
from gateway.core.observer import CallEvent, NullObserver
from gateway.outcomes import ChatRequest, Completion, FailureKind, Message
from gateway.providers.registry import make_client
from reports.records import call_from_dict

from .conftest import Behaviour, answer, parse_body, serve

PARSE = "/v1/appointments/parse"
CHAT = "/v1/chat/completions"
NO_CACHE = {"cache": {"enabled": False}}


class Calls(NullObserver):
    """Every CallEvent the gateway reports."""

    def __init__(self) -> None:
        self.events: list[CallEvent] = []

    def on_call(self, event: CallEvent) -> None:
        self.events.append(event)


def first_calls_fail(n: int) -> Callable[[], dict[str, Behaviour]]:
    """Behaviours under which the first ``n`` provider calls (any provider) fail with a 500, then all answer."""
    def make() -> dict[str, Behaviour]:
        seen = [0]

        def behaviour(name: str, request: ChatRequest) -> Completion | FailureKind:
            seen[0] += 1
            return FailureKind.SERVER_ERROR if seen[0] <= n else answer(name, request)

        return {p: behaviour for p in ("qwen", "claude", "openai")}
    return make


def _chat() -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": "hola"}], "max_tokens": 20, "temperature": 0}


# -- the header's grammar ---------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.integers(0, MAX_REQUEST_ID), st.sampled_from(["", " ", "\t"]), st.sampled_from(["", " ", "\t"]))
def test_every_request_id_in_range_reads_back_as_itself(rid: int, before: str, after: str) -> None:
    assert parse_request_id(f"{before}{rid}{after}") == rid


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.integers(max_value=-1).map(str),
    st.integers(min_value=MAX_REQUEST_ID + 1).map(str),
    st.text(min_size=1, max_size=30).filter(lambda s: not (s.strip().isascii() and s.strip().isdigit())),
    st.text(alphabet="١٢٣٤٥٦٧٨٩٠", min_size=1, max_size=5),          # digits, but not ASCII ones
    st.just(""), st.just("1.5"), st.just("0x10"), st.just("9" * 5000),
))
def test_a_malformed_request_id_is_refused_naming_the_header(text: str) -> None:
    try:
        parse_request_id(text)
    except ValueError as exc:
        assert str(exc).startswith(REQUEST_ID_HEADER + ": ")
        assert len(str(exc)) < 200, "a huge header is not echoed whole"
    else:
        raise AssertionError(f"{text!r} was accepted")


@given(st.integers(0, MAX_REQUEST_ID), st.integers(0, CALLS_PER_REQUEST - 1))
def test_call_keys_are_distinct_per_request_and_call_and_fit_the_fakes_range(rid: int, n: int) -> None:
    key = call_key(rid, n)
    assert 0 <= key <= MAX_CALL_KEY
    assert divmod(key, CALLS_PER_REQUEST) == (rid, n)


def test_the_gateway_sends_the_header_the_fakes_read() -> None:
    assert CALL_KEY_HEADER.encode() == FAKE_CALL_KEY_HEADER


# -- through the service ----------------------------------------------------------------------------------

def _run(overrides: dict[str, Any], behaviours: dict[str, Behaviour], path: str, body: dict[str, Any],
         headers: dict[str, str], **kwargs: Any) -> tuple[httpx.Response, list[CallEvent], list[int | None]]:
    async def go() -> tuple[httpx.Response, list[CallEvent], list[int | None]]:
        async with serve(overrides, behaviours, **kwargs) as (client, gw, clients):
            calls = Calls()
            gw.observers.add(calls)
            response = await client.post(path, json=body, headers=headers)
            keys = [k for c in clients.values() for k in c.keys]
            return response, [e for e in calls.events if not e.probe], keys
    return asyncio.run(go())


def test_every_call_of_a_request_carries_its_id_retries_and_failovers_included() -> None:
    for path, body in ((PARSE, parse_body()), (CHAT, _chat())):
        response, events, keys = _run(NO_CACHE, first_calls_fail(2)(), path, body, {REQUEST_ID_HEADER: "17"})
        assert response.status_code == 200, (path, response.text)
        assert len(events) >= 3, (path, events)             # two failures, then the answer, over failover
        assert [e.result for e in events[:2]] == ["server_error"] * 2
        assert {e.request_id for e in events} == {17}, path
        assert keys == [None] * len(events), "no call key without harness.call_keys"


def test_with_call_keys_on_the_nth_call_goes_out_with_call_key_of_id_and_n() -> None:
    overrides = {**NO_CACHE, "harness": {"call_keys": True}}

    async def go() -> None:
        async with serve(overrides, first_calls_fail(3)()) as (client, gw, clients):
            calls = Calls()
            gw.observers.add(calls)
            # keys in the order the calls were made: every scripted client appends as it is called
            order: list[int | None] = []
            for c in clients.values():
                original = c.call

                async def spy(request: ChatRequest, timeout_s: float, key: int | None = None,
                              original: Any = original) -> Any:
                    order.append(key)
                    return await original(request, timeout_s, key)
                c.call = spy  # type: ignore[method-assign, assignment]
            response = await client.post(PARSE, json=parse_body(), headers={REQUEST_ID_HEADER: "41"})
            assert response.status_code == 200, response.text
            n = len([e for e in calls.events if not e.probe])
            assert n >= 4
            assert order == [call_key(41, i) for i in range(n)]
            # a request without an id: no key, whatever the setting (the fakes number it themselves)
            order.clear()
            response = await client.post(PARSE, json=parse_body("cita el lunes 3pm con Ana"))
            assert response.status_code == 200 and order and set(order) == {None}

    asyncio.run(go())


def test_a_request_without_the_header_still_works_and_its_calls_have_no_id() -> None:
    response, events, keys = _run({**NO_CACHE, "harness": {"call_keys": True}}, first_calls_fail(1)(), PARSE,
                                  parse_body(), {})
    assert response.status_code == 200
    assert events and all(e.request_id is None for e in events)
    assert set(keys) == {None}


def test_a_malformed_request_id_is_a_400_naming_the_header_and_reaches_no_provider() -> None:
    for path, body in ((PARSE, parse_body()), (CHAT, _chat())):
        for bad in ("-1", "abc", str(MAX_REQUEST_ID + 1), "1" * 400):
            response, events, _ = _run(NO_CACHE, {}, path, body, {REQUEST_ID_HEADER: bad})
            assert response.status_code == 400, (path, bad)
            error = response.json()["error"]
            where = error.get("field") or error.get("param")
            assert where == REQUEST_ID_HEADER, (path, error)
            assert REQUEST_ID_HEADER in error["message"]
            assert events == []


def test_the_event_log_and_calls_jsonl_carry_the_request_id(tmp_path: Path) -> None:
    log = tmp_path / "gateway-events.jsonl"
    _run(NO_CACHE, first_calls_fail(1)(), PARSE, parse_body(), {REQUEST_ID_HEADER: "5"},
         events_path=str(log), epoch=0.0)
    _run(NO_CACHE, {}, PARSE, parse_body("cita el lunes 3pm con Ana"), {}, events_path=str(log), epoch=0.0)
    calls, _ = collect_gateway_events(tmp_path)
    records = [call_from_dict(json.loads(line))
               for line in (tmp_path / "calls.jsonl").read_text(encoding="utf-8").splitlines()]
    assert calls == len(records) >= 3
    ids = [r.request_id for r in records]
    assert ids.count(None) >= 1 and ids.count(5) >= 2 and set(ids) == {5, None}


# -- on the wire ------------------------------------------------------------------------------------------

def test_the_provider_client_sends_the_call_key_only_when_given_one() -> None:
    seen: list[str | None] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get(CALL_KEY_HEADER))
        return httpx.Response(200, json={
            "id": "x", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(upstream)) as http:
            client = make_client("openai", "http://127.0.0.1:9/v1", None, None, http)
            request = ChatRequest((Message("user", "hola"),), max_tokens=5)
            assert isinstance(await client.call(request, 5.0), Completion)
            assert isinstance(await client.call(request, 5.0, call_key(3, 2)), Completion)

    asyncio.run(go())
    assert seen == [None, str(3 * CALLS_PER_REQUEST + 2)]


# -- the twin numbers a request's calls as the live interpreter does ---------------------------------------

def test_the_twin_and_the_live_interpreter_key_the_same_calls_alike() -> None:
    import simpy

    from gateway.clock import ManualClock
    from gateway.core.effects import CallProvider, Flow, Sleep
    from gateway.service.cache_backends import MemoryBackend
    from gateway.service.interpreter import perform as live_perform
    from sim.interpreter import perform as sim_perform

    request = ChatRequest((Message("user", "hola"),), max_tokens=5)

    def flow(rid: int) -> Flow:
        # failover, a backoff, a retry: the shapes of the request path, each call tagged with the request's id
        for provider in ("qwen", "claude", "qwen", "openai"):
            yield CallProvider(provider, request, 5.0, request_id=rid)
            yield Sleep(0.0)
        return None

    class Recorder:
        def __init__(self, name: str, keys: list[int | None]) -> None:
            self.name, self.model, self.keys = name, "m", keys

        async def call(self, request: ChatRequest, timeout_s: float, key: int | None = None) -> Completion:
            self.keys.append(key)
            return answer(self.name, request)

    class TwinRecorder:
        def __init__(self, keys: list[int]) -> None:
            self.keys = keys

        def call(self, now: float, request: ChatRequest, timeout_s: float, key: int) -> Any:
            self.keys.append(key)
            return type("Plan", (), {"delay_s": 0.0, "result": answer("qwen", request)})()

        def finish(self, plan: Any) -> None:
            pass

    live: list[int | None] = []
    clients = {p: Recorder(p, live) for p in ("qwen", "claude", "openai")}
    cache = MemoryBackend(ManualClock(0.0), 16)
    asyncio.run(live_perform(flow(23), clients, cache, call_keys=True))
    twin: list[int] = []
    env = simpy.Environment()
    providers = {p: TwinRecorder(twin) for p in ("qwen", "claude", "openai")}
    env.process(sim_perform(env, flow(23), providers, cache, 23))  # type: ignore[arg-type]
    env.run()
    assert live == twin == [call_key(23, n) for n in range(4)]
