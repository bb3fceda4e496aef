"""Hypothesis fuzz of the gateway's request and admin bodies (issue 8 item 7): any JSON is 2xx or 4xx.

One gateway for all examples, in-process through its real ASGI app, so the fuzz is
fast enough for the suite.  Bodies are arbitrary JSON, JSON shaped like what each
route expects (so the fuzz gets past the first check), and raw bytes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.config import load_config
from gateway.service.app import Gateway, create_app

from .conftest import ScriptedClient

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(st.characters(), max_size=30),
                    st.sampled_from(["auto", "claude", "qwen", "openai", "force_open", "reset", "disable",
                                     "text", "user", "system", "9999-12-31", "2026-01-22", "pasado mañana"]))
any_json = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12)
# Lone surrogates only come in through JSON escapes, which st.characters() cannot write into UTF-8.
surrogate_text = st.builds(lambda a, s, b: f"{a}{s}{b}", st.text(max_size=8),
                           st.sampled_from(["\\ud800", "\\udfff", "\\ud83d"]), st.text(max_size=8))

parse_bodies = st.fixed_dictionaries({}, optional={
    "prompt": st.one_of(st.text(max_size=80), any_json),
    "reference_date": st.one_of(st.dates().map(str), any_json),
    "prompt_id": any_json,
})
content = st.one_of(st.text(max_size=40), any_json, st.lists(st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["text", "image_url"]), "text": any_json}), any_json),
    max_size=3))
chat_bodies = st.fixed_dictionaries({"messages": st.one_of(st.lists(st.fixed_dictionaries(
    {"role": st.one_of(st.sampled_from(["user", "system", "assistant"]), any_json), "content": content}),
    max_size=3), any_json)}, optional={k: any_json for k in ("max_tokens", "temperature", "stream", "model")})
admin_bodies = st.fixed_dictionaries({}, optional={
    "provider": any_json, "conservation_mode": any_json, "degraded_mode": any_json,
    "breakers": st.one_of(any_json, st.dictionaries(st.sampled_from(["qwen", "claude", "openai", "gemini"]),
                                                    any_json, max_size=3)),
})


class _Service:
    """One gateway and one event loop for every example."""

    def __init__(self) -> None:
        config = load_config(overrides={"degraded": {"enabled": True}}, environ={})
        self.gateway = Gateway(config, clients={n: ScriptedClient(n) for n in ("qwen", "claude", "openai")})
        self.app = create_app(self.gateway)
        self.loop = asyncio.new_event_loop()
        self._lifespan = self.gateway.lifespan(self.app)
        self.loop.run_until_complete(self._lifespan.__aenter__())
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://127.0.0.1")

    def send(self, method: str, path: str, raw: bytes) -> httpx.Response:
        return self.loop.run_until_complete(self.client.request(
            method, path, content=raw, headers={"content-type": "application/json"}))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.run_until_complete(self._lifespan.__aexit__(None, None, None))
        self.loop.close()


@pytest.fixture(scope="module")
def service() -> Iterator[_Service]:
    s = _Service()
    try:
        yield s
    finally:
        s.close()


_FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


def _check(service: _Service, method: str, path: str, raw: bytes) -> None:
    r = service.send(method, path, raw)
    assert r.status_code < 500, (path, raw[:300], r.status_code, r.text[:300])
    if r.status_code >= 400:
        error = r.json()["error"]    # always JSON naming what was wrong
        assert error["message"]
        assert "Traceback" not in r.text


def _encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


@given(st.one_of(parse_bodies, any_json))
@_FUZZ
def test_parse_bodies_never_5xx(service: _Service, body: Any) -> None:
    _check(service, "POST", "/v1/appointments/parse", _encode(body))


@given(st.one_of(chat_bodies, any_json))
@_FUZZ
def test_chat_bodies_never_5xx(service: _Service, body: Any) -> None:
    _check(service, "POST", "/v1/chat/completions", _encode(body))


@given(st.one_of(admin_bodies, any_json))
@_FUZZ
def test_admin_bodies_never_5xx(service: _Service, body: Any) -> None:
    _check(service, "PUT", "/admin/config", _encode(body))


@given(st.sampled_from(["/v1/appointments/parse", "/v1/chat/completions"]), surrogate_text,
       st.sampled_from(["prompt", "content", "model"]))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_lone_surrogates_anywhere_never_5xx(service: _Service, path: str, text: str, where: str) -> None:
    quoted = json.dumps(text).replace("\\\\u", "\\u")   # keep the escape an escape
    if path.endswith("parse"):
        raw = f'{{"prompt": {quoted}}}' if where == "prompt" else f'{{"prompt": "cita", "prompt_id": {quoted}}}'
    else:
        msg = f'{{"role": "user", "content": {quoted}}}'
        raw = f'{{"messages": [{msg}]}}' if where != "model" else \
            f'{{"messages": [{{"role": "user", "content": "hola"}}], "model": {quoted}}}'
    _check(service, "POST", path, raw.encode("utf-8"))


@given(st.binary(max_size=200), st.integers(0, 200))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_raw_bytes_and_deep_nesting_never_5xx(service: _Service, raw: bytes, depth: int) -> None:
    _check(service, "POST", "/v1/appointments/parse", raw)
    _check(service, "PUT", "/admin/config", b"[" * depth * 5 + raw + b"]" * depth * 5)
