"""The twin's kept record values of a kept outcome are what working them out afresh gives.

``sim.kept_records.kept_answer_values`` keeps, per outcome the pipeline keeps and per gold, the record
values of the answer; checked over generated sequences of kept outcomes (cache hits on a clock that stands
still), fresh ones and golds (equal golds as distinct objects too) against ``answer_values`` of the
rendered body; ``kept_tail``, the line those values write from ``latency_s`` on, against the line the
plain encoder writes of the whole record, whatever was written before (latencies of both zero signs, prompt
ids, golds).
"""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.core import pipeline
from gateway.core.cache_entry import encode_completion
from gateway.core.parse_outcome import ParseOutcome
from gateway.core.pipeline import is_kept, parse_appointment
from gateway.outcomes import Completion, Usage
from gateway.service.render import parse_body
from reports.records import RequestRecord
from sim import kept_records
from sim.kept_records import kept_answer_values, kept_tail
from sim.request_line import head_line
from tests.core.test_still_hits import Driver, StillClock, _answer, _stack
from workload.outcome import answer_values
from workload.prompts import Gold

PLAIN_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, check_circular=False)
KEYS = [f.name for f in dataclasses.fields(RequestRecord)]

GOLDS = [None, Gold("Ana López", "2026-01-23", "10:00"), Gold("Ana López", "2026-01-23", "10:00"),
         Gold("Dr. Pérez", "2026-01-22", "16:30"), Gold(None, None, None)]
TEXTS = [_answer("Ana López", "mañana", "10am", None), _answer("Dr. Pérez", "hoy", "4:30pm", "Polanco"),
         _answer(None, "mañana", "23:30", None), "{"]


def _outcomes() -> list[ParseOutcome]:
    """Two outcomes of each text, from the pipeline on a still clock (kept when a hit's slot is free),
    and two fresh ones of no request."""
    clock = StillClock(10.0)
    stack, _ = _stack(clock, False, False)
    out = []
    for n, text in enumerate(TEXTS):
        _, spec = pipeline._parse_call(f"kept {n}", False, 200)
        driver = Driver(clock, {spec.key(): encode_completion(Completion("qwen", "m", text, Usage(1, 1)))})
        out += [driver.run(parse_appointment(stack, f"kept {n}", date(2026, 1, 22), clock.now()))
                for _ in range(2)]
    out += [ParseOutcome(503, error_kind="llm_unavailable", attempts=2, agent_s=1.5),
            ParseOutcome(200, {"entities": {"contacto": "Ana López"}, "validation": {"valid": True}},
                         cache_hit=True, agent_s=0.0)]
    return out


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(TEXTS) * 2 + 1), st.integers(0, len(GOLDS) - 1)), max_size=40))
def test_kept_values_are_the_values_afresh(asks: list[tuple[int, int]]) -> None:
    pipeline._STILL_HITS.clear()
    pipeline._KEPT_IDS.clear()
    kept_records._VALUES.clear()
    outcomes = _outcomes()
    assert any(is_kept(o) for o in outcomes) and not all(is_kept(o) for o in outcomes)
    for n, g in asks:
        result, gold = outcomes[n], GOLDS[g]
        assert kept_answer_values(result, gold) == answer_values(result.status, parse_body(result), gold)
    # only kept outcomes' values are kept
    assert all(is_kept(entry[0]) for entry in kept_records._VALUES.values())


def test_kept_values_are_bounded() -> None:
    pipeline._STILL_HITS.clear()
    pipeline._KEPT_IDS.clear()
    kept_records._VALUES.clear()
    kept = [o for o in _outcomes() if is_kept(o)]
    golds = [Gold(f"c{n}", None, None) for n in range(kept_records._VALUES_MAX // len(kept) + 2)]
    for gold in golds:
        for result in kept:
            kept_answer_values(result, gold)
            assert len(kept_records._VALUES) <= kept_records._VALUES_MAX


PROMPT_IDS = ["c000001", "c000002", None]


def _plain_line(rid: int, intended: float, latency: float, values: tuple[object, ...], prompt_id: str | None) -> str:
    return PLAIN_ENCODER.encode(dict(zip(KEYS, (rid, intended, intended, latency, *values, prompt_id, None),
                                         strict=True)))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(TEXTS) * 2 + 1), st.integers(0, len(GOLDS) - 1),
                          st.sampled_from([0.0, -0.0, 0.25, 0.5, 1e-7, math.nan]), st.integers(0, 2),
                          st.integers(0, 10**7), st.floats(0, 1e6)), max_size=40))
