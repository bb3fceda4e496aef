"""The request path's kept values are what working them out afresh gives.

``ModeController.state`` keeps its ``Modes`` between changes, ``resolve_date`` / ``resolve_time`` keep
their answers per expression, the pipeline keeps a parse's negotiation call, and ``estimated_tokens``
sums in a loop: each is checked against the plain computation, on generated inputs.
"""

from __future__ import annotations

import json
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.core import pipeline
from gateway.core.agents import confirmation, for_answer
from gateway.core.cache_entry import CacheSpec, encode_completion
from gateway.nlp import build_negotiation_messages, temporal
from gateway.outcomes import ChatRequest, Completion, Message, Usage
from gateway.policy.cache_policy import _cache_key
from gateway.policy.modes import ModeConfig, ModeController

# -- ModeController.state ------------------------------------------------------------------------

manual = st.sampled_from([True, False, None])
ops = st.lists(st.one_of(
    st.tuples(st.just("observe"), st.floats(0.0, 2.0), st.booleans(), st.floats(0.0, 30.0), st.booleans()),
    st.tuples(st.just("manual"), st.floats(0.0, 2.0), manual, manual),
    st.tuples(st.just("state"), st.floats(0.0, 2.0)),
), max_size=80)


def _afresh(ctl: ModeController, now: float) -> object:
    ctl._state = None   # the plain path: worked out from the modes again
    return ctl.state(now)


@settings(max_examples=150, deadline=None)
@given(ops, st.booleans())
def test_mode_state_kept_is_mode_state_afresh(steps: list[tuple[object, ...]], auto: bool) -> None:
    config = ModeConfig(auto=auto, window_s=5.0, hold_s=1.0, min_samples=3, eval_interval_s=0.0)
    kept, plain = ModeController(config), ModeController(config)
    now = 0.0
    for step in steps:
        now += float(step[1])   # type: ignore[arg-type]
        for ctl in (kept, plain):
            if step[0] == "observe":
                ctl.observe(now, bool(step[2]), float(step[3]), bool(step[4]))   # type: ignore[arg-type]
            elif step[0] == "manual":
                ctl.set_manual(now, conservation=step[2], degraded=step[3])   # type: ignore[arg-type]
        assert kept.state(now) is _afresh(plain, now)


# -- the temporal resolvers ------------------------------------------------------------------------

expressions = st.one_of(
    st.sampled_from(["mañana", "hoy", "pasado mañana", "el lunes", "el 5 de marzo", "15/03/27", "31 de febrero",
                     "10am", "3:30 pm", "a las 3 de la tarde", "al mediodía", "25:00", "13pm", "", "x" * 201]),
    st.text(max_size=12))
references = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


@settings(max_examples=300, deadline=None)
@given(expressions, references)
def test_resolvers_kept_are_resolvers_afresh(expr: str, reference: date) -> None:
    for _ in range(2):   # the first ask fills the memo, the second reads it
        assert temporal.resolve_date(expr, reference) == temporal._resolve_date(expr, reference)
        assert temporal.resolve_time(expr) == temporal._resolve_time(expr)


def test_resolver_memos_are_bounded() -> None:
    for n in range(temporal._MEMO_MAX + 10):
        temporal.resolve_time(f"{n % 24}:{n % 60:02d} pm {n}")
    assert len(temporal._TIMES) <= temporal._MEMO_MAX


# -- the negotiation call --------------------------------------------------------------------------

answers_text = st.builds(
    lambda c, f, h: json.dumps({"contacto": c, "fecha": f, "hora": h, "lugar": None, "confidence": 0.9},
                               ensure_ascii=False),
    st.sampled_from([None, "Dra. Ruiz", "Juan"]), st.sampled_from([None, "mañana", "el lunes"]),
    st.sampled_from([None, "10am", "22:00"]))


@settings(max_examples=60, deadline=None)
@given(answers_text, references)
def test_negotiation_call_kept_is_negotiation_call_afresh(text: str, reference: date) -> None:
    answers = for_answer(text, reference)
    for _ in range(2):
        template, request, spec = pipeline._negotiation_call(answers)
        result = answers.result
        assert template == confirmation(result) + " El horario pedido está ocupado; le propondremos otro."
        assert request == ChatRequest(build_negotiation_messages(result), max_tokens=60)
        assert spec == CacheSpec(pipeline.NEGOTIATE_TASK, repr(sorted(answers.body()["entities"].items())),
                                 {"max_tokens": 60})
        assert spec.key() == CacheSpec(spec.task, spec.prompt, {"max_tokens": 60}).key()


# -- estimated tokens --------------------------------------------------------------------------------

@given(st.lists(st.text(max_size=40), max_size=5), st.integers(0, 4000))
def test_estimated_tokens_is_the_formula(contents: list[str], max_tokens: int) -> None:
    request = ChatRequest(tuple(Message("user", c) for c in contents), max_tokens=max_tokens)
    expected = sum(len(c) for c in contents) // 4 + 4 * len(contents) + max_tokens
    assert request.estimated_tokens() == expected


# -- a cache spec's key ------------------------------------------------------------------------------

params = st.dictionaries(st.sampled_from(["max_tokens", "temperature", "x"]),
                         st.one_of(st.integers(0, 9), st.floats(0, 2, allow_nan=False), st.booleans(),
                                   st.text(max_size=3)),
                         max_size=3)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=8), st.text(max_size=20), params)
def test_spec_key_kept_is_cache_key(task: str, prompt: str, values: dict[str, object]) -> None:
    spec = CacheSpec(task, prompt, values)
    for _ in range(2):
        assert spec.key() == _cache_key(task, prompt, values)
    assert spec == CacheSpec(task, prompt, dict(values)) and "_key" not in repr(spec)


# -- a cache entry's encoding ------------------------------------------------------------------------

@given(st.text(), st.text(max_size=20), st.integers(0, 10_000), st.integers(0, 10_000))
def test_entry_encoder_is_json_dumps(text: str, model: str, p: int, c: int) -> None:
    done = Completion("qwen", model, text, Usage(p, c))
    assert encode_completion(done) == json.dumps(
        {"provider": "qwen", "model": model, "text": text, "prompt_tokens": p, "completion_tokens": c},
        ensure_ascii=False, separators=(",", ":"))
