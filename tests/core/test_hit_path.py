"""The cache hit's kept values are what building them afresh gives.

A ``CacheSpec`` keeps its lookup effect, ``call_llm`` keeps a hit's ``LlmResult`` per key (checked
against ``LlmResult(decode_completion(raw), True, key)`` over generated entries, replaced and unreadable
ones included), and the pipeline builds its answered ``ParseOutcome`` positionally, so the fields' order
is pinned here.
"""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.core import llm_flow
from gateway.core.cache_entry import CacheSpec, decode_completion, encode_completion
from gateway.core.effects import CacheGet
from gateway.core.llm_flow import LlmResult
from gateway.core.parse_outcome import ParseOutcome
from gateway.outcomes import Completion, Usage

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
            assert llm_flow._hit(raw, key) == expected


def test_kept_hits_are_bounded() -> None:
    raw = encode_completion(Completion("qwen", "m", "x", Usage(1, 2)))
    for n in range(llm_flow._HITS_MAX + 10):
        llm_flow._hit(raw, f"k{n}")
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
