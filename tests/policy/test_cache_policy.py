"""Cache policy: keys, the similarity guard, TTL and LRU."""

from __future__ import annotations

from collections import OrderedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.clock import ManualClock
from gateway.policy.cache_policy import MemoryCache, cache_key, normalise_prompt
from gateway.policy.similarity import SimilarityIndex, guard_allows, similarity

params_st = st.dictionaries(
    st.sampled_from(["max_tokens", "temperature", "top_p", "stop"]),
    st.one_of(st.integers(0, 1000), st.floats(0, 2, allow_nan=False), st.text(max_size=5)),
    max_size=4,
)


@given(st.text(max_size=40), st.sampled_from(["qwen-plus", "claude-3", "gpt-4o"]),
       st.sampled_from(["qwen-plus", "claude-3", "gpt-4o"]), params_st, params_st)
@settings(max_examples=150, deadline=None)
def test_no_key_shared_across_model_or_params(prompt: str, m1: str, m2: str, p1: dict[str, object],
                                             p2: dict[str, object]) -> None:
    same = cache_key(m1, prompt, p1) == cache_key(m2, prompt, p2)
    assert same == (m1 == m2 and p1 == p2)


def test_key_ignores_case_spacing_param_order_and_unicode_form() -> None:
    k = cache_key("qwen", "Cita mañana  10am con Dr. Pérez", {"a": 1, "b": 2})
    assert k == cache_key("qwen", "  cita man\u0303ana 10am\ncon dr. pe\u0301rez ", {"b": 2, "a": 1})
    assert len(k) == 64 and int(k, 16) >= 0


def test_key_rejects_non_json_params_by_name() -> None:
    with pytest.raises(ValueError, match="'stop'"):
        cache_key("qwen", "hola", {"stop": object()})
    with pytest.raises(ValueError, match="'temperature'"):
        cache_key("qwen", "hola", {"temperature": float("nan")})


def test_normalise_prompt() -> None:
    assert normalise_prompt("  Hola\t\tMUNDO \n") == "hola mundo"
    assert normalise_prompt("STRASSE") == normalise_prompt("straße")


# -- the guard ----------------------------------------------------------------------------------

TEMPLATES = [
    "cita {} con el doctor",
    "Agendar reunión {} por favor",
    "necesito una cita {} en la clínica",
]
SLOT_VALUES = {
    "number": ["el 5", "el 6", "el 15", "el 05", "a las 3", "a las tres", "a las 4"],
    "time": ["10am", "11am", "10pm", "15:30", "15:45", "a las 3", "mediodía", "a las 3 p.m."],
    "date": ["hoy", "mañana", "pasado mañana", "el lunes", "el martes", "el 5 de marzo",
             "el 5 de abril", "el próximo viernes"],
    "name": ["con Dr. Pérez", "con Dra. Pérez", "con Dr. Núñez", "con Lic. Ávila", "con Ana", "con Ángela",
             "con José García", "con José Garcia"],
}
slot = st.sampled_from(sorted(SLOT_VALUES))


@given(st.sampled_from(TEMPLATES), slot, st.data())
@settings(max_examples=300, deadline=None)
def test_guard_never_joins_prompts_that_differ_in_a_sensitive_slot(template: str, kind: str,
                                                                 data: st.DataObject) -> None:
    a, b = data.draw(st.lists(st.sampled_from(SLOT_VALUES[kind]), min_size=2, max_size=2, unique=True))
    pa, pb = template.format(a), template.format(b)
    assert not guard_allows(pa, pb), (pa, pb)
    assert not guard_allows(pb, pa)


@given(st.sampled_from(TEMPLATES), st.sampled_from([v for vs in SLOT_VALUES.values() for v in vs]))
@settings(max_examples=100, deadline=None)
def test_guard_allows_the_same_prompt_reformatted(template: str, value: str) -> None:
    p = template.format(value)
    assert guard_allows(p, "  " + p.replace(" ", "  ") + " ")
    assert guard_allows(p, p + " por favor")


