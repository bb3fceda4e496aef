"""Entity values: validation, the API's JSON shape, and the package's public surface."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gateway.nlp as nlp
from gateway.nlp.entities import Ambiguity, DateExpression, Entities, ParseResult, TimeExpression


def test_to_json_matches_the_parse_api_shape() -> None:
    result = ParseResult(
        Entities("Dr. Pérez", DateExpression("mañana", "relative", "2026-01-23"),
                 TimeExpression("10am", "10:00"), "Polanco"),
        0.6, (Ambiguity("lugar", "missing", "Falta el lugar"),), "regex")
    assert result.to_json() == {
        "entities": {
            "contacto": "Dr. Pérez",
            "fecha": {"original": "mañana", "type": "relative", "resolved": "2026-01-23"},
            "hora": {"original": "10am", "resolved": "10:00"},
            "lugar": "Polanco",
        },
        "confidence": 0.6,
        "ambiguities": [{"field": "lugar", "issue": "missing", "message": "Falta el lugar"}],
    }
    assert Entities().to_json() == {"contacto": None, "fecha": None, "hora": None, "lugar": None}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: DateExpression("x", "tomorrow", None), "DateExpression.type"),  # type: ignore[arg-type]
        (lambda: DateExpression("x", "absolute", "2026-02-30"), "DateExpression.resolved"),
        (lambda: TimeExpression("x", "24:00"), "TimeExpression.resolved"),
        (lambda: TimeExpression("x", "9:00"), "TimeExpression.resolved"),
        (lambda: Ambiguity("telefono", "missing", "x"), "Ambiguity.field"),
        (lambda: ParseResult(Entities(), 1.2), "confidence"),
        (lambda: ParseResult(Entities(), float("nan")), "confidence"),
        (lambda: ParseResult(Entities(), True), "confidence"),
        (lambda: ParseResult(Entities(), 0.5, (), "cache"), "source"),  # type: ignore[arg-type]
    ],
)
def test_invalid_values_are_refused_by_name(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_values_are_frozen() -> None:
    t = TimeExpression("10am", "10:00")
    with pytest.raises(AttributeError):
        t.resolved = "11:00"  # type: ignore[misc]


@settings(max_examples=100, deadline=None)
@given(h=st.integers(0, 23), m=st.integers(0, 59), d=st.dates(), conf=st.floats(0, 1),
       contact=st.none() | st.text(max_size=20))
def test_to_json_is_json_and_round_trips_values(h: int, m: int, d: object, conf: float,
                                                contact: str | None) -> None:
    hhmm = f"{h:02d}:{m:02d}"
    result = ParseResult(Entities(contact, DateExpression("x", "absolute", d.isoformat()),  # type: ignore[attr-defined]
                                  TimeExpression("y", hhmm)), conf)
    back = json.loads(json.dumps(result.to_json()))
    assert back["entities"]["hora"]["resolved"] == hhmm
    assert back["entities"]["fecha"]["resolved"] == d.isoformat()  # type: ignore[attr-defined]
    assert back["entities"]["contacto"] == contact
    assert back["confidence"] == conf


def test_public_surface_is_exactly_all() -> None:
    public = {n for n in dir(nlp) if not n.startswith("_")}
    modules = {"entities", "fallback", "llm_parse", "temporal", "text"}
    assert public - modules == set(nlp.__all__)
    for name in nlp.__all__:
        assert getattr(nlp, name) is not None
