"""The parsing agent's LLM wire contract: messages out, JSON answers in."""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_providers.corpus import REFERENCE_DATE, default_corpus
from gateway.nlp.entities import Ambiguity, DateExpression, Entities, ParseResult, TimeExpression
from gateway.nlp.llm_parse import (
    NEGOTIATE_MARKER,
    PARSE_MARKER,
    LlmAnswerError,
    build_negotiation_messages,
    build_parse_messages,
    parse_llm_answer,
)
from gateway.outcomes import Message

REF = date(2026, 1, 22)
GOOD = {"contacto": "Dr. Pérez", "fecha": "mañana", "hora": "10am", "lugar": None, "confidence": 0.92}


def test_markers_match_the_contract() -> None:
    assert PARSE_MARKER == "llmdrill:parse-appointment/v1"
    assert NEGOTIATE_MARKER == "llmdrill:negotiate/v1"


@settings(max_examples=100, deadline=None)
@given(prompt=st.text(max_size=200), short=st.booleans())
def test_parse_messages_carry_marker_and_prompt_verbatim(prompt: str, short: bool) -> None:
    messages = build_parse_messages(prompt, short)
    assert all(isinstance(m, Message) for m in messages)
    assert messages[0].role == "system" and PARSE_MARKER in messages[0].content
    users = [m for m in messages if m.role == "user"]
    assert users[-1] is messages[-1] and messages[-1].content == prompt


def test_short_prompt_is_shorter_and_keeps_the_schema() -> None:
    full, short = build_parse_messages("x", False)[0].content, build_parse_messages("x", True)[0].content
    assert len(short) < len(full) / 2
    for key in ("contacto", "fecha", "hora", "lugar", "confidence"):
        assert key in short and key in full


def test_good_answer_is_resolved() -> None:
    result = parse_llm_answer(json.dumps(GOOD, ensure_ascii=False), REF)
    assert result == ParseResult(
        Entities("Dr. Pérez", DateExpression("mañana", "relative", "2026-01-23"),
                 TimeExpression("10am", "10:00"), None),
        0.92, (), "llm")


@pytest.mark.parametrize(
    "wrap",
    ["{}", "  {}\n", "```json\n{}\n```", "```\n{}\n```", "```JSON {}```", "\n```json\n{}\n```\n"],
)
def test_fenced_or_padded_json_is_tolerated(wrap: str) -> None:
    result = parse_llm_answer(wrap.replace("{}", json.dumps(GOOD)), REF)
    assert result.entities.contacto == "Dr. Pérez"


def _with(**changes: Any) -> str:
    answer = {**GOOD, **changes}
    return json.dumps({k: v for k, v in answer.items() if v is not _DROP})


_DROP = object()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("```json\n{}", "unclosed"),
        ("Claro, aquí tienes: " + json.dumps(GOOD), "does not start with a JSON object"),
        (json.dumps(GOOD) + " Espero que te sirva.", "invalid JSON"),
        (json.dumps(GOOD)[:-5], "invalid JSON"),
        ("[1, 2]", "does not start with a JSON object"),
        ('{"contacto": null}', "missing key(s) fecha, hora, lugar, confidence"),
        (_with(contacto=_DROP), "missing key(s) contacto"),
        (_with(extra=1), "unexpected key(s) extra"),
        (_with(contacto=5), "'contacto' must be a string or null"),
        (_with(hora=["10am"]), "'hora' must be a string or null"),
        (_with(confidence="0.9"), "'confidence' must be a number"),
        (_with(confidence=True), "'confidence' must be a number"),
        (_with(confidence=1.5), "within [0, 1]"),
        (_with(confidence=-0.1), "within [0, 1]"),
        ('{"contacto": null, "fecha": null, "hora": null, "lugar": null, "confidence": NaN}',
         "within [0, 1]"),
        ('{"a":' * 9000 + "1" + "}" * 9000, "invalid JSON"),
        (" " * 70_000, "too long"),
    ],
)
def test_bad_answers_raise_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(LlmAnswerError) as info:
        parse_llm_answer(text, REF)
    assert reason in info.value.reason
    assert isinstance(info.value, ValueError)


def test_nulls_and_unresolvable_expressions_become_ambiguities() -> None:
    text = json.dumps(
        {"contacto": "", "fecha": "cuando pueda", "hora": "25:00", "lugar": None, "confidence": 1})
    result = parse_llm_answer(text, REF)
    assert result.entities.contacto is None
    assert result.entities.fecha == DateExpression("cuando pueda", "relative", None)
    assert result.entities.hora == TimeExpression("25:00", None)
    assert [(a.field, a.issue) for a in result.ambiguities] == [
        ("contacto", "missing"), ("fecha", "unresolved"), ("hora", "unresolved")]
    assert result.confidence == 1.0


def test_gold_answers_resolve_to_gold() -> None:
    # What the fakes send for a known prompt resolves to the corpus' own fecha_iso and hora_hhmm.
    for case in default_corpus():
        answer = {"contacto": case.contacto, "fecha": case.fecha, "hora": case.hora, "lugar": case.lugar,
                  "confidence": 0.9}
        result = parse_llm_answer(json.dumps(answer, ensure_ascii=False), REFERENCE_DATE)
        e = result.entities
        assert e.contacto == case.contacto and e.lugar == case.lugar
        assert (e.fecha.resolved if e.fecha else None) == case.fecha_iso
        assert (e.hora.resolved if e.hora else None) == case.hora_hhmm
        assert {a.field for a in result.ambiguities} == {
            f for f in ("contacto", "fecha", "hora") if getattr(case, f) is None}


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_parses_or_raises_llm_answer_error(text: str) -> None:
    try:
        result = parse_llm_answer(text, REF)
    except LlmAnswerError as exc:
        assert exc.reason
    else:
        assert result.source == "llm"


field_value = st.one_of(st.none(), st.text(max_size=40))


@settings(max_examples=200, deadline=None)
@given(contacto=field_value, fecha=field_value, hora=field_value, lugar=field_value,
       confidence=st.floats(0, 1) | st.integers(0, 1), fence=st.booleans())
def test_any_well_typed_answer_is_accepted(contacto: str | None, fecha: str | None, hora: str | None,
                                           lugar: str | None, confidence: float, fence: bool) -> None:
    body = json.dumps({"contacto": contacto, "fecha": fecha, "hora": hora, "lugar": lugar,
                       "confidence": confidence})
    result = parse_llm_answer(f"```json\n{body}\n```" if fence else body, REF)
    assert math.isclose(result.confidence, confidence)
    assert result.entities.contacto == ((contacto or "").strip() or None)
    json.dumps(result.to_json())


def test_negotiation_messages() -> None:
    fecha = DateExpression("mañana", "relative", "2026-01-23")
    parsed = ParseResult(Entities("Dra. Núñez", fecha, None, None),
                         0.8, (Ambiguity("hora", "missing", "Falta la hora"),), "llm")
    messages = build_negotiation_messages(parsed)
    assert messages[0].role == "system" and NEGOTIATE_MARKER in messages[0].content
    assert PARSE_MARKER not in messages[0].content
    assert messages[-1].role == "user"
    assert "Dra. Núñez" in messages[-1].content and "2026-01-23" in messages[-1].content
