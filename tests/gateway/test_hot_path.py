"""The hot path's speedups keep behaviour: same keys, same validation, same metrics, same answers.

Each speedup is checked against the straightforward version it replaced, kept
here as the oracle.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.outcomes import ChatRequest, Message
from gateway.policy.cache_policy import cache_key, normalise_prompt
from gateway.service.http import Request
from gateway.service.inputs import BadInput, chat_request

from .conftest import serve

_SPACE = re.compile(r"\s+")


def _normalise_reference(text: str) -> str:
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    return _SPACE.sub(" ", folded).strip()


def _key_reference(model: str, prompt: str, params: dict[str, object]) -> str:
    # integral floats key as integers: 0 and 0.0 ask a provider the same thing
    plain = {k: (int(v) if type(v) is float and v.is_integer() else v) for k, v in params.items()}
    doc = {"model": model, "prompt": _normalise_reference(prompt), "params": plain}
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u3000aBcÉéñİß10:")), max_size=40),
    st.text(alphabet=st.characters(max_codepoint=127), max_size=60),
)


@given(texts)
@settings(max_examples=300, deadline=None)
def test_normalise_prompt_matches_the_regex_version(text: str) -> None:
    assert normalise_prompt(text) == _normalise_reference(text)


@given(st.sampled_from(["chat:default", "parse-appointment/v1", "qwen-plus"]), texts,
       st.dictionaries(st.sampled_from(["max_tokens", "temperature", "short", "reference"]),
                       st.one_of(st.integers(-5, 10**6), st.floats(0, 2), st.booleans(), st.text(max_size=8)),
                       max_size=4))
@settings(max_examples=200, deadline=None)
def test_cache_key_is_the_same_sha256_as_before(model: str, prompt: str, params: dict[str, object]) -> None:
    assert cache_key(model, prompt, params) == _key_reference(model, prompt, params)


# -- chat body validation ----------------------------------------------------------------------


def _chat_reference(body: Any, limit: int) -> ChatRequest:
    """The validation as it was written over Starlette (isinstance checks, generic containers)."""
    if not isinstance(body, dict):
        raise BadInput(400, "(body)", "expected a JSON object")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise BadInput(400, "messages", "expected a non-empty array of {role, content}")
    messages, total = [], 0
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant"):
            raise BadInput(400, f"messages[{i}].role", "expected system, user or assistant")
        content = m.get("content")
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        if not isinstance(content, str):
            raise BadInput(400, f"messages[{i}].content", "expected a string")
        total += len(content)
        messages.append(Message(m["role"], content))
    if total > limit:
        raise BadInput(413, "messages", f"messages have {total} characters; the limit is {limit}")
    max_tokens = body.get("max_tokens", body.get("max_completion_tokens", 500))
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or not 1 <= max_tokens <= 100_000:
        raise BadInput(400, "max_tokens", "expected an integer from 1 to 100000")
    temperature = body.get("temperature", 0.0)
    if not isinstance(temperature, int | float) or isinstance(temperature, bool) or not 0 <= temperature <= 2:
        raise BadInput(400, "temperature", "expected a number from 0 to 2")
    if body.get("stream"):
        raise BadInput(400, "stream", "streaming is not supported by the gateway's pass-through")
    model = body.get("model")
    return ChatRequest(tuple(messages), max_tokens, float(temperature), model if isinstance(model, str) else None)


json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-3, 200_000), st.floats(-1, 3, allow_nan=False),
                        st.sampled_from(["user", "system", "assistant", "tool", "", "hola"]))
content = st.one_of(st.text(max_size=20), json_scalar,
                    st.lists(st.one_of(st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=5)}),
                                       json_scalar), max_size=3))
message = st.one_of(json_scalar, st.lists(json_scalar, max_size=1),
                    st.fixed_dictionaries({"role": st.one_of(json_scalar, st.lists(json_scalar, max_size=1)),
                                           "content": content}))
chat_body = st.one_of(
    json_scalar,
    st.fixed_dictionaries(
        {"messages": st.one_of(st.lists(message, max_size=4), json_scalar)},
        optional={"max_tokens": json_scalar, "max_completion_tokens": json_scalar, "temperature": json_scalar,
                  "stream": json_scalar, "model": json_scalar},
    ),
)


def _verdict(fn: Any, body: Any) -> object:
    try:
        return fn(body, 50)
    except BadInput as bad:
        return (bad.status, bad.field, bad.message)


@given(chat_body)
@settings(max_examples=400, deadline=None)
def test_chat_validation_gives_the_same_request_or_the_same_error(body: Any) -> None:
    # through JSON, as the gateway receives it
    body = json.loads(json.dumps(body))
    fast, reference = _verdict(chat_request, body), _verdict(_chat_reference, body)
    if isinstance(fast, ChatRequest) or isinstance(reference, ChatRequest):
        # Hardening (issue 8) only refuses more: content parts that are not text objects, a model that is
        # not a string, a stream flag that is not a boolean. What both accept is the same request.
        if isinstance(fast, ChatRequest):
            assert fast == reference
        else:
            assert isinstance(fast, tuple)
            assert re.fullmatch(r"messages\[\d+\]\.content(\[\d+\].*)?|model|stream", fast[1]), fast
    else:
        assert isinstance(fast, tuple) and isinstance(reference, tuple)
        assert fast[0] == reference[0]   # the status; messages now say what was found instead


# -- through the service -----------------------------------------------------------------------


def _sample(metrics_text: str, series: str) -> float:
    for line in metrics_text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no sample {series}")


def test_cached_metric_children_count_every_response_and_call() -> None:
    async def go() -> None:
        async with serve() as (client, _, _):
            for _ in range(3):
                await client.post("/v1/chat/completions", json={"messages": []})
            for i in range(4):
                r = await client.post("/v1/chat/completions",
                                      json={"messages": [{"role": "user", "content": f"hola {i % 2}"}]})
                assert r.status_code == 200
            text = (await client.get("/metrics")).text
            assert _sample(text, 'gateway_responses_total{endpoint="chat",status="400"}') == 3.0
            assert _sample(text, 'gateway_responses_total{endpoint="chat",status="200"}') == 4.0
            calls = sum(_sample(text, f'llm_requests_total{{provider="{p}",result="ok"}}')
                        for p in ("qwen", "claude", "openai") if f'provider="{p}",result="ok"' in text)
            assert calls == 2.0, "two distinct prompts: two upstream calls, two cache hits"
    asyncio.run(go())


def test_a_cache_hit_answers_like_the_miss_before_it() -> None:
    async def go() -> None:
        async with serve() as (client, _, _):
            body = {"model": "gpt-x", "messages": [{"role": "user", "content": "hola"}], "max_tokens": 7}
            miss = await client.post("/v1/chat/completions", json=body)
            hit = await client.post("/v1/chat/completions", json=body)
            assert miss.headers["x-llmdrill-cache"] == "miss" and hit.headers["x-llmdrill-cache"] == "hit"
            strip = ("id", "created")
            assert {k: v for k, v in miss.json().items() if k not in strip} == \
                   {k: v for k, v in hit.json().items() if k not in strip}
            assert hit.headers["x-llmdrill-provider"] == miss.headers["x-llmdrill-provider"]
            assert hit.headers["content-type"] == "application/json"
    asyncio.run(go())


def test_an_oversized_chat_body_is_an_openai_shaped_413() -> None:
    async def go() -> None:
        async with serve() as (client, _, _):
            r = await client.post("/v1/chat/completions", content=b"{" + b" " * (2 << 20) + b"}",
                                  headers={"content-type": "application/json"})
            assert r.status_code == 413
            assert r.json()["error"] == {"message": "request body larger than 1048576 bytes",
                                         "type": "invalid_request_error", "param": "(body)", "code": None}
    asyncio.run(go())


@pytest.mark.parametrize("raw", [b"\xff\xfe\x00", b"[1,", b""])
def test_unreadable_bodies_name_the_body(raw: bytes) -> None:
    from gateway.service.inputs import read_json

    with pytest.raises(BadInput) as info:
        read_json(Request("POST", "/v1/appointments/parse", (), raw))
    assert info.value.status == 400 and info.value.field == "(body)"
