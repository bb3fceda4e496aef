"""The pure reply model: timing as the fake servers time it, answers from a per-call RNG."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_providers.faults.answers import PARSE_MARKER, count_tokens
from fake_providers.faults.call import ChatCall
from fake_providers.faults.decisions import (
    BadJson,
    Decision,
    Hang,
    HttpError,
    Normal,
    QualityLoss,
    Refuse,
    Reset,
    StreamShape,
)
from fake_providers.faults.reply import Reply, call_rng, reply

CALL = ChatCall("qwen-plus", PARSE_MARKER, "Cita mañana a las 10am con el Dr. Pérez en Polanco", 40, 500, False)
LOSSY = QualityLoss(0.6, 0.5, 0.3)


def test_a_normal_answer_takes_the_decided_latency_and_carries_its_text() -> None:
    r = reply(Decision(0.7, Normal(0.7)), CALL, random.Random(1))
    assert r.delay_s == 0.7
    assert r.text is not None and r.answered
    assert r.completion_tokens == count_tokens(r.text)
    assert '"confidence"' in r.text


def test_a_stream_shape_times_the_answer_over_its_own_token_count() -> None:
    shape = StreamShape(ttft_s=0.2, tokens_per_s=10.0, stall_after_tokens=3, stall_s=1.5)
    r = reply(Decision(0.9, Normal(0.9), stream=shape), CALL, random.Random(1))
    assert r.delay_s == pytest.approx(0.2 + (r.completion_tokens - 1) / 10.0 + 1.5)


@pytest.mark.parametrize(
    ("response", "delay"),
    [(HttpError(503), 0.25), (Refuse(), 0.0), (Hang(), math.inf)],
)
def test_failures_carry_no_text_and_their_own_timing(response: HttpError | Refuse | Hang, delay: float) -> None:
    r = reply(Decision(0.25, response), CALL, random.Random(1))
    assert r.text is None and not r.answered
    assert r.delay_s == delay


@pytest.mark.parametrize(
    ("variant", "broken"),
    [("truncated", "truncated"), ("empty", "empty"), ("wrong_content_type", "html"), ("prose", None),
     ("wrong_schema", None)],
)
def test_bad_json_variants_say_how_the_body_breaks(variant: str, broken: str | None) -> None:
    r = reply(Decision(0.1, BadJson(variant)), CALL, random.Random(1))
    assert r.broken == broken
    assert r.text is not None
    if variant == "prose":
        assert not r.text.lstrip().startswith("{")
    if variant == "wrong_schema":
        assert '"name"' in r.text and "confidence" not in r.text


def test_a_reset_answer_is_not_answered() -> None:
    r = reply(Decision(0.1, Reset(10)), CALL, random.Random(1))
    assert r.text is not None and not r.answered


def test_a_reply_refuses_impossible_values() -> None:
    with pytest.raises(ValueError, match="delay_s"):
        Reply(-1.0, Normal(0.0))
    with pytest.raises(ValueError, match="completion_tokens"):
        Reply(0.0, Normal(0.0), "x", -1)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), keys=st.lists(st.integers(0, 10**9), min_size=2, max_size=12, unique=True),
       order=st.randoms(use_true_random=False))
def test_a_calls_answer_does_not_depend_on_the_order_calls_are_made(
    seed: int, keys: list[int], order: random.Random
) -> None:
    decision = Decision(0.3, Normal(0.3), quality=LOSSY)
    first = {k: reply(decision, CALL, call_rng(seed, k)).text for k in keys}
    shuffled = list(keys)
    order.shuffle(shuffled)
    again = {k: reply(decision, CALL, call_rng(seed, k)).text for k in shuffled}
    assert again == first


def test_different_calls_draw_different_answers_under_quality_loss() -> None:
    decision = Decision(0.3, Normal(0.3), quality=LOSSY)
    texts = {reply(decision, CALL, call_rng(7, k)).text for k in range(40)}
    assert len(texts) > 3
