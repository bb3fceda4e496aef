"""The service renders the core's outcomes: every field a client reads comes from the domain value."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from gateway.core.chat import ChatOutcome
from gateway.core.parse_outcome import ParseOutcome
from gateway.outcomes import Completion, Usage
from gateway.service.render import chat_body, chat_headers, parse_body, parse_headers

seconds = st.floats(0.0, 1e4, allow_nan=False)
answers = st.dictionaries(st.sampled_from(["entities", "confidence", "validation", "geo"]), st.integers(), max_size=4)


@st.composite
def parse_outcomes(draw: st.DrawFn) -> ParseOutcome:
    status = draw(st.sampled_from([200, 429, 503]))
    return ParseOutcome(
        status,
        answer=draw(answers) if status == 200 else None,
        error_kind=None if status == 200 else draw(st.sampled_from(["overloaded", "llm_unavailable"])),
        error_message=None if status == 200 else draw(st.text(max_size=20)),
        provider=draw(st.sampled_from([None, "qwen", "claude"])),
        cache_hit=draw(st.booleans()), fallback=draw(st.booleans()), degraded=draw(st.booleans()),
        conservation=draw(st.booleans()), attempts=draw(st.integers(0, 9)), json_error=draw(st.booleans()),
        agent_s=draw(seconds), agents=draw(st.dictionaries(st.sampled_from(["parsing", "geo"]), seconds)),
        retry_after_s=draw(st.none() | seconds),
    )


@given(parse_outcomes())
def test_a_parse_body_is_the_answer_plus_meta_or_the_error_plus_meta(outcome: ParseOutcome) -> None:
    body = parse_body(outcome)
    meta = body["meta"]
    assert meta["attempts"] == outcome.attempts
    assert math.isclose(meta["agent_s"], outcome.agent_s, abs_tol=1e-6)
    if outcome.status == 200:
        assert outcome.answer is not None
        assert {k: v for k, v in body.items() if k != "meta"} == outcome.answer
        assert (meta["provider"], meta["cache_hit"], meta["fallback"], meta["degraded"], meta["conservation"],
                meta["json_error"]) == (outcome.provider, outcome.cache_hit, outcome.fallback, outcome.degraded,
                                        outcome.conservation, outcome.json_error)
        assert set(meta["agents"]) == set(outcome.agents)
        assert "meta" not in outcome.answer   # rendering derives a new body; the domain value is untouched
    else:
        assert body["error"] == {"type": outcome.error_kind, "message": outcome.error_message}


@given(parse_outcomes())
def test_parse_headers_say_who_answered_and_when_to_come_back(outcome: ParseOutcome) -> None:
    headers = dict(parse_headers(outcome))
    expected_provider = outcome.provider or ("cache" if outcome.cache_hit else "none")
    assert headers[b"x-llmdrill-provider"].decode() == expected_provider
    assert headers[b"x-llmdrill-cache"] == (b"hit" if outcome.cache_hit else b"miss")
    assert headers[b"x-llmdrill-fallback"] == (b"1" if outcome.fallback else b"0")
    assert headers[b"x-llmdrill-degraded"] == (b"1" if outcome.degraded else b"0")
    assert int(headers[b"x-llmdrill-attempts"]) == outcome.attempts
    if outcome.retry_after_s is None:
        assert b"retry-after" not in headers
    else:
        value = int(headers[b"retry-after"])
        assert value >= 1 and value >= outcome.retry_after_s - 1e-6 and value < max(outcome.retry_after_s, 1) + 1


@given(st.text(min_size=1, max_size=30), st.integers(0, 500), st.integers(0, 500), st.booleans(), st.integers(1, 5))
def test_a_chat_answer_is_openais_shape(text: str, prompt: int, completion: int, hit: bool, attempts: int) -> None:
    outcome = ChatOutcome(200, Completion("claude", "m-1", text, Usage(prompt, completion), "length"), hit, attempts)
    body = chat_body(outcome, "chatcmpl-x", 1_700_000_000)
    assert body["choices"][0]["message"] == {"role": "assistant", "content": text}
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["total_tokens"] == prompt + completion
    assert (body["id"], body["created"], body["model"]) == ("chatcmpl-x", 1_700_000_000, "m-1")
    assert dict(chat_headers(outcome)) == {b"x-llmdrill-provider": b"claude",
                                           b"x-llmdrill-cache": b"hit" if hit else b"miss",
                                           b"x-llmdrill-attempts": str(attempts).encode()}


def test_a_refused_chat_carries_only_its_retry_after() -> None:
    assert chat_headers(ChatOutcome(429, None, retry_after_s=2.2)) == ((b"retry-after", b"3"),)
    assert chat_headers(ChatOutcome(503, None)) == ()


#: agent times as the twin has them: zeros of either sign (pure agents, cache hits) beside measured ones
times = st.one_of(st.sampled_from([0.0, -0.0]), seconds, st.floats(-1.0, 1.0))


@given(st.booleans(), times, st.dictionaries(st.sampled_from(["parsing", "temporal", "geo"]), times))
def test_a_parse_body_s_times_are_each_rounded_to_the_microsecond(ok: bool, agent_s: float,
                                                                 agents: dict[str, float]) -> None:
    outcome = ParseOutcome(200 if ok else 503, answer={"confidence": 0.5} if ok else None, agent_s=agent_s,
                           agents=agents)
    meta = parse_body(outcome)["meta"]
    # repr: -0.0 stays -0.0, as a JSON body writes it
    assert repr(meta["agent_s"]) == repr(round(agent_s, 6))
    if ok:
        assert repr(list(meta["agents"].items())) == repr([(k, round(v, 6)) for k, v in agents.items()])
        assert meta["agents"] is not outcome.agents   # the body's own dict: a client may change it
