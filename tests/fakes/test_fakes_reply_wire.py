"""The live fakes play out exactly what the pure reply model says (the twin's answer is the fake's).

For a sample of calls under a plan that mixes latencies, errors, bad bodies,
quality loss, stream shapes and resets, the bytes a live fake sends — status,
content, token count — equal ``reply(decide(...), call, call_rng(seed, key))``,
and the time it takes is the reply's delay (within the loopback's noise).
"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from fake_providers.faults.broken_bodies import HTML_PAGE, truncate
from fake_providers.faults.call import ChatCall
from fake_providers.faults.decisions import HttpError, Reset
from fake_providers.faults.engine import FaultEngine
from fake_providers.faults.plan import FaultPlan
from fake_providers.faults.reply import Reply, call_rng, reply
from fake_providers.servers import FakeCluster
from fake_providers.servers.app import _dialect
from fake_providers.servers.chat import CALL_KEY_HEADER, _stream_bytes

PARSE = "Eres un extractor. llmdrill:parse-appointment/v1"
PLAN: dict[str, object] = {
    "baseline": {"dist": "uniform", "min": "40ms", "max": "250ms"},
    "faults": [
        {"probability": 0.25, "latency": {"dist": "uniform", "min": "100ms", "max": "400ms"}},
        {"probability": 0.2, "error": {"status": 503, "retry_after": "2s"}},
        {"probability": 0.1, "connection": "reset"},
        {"probability": 0.15, "bad_json": "truncated"},
        {"probability": 0.15, "bad_json": "prose"},
        {"probability": 0.1, "bad_json": "wrong_content_type"},
        {"probability": 0.4, "quality": {"confidence": 0.5, "wrong_entity_rate": 0.5}},
        {"probability": 0.5, "match": {"stream": True}, "stream": {"ttft": "60ms", "tokens_per_s": 300}},
    ],
}
PROMPTS = ("cita mañana a las 10am con el Dr. Pérez en Polanco", "agenda una cita el próximo lunes con Ana Gómez")
#: a loaded machine adds time to a wait, never takes it away (beyond clock granularity)
EARLY_S, LATE_S = 0.005, 0.3


def _body(provider: str, prompt: str, stream: bool) -> dict[str, object]:
    if provider == "claude":
        return {"model": "claude-x", "max_tokens": 300, "system": PARSE, "stream": stream,
                "messages": [{"role": "user", "content": prompt}]}
    return {"model": "m", "stream": stream,
            "messages": [{"role": "system", "content": PARSE}, {"role": "user", "content": prompt}]}


def _path(provider: str) -> str:
    return "/v1/messages" if provider == "claude" else "/v1/chat/completions"


def _expected(fakes: FakeCluster, provider: str, call: ChatCall, key: int) -> Reply:
    # Every rule is active from t = 0 on and none keeps state, so the decision does not depend on when.
    engine = FaultEngine(FaultPlan.parse(PLAN), fakes.state(provider).seed)
    rng = call_rng(fakes.state(provider).seed, key)
    return reply(engine.decide(0.0, provider, call.request_info(), rng), call, rng)


def _streamed_text(provider: str, raw: bytes) -> tuple[str, int]:
    text, tokens = "", 0
    for line in raw.decode().splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        event = json.loads(line[6:])
        if provider == "claude":
            if event["type"] == "content_block_delta":
                text += event["delta"]["text"]
            elif event["type"] == "message_delta":
                tokens = event["usage"]["output_tokens"]
        else:
            if event["choices"]:
                text += event["choices"][0]["delta"].get("content") or ""
            if event.get("usage"):
                tokens = event["usage"]["completion_tokens"]
    return text, tokens


def _whole_text(provider: str, obj: dict[str, object]) -> tuple[str, int]:
    if provider == "claude":
        content, usage = obj["content"], obj["usage"]
        assert isinstance(content, list) and isinstance(usage, dict)
        return str(content[0]["text"]), int(usage["output_tokens"])
    choices, usage = obj["choices"], obj["usage"]
    assert isinstance(choices, list) and isinstance(usage, dict)
    return str(choices[0]["message"]["content"]), int(usage["completion_tokens"])


def _check(fakes: FakeCluster, provider: str, key: int, stream: bool, prompt: str) -> str:
    """One call: live against the model; returns the kind of reply it was (for the sample's coverage)."""
    body = _body(provider, prompt, stream)
    dialect = _dialect(provider)
    call = dialect.parse_request(body)
    if provider != "claude":
        call = ChatCall(call.model, call.system, call.prompt, call.prompt_tokens, call.max_tokens, stream, True)
        body["stream_options"] = {"include_usage": True}
    want = _expected(fakes, provider, call, key)
    url = fakes.url(provider) + _path(provider)
    headers = {CALL_KEY_HEADER.decode(): str(key)}
    if isinstance(want.response, Reset):
        with pytest.raises(httpx.TransportError):
            httpx.post(url, json=body, headers=headers, timeout=10).read()
        return "reset"
    calls = fakes.state(provider).stats.calls
    before = len(calls)
    got = httpx.post(url, json=body, headers=headers, timeout=10)
    deadline = time.monotonic() + 5
    while len(calls) == before and time.monotonic() < deadline:   # the fake records just after it sends
        time.sleep(0.001)
    took = calls[-1][2]   # the fake's own measure, request to last byte
    where = f"{provider} key {key} stream {stream}: took {took:.3f} s for {want}"
    assert want.delay_s - EARLY_S <= took <= want.delay_s + LATE_S, where
    if isinstance(want.response, HttpError):
        assert got.status_code == want.response.status, where
        assert got.headers["retry-after"] == "2", where
        return "error"
    assert got.status_code == 200, where
    assert want.text is not None
    rid = got.headers["request-id" if provider == "claude" else "x-request-id"]
    if want.broken == "html":
        assert got.content == HTML_PAGE and got.headers["content-type"].startswith("text/html"), where
        return "broken"
    if want.broken == "truncated":
        if stream:
            whole = _stream_bytes(dialect, call, rid, want.text, want.completion_tokens)
        else:
            whole = dialect.completion_body(call, rid, want.text, want.completion_tokens)
        assert got.content == truncate(whole), where
        return "broken"
    text, tokens = _streamed_text(provider, got.content) if stream else _whole_text(provider, got.json())
    assert (text, tokens) == (want.text, want.completion_tokens), where
    return "answer"


@pytest.mark.live
@pytest.mark.parametrize("provider", ["openai", "claude"])
def test_the_live_fake_answers_what_the_reply_model_says(fakes: FakeCluster, provider: str) -> None:
    httpx.put(fakes.url(provider) + "/_control/faults", json=PLAN, timeout=5).raise_for_status()
    kinds = [_check(fakes, provider, key, key % 2 == 1, PROMPTS[key % 3 == 0]) for key in range(1, 25)]
    # the sample is only a test if it covers the ways a reply goes out
    assert {"answer", "error", "broken"} <= set(kinds), kinds


def test_a_malformed_call_key_is_a_provider_shaped_400(fakes: FakeCluster) -> None:
    got = httpx.post(fakes.url("openai") + "/v1/chat/completions", json=_body("openai", "hola", False),
                     headers={CALL_KEY_HEADER.decode(): "-3"}, timeout=5)
    assert got.status_code == 400
    assert "x-llmdrill-call-key" in got.json()["error"]["message"]
