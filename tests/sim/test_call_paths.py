"""The provider call's shortcuts give what the plain code gives: ``Wire.read`` by request identity is
``call_of`` and ``request_info`` computed afresh, for equal requests that are distinct objects too."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.outcomes import ChatRequest, Message, ProviderFailure
from sim.wire import Wire

texts = st.text(max_size=12)
messages = st.tuples(st.lists(st.builds(Message, st.just("system"), texts), max_size=1),
                     st.lists(st.builds(Message, st.sampled_from(["user", "assistant"]), texts), max_size=2),
                     st.builds(Message, st.just("user"), texts)).map(lambda p: [*p[0], *p[1], p[2]])
requests = st.builds(lambda m, n, model: ChatRequest(tuple(m), n, 0.0, model), messages,
                     st.integers(1, 600), st.sampled_from([None, "gpt-4o-mini", ""]))


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(["openai", "claude", "qwen"]), st.lists(requests, min_size=1, max_size=6),
       st.lists(st.integers(0, 11), max_size=24))
def test_read_is_call_of_and_request_info(provider: str, pool: list[ChatRequest], picks: list[int]) -> None:
    wire, fresh = Wire(provider), Wire(provider)
    # the same objects again, and equal copies of them (another identity, the same value)
    asked = [pool[i % len(pool)] if i < 6 else _copy(pool[i % len(pool)]) for i in picks] + pool
    for request in asked:
        read = wire.read(request)
        plain = fresh.call_of(request)
        if isinstance(plain, ProviderFailure):
            assert read == plain
        else:
            assert read == (plain, plain.request_info())
        assert wire.call_of(request) == plain


def _copy(request: ChatRequest) -> ChatRequest:
    return ChatRequest(tuple(Message(m.role, m.content) for m in request.messages), request.max_tokens,
                       request.temperature, request.model)
