"""The official openai and anthropic SDKs against the running fakes."""

from __future__ import annotations

import json
import time

import anthropic
import openai
import pytest

from fake_providers.servers import FakeCluster
from tests.fakes.conftest import put

PARSE = "Eres un extractor. llmdrill:parse-appointment/v1"


def _oa(fakes: FakeCluster, provider: str = "openai", retries: int = 0, timeout: float = 10) -> openai.OpenAI:
    base = fakes.url(provider) + ("/compatible-mode/v1" if provider == "qwen" else "/v1")
    return openai.OpenAI(base_url=base, api_key="sk-test", max_retries=retries, timeout=timeout)


def _an(fakes: FakeCluster, retries: int = 0, timeout: float = 10) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=fakes.url("claude"), api_key="sk-test", max_retries=retries, timeout=timeout)


def _messages(prompt: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": PARSE}, {"role": "user", "content": prompt}]


@pytest.mark.parametrize("provider", ["openai", "qwen"])
def test_openai_shaped_completion_and_stream_parse(fakes: FakeCluster, gold_prompt, provider: str) -> None:
    prompt, gold = gold_prompt
    client = _oa(fakes, provider)
    raw = client.chat.completions.with_raw_response.create(model="m", messages=_messages(prompt))
    result = raw.parse()
    answer = json.loads(result.choices[0].message.content or "")
    assert {k: answer[k] for k in gold} == gold and 0.7 < answer["confidence"] <= 1
    assert result.usage is not None and result.usage.completion_tokens > 0
    assert int(raw.headers["x-ratelimit-remaining-requests"]) < int(raw.headers["x-ratelimit-limit-requests"])
    stream = client.chat.completions.create(model="m", messages=_messages(prompt), stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert json.loads(text) == answer
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == result.usage.completion_tokens


def test_anthropic_message_and_stream(fakes: FakeCluster, gold_prompt) -> None:
    prompt, gold = gold_prompt
    client = _an(fakes)
    message = client.messages.create(model="claude-x", max_tokens=300, system=PARSE,
                                     messages=[{"role": "user", "content": prompt}])
    answer = json.loads(message.content[0].text)
    assert {k: answer[k] for k in gold} == gold
    assert message.stop_reason == "end_turn" and message.usage.output_tokens > 0
    with client.messages.stream(model="claude-x", max_tokens=300, system=PARSE,
                                messages=[{"role": "user", "content": prompt}]) as stream:
        events = [event.type for event in stream]
        final = stream.get_final_message()
    assert final.content[0].text == message.content[0].text
    assert events[0] == "message_start" and events[-1] == "message_stop"
    assert "content_block_delta" in events or "text" in events


def test_quality_loss_lowers_confidence(fakes: FakeCluster, gold_prompt) -> None:
    prompt, _ = gold_prompt
    put(fakes, "openai", [{"quality": {"confidence": 0.4, "missing_entity_rate": 1.0}}])
    result = _oa(fakes).chat.completions.create(model="m", messages=_messages(prompt))
    answer = json.loads(result.choices[0].message.content or "")
    assert answer["confidence"] == 0.4
    assert all(answer[k] is None for k in ("contacto", "fecha", "hora", "lugar"))


def test_429_storm_honours_retry_after_then_raises(fakes: FakeCluster) -> None:
    put(fakes, "openai", [{"error": {"status": 429, "retry_after": "300ms"}}])
    client = _oa(fakes, retries=2)
    started = time.monotonic()
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="m", messages=_messages("hola"))
    elapsed = time.monotonic() - started
    assert elapsed >= 0.3 * 2
    assert info.value.code == "rate_limit_exceeded"
    assert info.value.response.headers["retry-after-ms"] == "300"
    deadline = time.monotonic() + 2   # the fake records a request just after answering it
    while fakes.state("openai").stats.by_outcome["http_429"] < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fakes.state("openai").stats.by_outcome["http_429"] == 3


def test_emergent_quota_429(fakes: FakeCluster) -> None:
    put(fakes, "openai", [{"quota": {"rpm": 2}}])
    client = _oa(fakes)
    client.chat.completions.create(model="m", messages=_messages("a"))
    client.chat.completions.create(model="m", messages=_messages("b"))
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="m", messages=_messages("c"))
    headers = info.value.response.headers
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert 55 <= float(headers["retry-after-ms"]) / 1000 <= 60


def test_insufficient_quota_is_not_retried(fakes: FakeCluster) -> None:
    put(fakes, "openai", [{"error": {"status": 429, "code": "insufficient_quota"}}])
    with pytest.raises(openai.RateLimitError) as info:
        _oa(fakes).chat.completions.create(model="m", messages=_messages("a"))
    assert info.value.code == "insufficient_quota"
    assert info.value.body["type"] == "insufficient_quota"


def test_529_is_anthropic_overloaded(fakes: FakeCluster) -> None:
    put(fakes, "claude", [{"error": {"status": 529}}])
    with pytest.raises(anthropic.APIStatusError) as info:
        _an(fakes).messages.create(model="c", max_tokens=10, messages=[{"role": "user", "content": "hola"}])
    assert info.value.status_code == 529
    assert type(info.value).__name__ == "OverloadedError"
    body = info.value.response.json()
    assert body["type"] == "error" and body["error"]["type"] == "overloaded_error" and body["request_id"]


