"""The cache hit's kept values are what building them afresh gives.

A ``CacheSpec`` keeps its lookup effect, ``call_llm`` keeps a hit's ``LlmResult`` per key (checked
against ``LlmResult(decode_completion(raw), True, key)`` over generated entries, replaced and unreadable
ones included), the pipeline looks the exact key up itself and hands a miss to ``call_llm`` (checked
against the flow's own lookup: the same effects, the same result), and it builds its answered
``ParseOutcome`` positionally, so the fields' order is pinned here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.clock import ManualClock
from gateway.config import load_config
from gateway.core import llm_flow
from gateway.core.cache_entry import CacheSpec, decode_completion, encode_completion
from gateway.core.effects import CacheGet, CallProvider
from gateway.core.llm_flow import LlmResult, call_llm
from gateway.core.parse_outcome import ParseOutcome
from gateway.core.stack import Stack
from gateway.outcomes import ChatRequest, Completion, FailureKind, Message, ProviderFailure, Usage

completions = st.builds(lambda p, t, n: encode_completion(Completion(p, "m", t, Usage(n, n + 1))),
                        st.sampled_from(["qwen", "claude"]), st.text(max_size=6), st.integers(0, 3))
entries = st.one_of(completions, st.sampled_from(["", "{", '{"provider": 1}', "null"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["k1", "k2", "k3"]), entries), max_size=30))
def test_kept_hit_is_the_hit_afresh(asks: list[tuple[str, str]]) -> None:
    llm_flow._HITS.clear()
    for key, raw in asks:
        decoded = decode_completion(raw)
        expected = None if decoded is None else LlmResult(decoded, True, key)
        for _ in range(2):   # the first ask fills the memo, the second reads it
            assert llm_flow.cache_hit(raw, key) == expected


def test_kept_hits_are_bounded() -> None:
    raw = encode_completion(Completion("qwen", "m", "x", Usage(1, 2)))
    for n in range(llm_flow._HITS_MAX + 10):
        llm_flow.cache_hit(raw, f"k{n}")
    assert len(llm_flow._HITS) <= llm_flow._HITS_MAX


@given(st.text(max_size=8), st.text(max_size=20))
def test_spec_lookup_is_cache_get_of_its_key(task: str, prompt: str) -> None:
    spec = CacheSpec(task, prompt, {})
    assert spec.lookup() == CacheGet(spec.key()) and spec.lookup() is spec.lookup()
    assert spec == CacheSpec(task, prompt, {}) and "_lookup" not in repr(spec)


def test_answered_fields() -> None:
    # pipeline.parse_appointment builds its 200 positionally, in this order
    assert [f.name for f in dataclasses.fields(ParseOutcome)] == [
        "status", "answer", "error_kind", "error_message", "provider", "cache_hit", "fallback", "degraded",
        "conservation", "attempts", "json_error", "confidence", "agent_s", "agents", "retry_after_s", "valid",
        "probe"]


def _run(flow: Any, first: str | None, script: list[str | None]) -> tuple[list[object], object]:
    """Every effect ``flow`` yields and its result: the first ``CacheGet`` answered with ``first``, any other
    with ``None``, a provider call with the next scripted answer (``None``: a timeout)."""
    effects: list[object] = []
    result: object = None
    answers = iter(script)
    while True:
        try:
            effect = flow.send(result)
        except StopIteration as stop:
            return effects, stop.value
        effects.append(effect)
        if isinstance(effect, CacheGet):
            result = first if len(effects) == 1 else None
        elif isinstance(effect, CallProvider):
            text = next(answers, "x")
            result = Completion(effect.provider, "m", text, Usage(1, 1)) if text is not None else \
                ProviderFailure(effect.provider, FailureKind.TIMEOUT, "scripted", None, None)
        else:
            result = None


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.none(), entries), st.lists(st.one_of(st.none(), st.text(max_size=4)), max_size=4),
       st.booleans())
def test_handed_lookup_is_the_flows_own(first: str | None, script: list[str | None], similar: bool) -> None:
    # what parse_appointment does: look the exact key up, hand a miss (or an unreadable entry) to call_llm
    def flow(handed: bool) -> Any:
        config = load_config(overrides={"cache": {"similarity": {"enabled": similar}}}, environ={})
        stack = Stack(config, ManualClock(1000.0))
        spec = CacheSpec("t", "hola mañana", {}, similar=True)
        request = ChatRequest((Message("user", "hola"),), max_tokens=50)
        if not handed:
            return call_llm(stack, request, 1030.0, False, spec, False, 7)

        def handed_over() -> Any:
            looked_up = yield spec.lookup()
            hit = llm_flow.cache_hit(looked_up, spec.key()) if looked_up is not None else None
            return hit if hit is not None else (
                yield from call_llm(stack, request, 1030.0, False, spec, False, 7, looked_up))
        return handed_over()

    assert _run(flow(True), first, script) == _run(flow(False), first, script)
