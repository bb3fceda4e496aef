"""Issue 8, item 1 and the browser guards of item 2: every bad input is a 4xx naming its field.

Each case is one of the issue's reproductions; before the fix each was a 500 with a
traceback, a change applied in part, or a request a browser page could send.
Through the real ASGI app in-process (httpx's ASGI transport).
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.nlp.temporal import resolve_date
from gateway.policy.cache_policy import cache_key

from .conftest import parse_body, serve

PARSE = "/v1/appointments/parse"
CHAT = "/v1/chat/completions"
JSON = {"content-type": "application/json"}


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def _chat(content: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": content}]}


@pytest.mark.parametrize(("path", "raw", "field"), [
    (PARSE, '{"prompt": "cita \\ud800 10am"}', "prompt"),
    (PARSE, json.dumps({"prompt": "cita pasado mañana 10am", "reference_date": "9999-12-31"}), "reference_date"),
    (PARSE, "[" * 100_000 + "]" * 100_000, "(body)"),
    (PARSE, '{"prompt": ' + "[" * 100_000 + "]" * 100_000 + "}", "(body)"),
    (PARSE, json.dumps({"prompt": "cita", "prompt_id": 7}), "prompt_id"),
    (PARSE, json.dumps({"prompt": "cita", "promt": "x"}), "promt"),
    (CHAT, json.dumps(_chat([{"type": "text", "text": 5}])), "messages[0].content[0].text"),
    (CHAT, json.dumps(_chat([{"type": "image_url", "image_url": {"url": "x"}}])), "messages[0].content[0].type"),
    (CHAT, json.dumps(_chat([7])), "messages[0].content[0]"),
    (CHAT, '{"messages": [{"role": "user", "content": "hola \\udfff"}]}', "messages[0].content"),
    (CHAT, json.dumps({**_chat("hola"), "stream": "yes"}), "stream"),
    (CHAT, json.dumps({**_chat("hola"), "model": ["gpt"]}), "model"),
    (CHAT, json.dumps({**_chat("hola"), "max_completion_tokens": True}), "max_completion_tokens"),
    (CHAT, json.dumps({"messages": [7]}), "messages[0]"),
])
def test_bad_bodies_are_400_naming_the_field(path: str, raw: str, field: str) -> None:
    async def go() -> None:
        async with serve({"degraded": {"enabled": True}}) as (client, _, _):
            r = await client.post(path, content=raw.encode("utf-8"), headers=JSON)
            assert r.status_code == 400, r.text
            error = r.json()["error"]
            assert error.get("field", error.get("param")) == field, error
            assert "Traceback" not in r.text
    _run(go())


def test_the_last_representable_reference_date_still_answers() -> None:
    async def go() -> None:
        async with serve({"degraded": {"enabled": True}}) as (client, _, _):
            r = await client.post(PARSE, json={"prompt": "cita pasado mañana 10am con Dr. Pérez",
                                               "reference_date": "9990-12-31"})
            assert r.status_code == 200, r.text
            fecha = r.json()["entities"]["fecha"]
            offset = {"mañana": "9991-01-01", "pasado mañana": "9991-01-02"}   # the scripted LLM says mañana
            assert fecha["resolved"] == offset[fecha["original"]]
    _run(go())


def test_the_resolver_names_no_day_past_the_calendar() -> None:
    # The core's own fix: the input boundary keeps such dates out, but the resolver must not overflow.
    assert resolve_date("pasado mañana", date(9999, 12, 31)) is not None
    got = resolve_date("pasado mañana", date(9999, 12, 31))
    assert got is not None and got.resolved is None
    weekday = resolve_date("próximo lunes", date(9999, 12, 31))
    assert weekday is not None and weekday.resolved is None


def test_a_lone_surrogate_has_a_cache_key() -> None:
    assert cache_key("m", "cita \ud800", {}) != cache_key("m", "cita \udfff", {})


# -- admin: atomic, typed, recorded ------------------------------------------------------------

_VIEW_FIELDS = ("provider", "conservation_mode", "degraded_mode", "breakers")


@pytest.mark.parametrize(("body", "field"), [
    ({"provider": ["claude"]}, "provider"),
    ({"breakers": {"qwen": "force_open", "gemini": "reset"}}, "breakers.gemini"),
    ({"provider": "claude", "conservation_mode": "yes"}, "conservation_mode"),
    ({"provider": "claude", "breakers": {"qwen": ["reset"]}}, "breakers.qwen"),
    ({"conservation_mode": 1}, "conservation_mode"),
    ({"degraded_mode": 0}, "degraded_mode"),
    ({"conservation_mode": 1.0}, "conservation_mode"),
    ({"degraded_mode": True, "provider": 3}, "provider"),
    ({"breakers": ["qwen"]}, "breakers"),
    ({"provider": "claude", "mode": "x"}, "mode"),
])
def test_admin_refuses_the_whole_change_and_records_nothing(body: dict[str, Any], field: str,
                                                           tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"

    async def go() -> None:
        async with serve(events_path=str(events)) as (client, _, _):
            before = (await client.get("/admin/config")).json()
            r = await client.put("/admin/config", json=body)
            assert r.status_code == 400, r.text
            assert r.json()["error"]["field"] == field
            after = (await client.get("/admin/config")).json()
            assert {k: after[k] for k in _VIEW_FIELDS} == {k: before[k] for k in _VIEW_FIELDS}
    _run(go())
    recorded = [json.loads(line) for line in events.read_text().splitlines()] if events.exists() else []
    assert not [e for e in recorded if e.get("kind") in ("admin", "breaker", "mode")], recorded


def test_an_accepted_admin_change_is_applied_whole_and_is_one_event(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    body = {"provider": "claude", "conservation_mode": True, "breakers": {"qwen": "force_open"}}

    async def go() -> None:
        async with serve(events_path=str(events)) as (client, _, _):
            r = await client.put("/admin/config", json=body)
            assert r.status_code == 200, r.text
            view = r.json()
            assert (view["provider"], view["conservation_mode"], view["breakers"]["qwen"]) == \
                ("claude", True, "forced_open")
            assert (await client.put("/admin/config", json={"provider": "auto"})).json()["provider"] == "auto"
    _run(go())
    admin = [e for e in map(json.loads, events.read_text().splitlines()) if e.get("kind") == "admin"]
    assert [e["detail"] for e in admin] == [body, {"provider": "auto"}]


# -- browser guards: Host, Origin, content type -----------------------------------------------

@pytest.mark.parametrize(("method", "path", "headers", "status", "field"), [
    ("GET", "/admin/config", {"host": "evil.example"}, 403, "headers.host"),
    ("PUT", "/admin/config", {"host": "rebind.attacker.test:8080"}, 403, "headers.host"),
    ("POST", PARSE, {"host": "evil.example"}, 403, "headers.host"),
    ("PUT", "/admin/config", {"origin": "http://evil.example"}, 403, "headers.origin"),
    ("POST", CHAT, {"origin": "null"}, 403, "headers.origin"),
    ("POST", CHAT, {"content-type": "text/plain"}, 415, "headers.content-type"),
    ("POST", PARSE, {"content-type": "application/x-www-form-urlencoded"}, 415, "headers.content-type"),
    ("PUT", "/admin/config", {"content-type": "multipart/form-data; boundary=x"}, 415, "headers.content-type"),
])
def test_requests_a_browser_page_could_send_are_refused(method: str, path: str, headers: dict[str, str],
                                                       status: int, field: str) -> None:
    body = json.dumps(_chat("hola") if path == CHAT else {} if path == "/admin/config" else parse_body())

    async def go() -> None:
        async with serve() as (client, gw, clients):
            merged = {**JSON, **headers}
            r = await client.request(method, path, content=body if method != "GET" else None, headers=merged)
            assert r.status_code == status, r.text
            assert r.json()["error"]["field"] == field
            assert sum(len(c.calls) for c in clients.values()) == 0, "nothing reached a provider"
            assert gw.stack.router.override is None
    _run(go())


@pytest.mark.parametrize("headers", [
    {"host": "localhost:8080"}, {"host": "127.0.0.1"}, {"host": "[::1]:9000"}, {"host": "127.0.0.2:80"},
    {"origin": "http://localhost:3000"}, {"origin": "http://127.0.0.1:8080"},
    {"content-type": "application/json; charset=utf-8"},
])
def test_loopback_names_and_json_pass_the_guards(headers: dict[str, str]) -> None:
    async def go() -> None:
        async with serve() as (client, _, _):
            r = await client.post(CHAT, content=json.dumps(_chat("hola")), headers={**JSON, **headers})
            assert r.status_code == 200, r.text
    _run(go())


def test_allowed_hosts_is_a_setting() -> None:
    async def go() -> None:
        async with serve({"limits": {"allowed_hosts": ["gateway.internal"]}}) as (client, _, _):
            ok = await client.get("/healthz", headers={"host": "gateway.internal:8080"})
            assert ok.status_code == 200
            assert (await client.get("/healthz", headers={"host": "evil.example"})).status_code == 403
        async with serve({"limits": {"allowed_hosts": ["*"]}}) as (client, _, _):
            assert (await client.get("/healthz", headers={"host": "anything.example"})).status_code == 200
    _run(go())


# -- admission control ---------------------------------------------------------------------------

def test_past_the_in_flight_cap_requests_are_shed_with_429_and_retry_after() -> None:
    release = asyncio.Event()

    async def go() -> None:
        async with serve({"limits": {"max_in_flight": 3, "shed_retry_after": "2s"}}) as (client, gw, clients):
            for c in clients.values():
                original = c.call

                async def slow(request: Any, timeout_s: float, original: Any = original) -> Any:
                    await release.wait()
                    return await original(request, timeout_s)
                c.call = slow  # type: ignore[method-assign]
            tasks = [asyncio.create_task(client.post(CHAT, json=_chat(f"hola {i}"))) for i in range(3)]
            while gw.admission.in_flight < 3:
                await asyncio.sleep(0.01)
            shed = [await client.post(CHAT, json=_chat("otra")) for _ in range(4)]
            shed.append(await client.post(PARSE, json=parse_body()))
            assert [r.status_code for r in shed] == [429] * 5
            assert all(r.headers["retry-after"] == "2" for r in shed)
            assert "limits.max_in_flight" in shed[0].json()["error"]["message"]
            metrics = (await client.get("/metrics")).text
            assert 'gateway_admission_shed_total{endpoint="chat"} 4.0' in metrics
            assert "gateway_in_flight_requests 3.0" in metrics
            release.set()
            assert [(await t).status_code for t in tasks] == [200] * 3
            assert gw.admission.in_flight == 0
            assert (await client.post(CHAT, json=_chat("después"))).status_code == 200
    _run(go())


def test_admission_cap_does_not_count_metrics_health_or_admin() -> None:
    async def go() -> None:
        async with serve({"limits": {"max_in_flight": 1}}) as (client, gw, _):
            gw.admission.in_flight = 1   # as if one request were being answered
            try:
                for path in ("/metrics", "/healthz", "/admin/config"):
                    assert (await client.get(path)).status_code == 200
                assert (await client.post(PARSE, json=parse_body())).status_code == 429
            finally:
                gw.admission.in_flight = 0
    _run(go())


def test_limits_refuse_out_of_range_settings() -> None:
    from gateway.config import ConfigError, load_config
    for bad in ({"max_in_flight": 0}, {"header_timeout": "1e300"}, {"max_header_bytes": 10},
                {"idle_timeout": "-1s"}):
        with pytest.raises(ConfigError, match=f"limits.{next(iter(bad))}"):
            load_config(overrides={"limits": bad}, environ={})


def test_httpx_default_client_passes(tmp_path: Path) -> None:
    # What the harness and the README's Python examples send: json= sets application/json.
    async def go() -> None:
        async with serve() as (client, _, _):
            assert isinstance(client, httpx.AsyncClient)
            assert (await client.put("/admin/config", json={"degraded_mode": "auto"})).status_code == 200
    _run(go())