def test_a_kept_tail_is_the_encoder_s_line_whatever_was_written_before(
        asks: list[tuple[int, int, float, int, int, float]]) -> None:
    # a kept tail must be the one of its own outcome, gold, latency (of either zero's sign) and prompt id
    pipeline._STILL_HITS.clear()
    pipeline._KEPT_IDS.clear()
    kept_records._VALUES.clear()
    kept_records._TAILS.clear()
    outcomes = _outcomes()
    for n, g, latency, p, rid, intended in asks:
        result, gold, prompt_id = outcomes[n], GOLDS[g], PROMPT_IDS[p]
        tail = kept_tail(result, gold, latency, prompt_id)
        if tail is None:   # not kept, or a record the line leaves to the encoder
            assert not is_kept(result) or math.isnan(latency) or gold is not None
            continue
        assert is_kept(result)
        values = answer_values(result.status, parse_body(result), gold)
        assert head_line(rid, intended, tail) == _plain_line(rid, intended, latency, values, prompt_id)
    assert all(is_kept(entry[0]) for entry in kept_records._TAILS.values())


def test_a_kept_tail_is_its_own_latency_s_and_prompt_s() -> None:
    pipeline._STILL_HITS.clear()
    pipeline._KEPT_IDS.clear()
    result = next(o for o in _outcomes() if is_kept(o))
    for latency, prompt_id in [(0.25, "c1"), (0.5, "c1"), (0.25, "c1"), (0.0, "c1"), (-0.0, "c1"), (0.0, "c2"),
                               (0.0, "c1")]:
        tail = kept_tail(result, None, latency, prompt_id)
        assert tail is not None
        line = json.loads(head_line(1, 2.0, tail) or "")
        assert line["latency_s"] == latency and math.copysign(1.0, line["latency_s"]) == math.copysign(1.0, latency)
        assert line["prompt_id"] == prompt_id
    # an int latency equal to a kept one is not that float's text: the line leaves it to the encoder
    zero: Any = 0
    assert kept_tail(result, None, 0.0, "c1") is not None and kept_tail(result, None, zero, "c1") is None


def test_a_kept_tail_is_its_own_gold_s() -> None:
    # one kept outcome, written against no gold, its own gold (correct), an equal gold and no gold again
    pipeline._STILL_HITS.clear()
    pipeline._KEPT_IDS.clear()
    result = next(o for o in _outcomes() if is_kept(o) and "Pérez" in str(o.answer))
    right = Gold("Dr. Pérez", "2026-01-22", "16:30")
    for gold, correct in [(None, None), (right, True), (Gold("Dr. Pérez", "2026-01-22", "16:30"), True),
                          (None, None)]:
        tail = kept_tail(result, gold, 0.0, "c1")
        assert tail is not None and json.loads(head_line(1, 2.0, tail) or "")["correct"] is correct


def test_kept_tails_are_bounded() -> None:
    # more kept outcomes than the memo holds: each a prompt's, kept by the pipeline on a still clock
    pipeline._STILL_HITS.clear()
    pipeline._KEPT_IDS.clear()
    kept_records._TAILS.clear()
    clock = StillClock(5.0)
    stack, _ = _stack(clock, False, False)
    entry = encode_completion(Completion("qwen", "m", TEXTS[1], Usage(1, 1)))
    for n in range(kept_records._VALUES_MAX + 3):
        _, spec = pipeline._parse_call(f"bound {n}", False, 200)
        result = Driver(clock, {spec.key(): entry}).run(
            parse_appointment(stack, f"bound {n}", date(2026, 1, 22), clock.now()))
        assert is_kept(result) and kept_tail(result, None, 0.0, "c1") is not None
        assert len(kept_records._TAILS) <= kept_records._VALUES_MAX