def test_guard_catches_a_name_at_sentence_start() -> None:
    assert not guard_allows("Pérez mañana a las 10", "López mañana a las 10")
    assert not guard_allows("Cita con Núñez.", "Cita con Nunez.")


def test_similarity_bounds_and_identity() -> None:
    assert similarity("Hola  Mundo", "hola mundo") == 1.0
    assert similarity("abc", "xyz") == 0.0
    assert 0.0 < similarity("cita mañana 10am", "cita mañana 11am") < 1.0


@given(st.text(max_size=30), st.text(max_size=30))
@settings(max_examples=100, deadline=None)
def test_similarity_is_symmetric_and_bounded(a: str, b: str) -> None:
    s = similarity(a, b)
    assert 0.0 <= s <= 1.0
    assert s == similarity(b, a)


def test_guarded_index_refuses_what_the_runbook_match_returns() -> None:
    idx = SimilarityIndex(max_entries=100)
    idx.add("cita el martes 10am con Dr. Pérez en la clínica central", "k-10am")
    near = "cita el martes 11am con Dr. Pérez en la clínica central"
    assert similarity(near, "cita el martes 10am con Dr. Pérez en la clínica central") >= 0.85
    assert idx.find(near, 0.85, guarded=False) == "k-10am"   # the hazard, reproduced
    assert idx.find(near, 0.85, guarded=True) is None
    polite = "cita el martes 10am con Dr. Pérez en la clínica central por favor"
    assert idx.find(polite, 0.85, guarded=True) == "k-10am"


def test_index_is_bounded() -> None:
    idx = SimilarityIndex(max_entries=3)
    for i in range(10):
        idx.add(f"prompt number {i}", f"k{i}")
    assert len(idx) == 3
    assert idx.find("prompt number 1", 0.99, guarded=False) is None
    assert idx.find("prompt number 9", 0.99, guarded=False) == "k9"
    with pytest.raises(ValueError, match="threshold"):
        idx.find("x", 1.5, guarded=True)


# -- memory cache -------------------------------------------------------------------------------


def test_ttl_on_an_injected_clock() -> None:
    clock = ManualClock(100.0)
    cache = MemoryCache()
    cache.set("k", "v", clock.now(), ttl_s=300.0)
    clock.advance(299.9)
    assert cache.get("k", clock.now()) == "v"
    clock.advance(0.1)
    assert cache.get("k", clock.now()) is None
    assert len(cache) == 0
    with pytest.raises(ValueError, match="ttl_s"):
        cache.set("k", "v", 0.0, ttl_s=0)


@given(st.lists(st.tuples(st.sampled_from(["get", "set"]), st.integers(0, 12)), max_size=200),
       st.integers(1, 6))
@settings(max_examples=100, deadline=None)
def test_lru_matches_a_reference_and_stays_bounded(ops: list[tuple[str, int]], size: int) -> None:
    cache = MemoryCache(max_entries=size)
    ref: OrderedDict[str, str] = OrderedDict()
    for i, (op, n) in enumerate(ops):
        key = f"k{n}"
        if op == "set":
            cache.set(key, f"v{i}", 0.0, ttl_s=1e9)
            ref[key] = f"v{i}"
            ref.move_to_end(key)
            while len(ref) > size:
                ref.popitem(last=False)
        else:
            assert cache.get(key, 0.0) == ref.get(key)
            if key in ref:
                ref.move_to_end(key)
        assert len(cache) == len(ref) <= size


def test_integral_floats_and_ints_share_a_key() -> None:
    assert cache_key("m", "hola", {"temperature": 0, "top_p": 1}) == cache_key("m", "hola", {"temperature": 0.0,
                                                                                             "top_p": 1.0})
    assert cache_key("m", "hola", {"temperature": 0.5}) != cache_key("m", "hola", {"temperature": 0})