def test_500_and_503_bodies(fakes: FakeCluster) -> None:
    put(fakes, "openai", [{"error": {"status": 500}}])
    with pytest.raises(openai.InternalServerError) as info:
        _oa(fakes).chat.completions.create(model="m", messages=_messages("a"))
    assert "server had an error" in info.value.response.json()["error"]["message"]
    put(fakes, "openai", [{"error": {"status": 503}}])
    with pytest.raises(openai.InternalServerError) as info:
        _oa(fakes).chat.completions.create(model="m", messages=_messages("a"))
    assert "overloaded" in info.value.response.json()["error"]["message"]


def test_refused_window_closes_and_reopens_the_port(fakes: FakeCluster) -> None:
    put(fakes, "openai", [{"at": 0, "until": "700ms", "provider": "openai", "connection": "refuse"}])
    time.sleep(0.1)
    with pytest.raises(openai.APIConnectionError):
        _oa(fakes).chat.completions.create(model="m", messages=_messages("a"))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            result = _oa(fakes).chat.completions.create(model="m", messages=_messages("a"))
            break
        except openai.APIConnectionError:
            time.sleep(0.05)
    else:
        pytest.fail("the port did not reopen after the refuse window")
    assert result.choices[0].message.content


@pytest.mark.parametrize("stream", [False, True])
def test_reset_is_a_connection_error(fakes: FakeCluster, stream: bool) -> None:
    put(fakes, "openai", [{"connection": "reset"}])
    with pytest.raises(openai.APIConnectionError):
        result = _oa(fakes).chat.completions.create(model="m", messages=_messages("a"), stream=stream)
        if stream:
            list(result)


def test_hang_until_the_client_gives_up(fakes: FakeCluster) -> None:
    put(fakes, "claude", [{"connection": "hang"}])
    started = time.monotonic()
    with pytest.raises(anthropic.APITimeoutError):
        _an(fakes, timeout=0.5).messages.create(model="c", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert 0.45 <= time.monotonic() - started < 3


@pytest.mark.parametrize("variant", ["truncated", "empty"])
def test_bad_json_breaks_the_sdk(fakes: FakeCluster, variant: str) -> None:
    put(fakes, "openai", [{"bad_json": variant}])
    with pytest.raises(json.JSONDecodeError):   # what openai 3.x raises for a JSON body it cannot decode
        _oa(fakes).chat.completions.create(model="m", messages=_messages("a"))


def test_wrong_content_type_fails_strict_validation(fakes: FakeCluster) -> None:
    put(fakes, "openai", [{"bad_json": "wrong_content_type"}])
    base = fakes.url("openai") + "/v1"
    strict = openai.OpenAI(base_url=base, api_key="k", max_retries=0, _strict_response_validation=True)
    with pytest.raises(openai.APIResponseValidationError):
        strict.chat.completions.create(model="m", messages=_messages("a"))
    lenient = _oa(fakes).chat.completions.create(model="m", messages=_messages("a"))
    assert isinstance(lenient, str) and "502 Bad Gateway" in lenient   # not a ChatCompletion


@pytest.mark.parametrize("variant", ["prose", "wrong_schema"])
def test_bad_json_in_the_content(fakes: FakeCluster, gold_prompt, variant: str) -> None:
    put(fakes, "openai", [{"bad_json": variant}])
    text = _oa(fakes).chat.completions.create(model="m", messages=_messages(gold_prompt[0])).choices[0].message.content
    assert text
    if variant == "prose":
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)
    else:
        assert "confidence" not in json.loads(text)


def test_injected_latency_is_waited(fakes: FakeCluster) -> None:
    put(fakes, "qwen", [{"latency": "400ms"}])
    started = time.monotonic()
    _oa(fakes, "qwen").chat.completions.create(model="m", messages=_messages("a"))
    assert 0.4 <= time.monotonic() - started < 2.0


def test_stream_shape_ttft_and_rate(fakes: FakeCluster) -> None:
    put(fakes, "openai", [{"stream": {"ttft": "300ms", "tokens_per_s": 50}}])
    started = time.monotonic()
    stream = _oa(fakes).chat.completions.create(model="m", messages=_messages("hola mundo"), stream=True)
    stamps = []
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            stamps.append(time.monotonic() - started)
    assert stamps[0] >= 0.3
    expected = (len(stamps) - 1) / 50
    assert stamps[-1] - stamps[0] >= expected * 0.9


def test_reset_is_a_real_tcp_rst(fakes: FakeCluster) -> None:
    import socket

    put(fakes, "openai", [{"connection": "reset"}])
    host, port = fakes.url("openai").removeprefix("http://").rsplit(":", 1)
    body = b'{"model":"m","messages":[{"role":"user","content":"a"}]}'
    request = (b"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
               b"content-length: %d\r\n\r\n%s" % (len(body), body))
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        with pytest.raises(ConnectionResetError):
            for _ in range(100):   # read what came before the RST; an orderly close would end with b""
                if not sock.recv(4096):
                    break
