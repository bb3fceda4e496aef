"""The no-LLM agents' answers, kept per parse (``gateway.core.agents``), are what computing them afresh gives."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.core import agents
from gateway.core.agents import AgentAnswers, for_answer, for_regex
from gateway.nlp import LlmAnswerError, parse_llm_answer, parse_with_regex

contacts = st.one_of(st.none(), st.sampled_from(["Dra. Ruiz", "Juan", "la clínica"]), st.text(max_size=6))
dates = st.one_of(st.none(), st.sampled_from(["mañana", "hoy", "el lunes", "2026-03-05", "ayer", "el 31 de febrero"]))
hours = st.one_of(st.none(), st.sampled_from(["10am", "9:30", "22:00", "6am", "a las 5 de la tarde", "25:00"]))
places = st.one_of(st.none(), st.sampled_from(["Polanco", "centro", "Hospital Ángeles", "Calle 5"]),
                   st.text(max_size=8))
references = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


def _answer(contacto: Any, fecha: Any, hora: Any, lugar: Any, confidence: float) -> str:
    return json.dumps({"contacto": contacto, "fecha": fecha, "hora": hora, "lugar": lugar,
                       "confidence": confidence}, ensure_ascii=False)


def _afresh(answers: AgentAnswers) -> tuple[Any, ...]:
    fresh = AgentAnswers(answers.result, answers.reference)   # nothing kept yet: every value computed now
    return fresh.body(), fresh.geo(), fresh.validation(), fresh.availability(), fresh.confirmed()


@settings(max_examples=150, deadline=None)
@given(contacts, dates, hours, places, st.floats(0, 1), references)
def test_a_kept_answer_is_the_answer_computed_afresh(contacto: Any, fecha: Any, hora: Any, lugar: Any,
                                                     confidence: float, reference: date) -> None:
    text = _answer(contacto, fecha, hora, lugar, confidence)
    try:
        want = parse_llm_answer(text, reference)
    except LlmAnswerError:
        with pytest.raises(LlmAnswerError):
            for_answer(text, reference)
        return
    for _ in range(2):   # the first ask computes and keeps, the second is answered from the memo
        kept = for_answer(text, reference)
        assert kept.result == want and kept.reference == reference
        got = (kept.body(), kept.geo(), kept.validation(), kept.availability(), kept.confirmed())
        assert got == _afresh(kept)
    # the next day's parse of the same text is its own (relative dates resolve against the reference)
    other = for_answer(text, reference + timedelta(days=1))
    assert other.result == parse_llm_answer(text, reference + timedelta(days=1))


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["Cita con la Dra. Ruiz mañana a las 10am en Polanco", "quiero cita el lunes",
                        "Juan, hoy 9:30", ""]) | st.text(max_size=30), references)
def test_a_kept_regex_parse_is_the_regex_parse(prompt: str, reference: date) -> None:
    for _ in range(2):
        kept = for_regex(prompt, reference)
        assert kept.result == parse_with_regex(prompt, reference)
        assert (kept.body(), kept.geo(), kept.validation(), kept.availability(), kept.confirmed()) \
            == _afresh(kept)


def test_each_body_is_a_top_level_of_its_own() -> None:
    kept = for_answer(_answer("Juan", "mañana", "10am", "centro", 0.9), date(2026, 1, 5))
    first = kept.body()
    first["geo"] = kept.geo()   # what the pipeline does to its body
    assert "geo" not in kept.body() and kept.body() == kept.result.to_json()


def test_a_full_memo_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agents, "MEMO_MAX", 3)
    agents._BY_ANSWER.clear()
    reference = date(2026, 1, 5)
    for i in range(7):
        for_answer(_answer(f"P{i}", "mañana", "10am", None, 0.5), reference)
        assert 1 <= len(agents._BY_ANSWER) <= 3
    assert for_answer(_answer("P6", "mañana", "10am", None, 0.5), reference).result.entities.contacto == "P6"
