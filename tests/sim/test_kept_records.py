"""The twin's kept record values of a kept outcome are what working them out afresh gives.

``sim.kept_records.kept_answer_values`` keeps, per outcome the pipeline keeps and per gold, the record
values of the answer; checked over generated sequences of kept outcomes (cache hits on a clock that stands
still), fresh ones and golds (equal golds as distinct objects too) against ``answer_values`` of the
rendered body.
"""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.core import pipeline
from gateway.core.cache_entry import encode_completion
from gateway.core.parse_outcome import ParseOutcome
from gateway.core.pipeline import is_kept, parse_appointment
from gateway.outcomes import Completion, Usage
from gateway.service.render import parse_body
from sim import kept_records
from sim.kept_records import kept_answer_values
from tests.core.test_still_hits import Driver, StillClock, _answer, _stack
from workload.outcome import answer_values
from workload.prompts import Gold

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
