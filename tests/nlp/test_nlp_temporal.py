"""Resolution of Spanish date and time expressions: tables and properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.nlp.temporal import MONTHS, WEEKDAYS, resolve_date, resolve_time

REF = date(2026, 1, 22)  # a Thursday
WEEKDAYS_ES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


@pytest.mark.parametrize(
    ("expr", "kind", "resolved"),
    [
        ("hoy", "relative", "2026-01-22"),
        ("mañana", "relative", "2026-01-23"),
        ("Mañana", "relative", "2026-01-23"),
        ("manana", "relative", "2026-01-23"),
        ("pasado mañana", "relative", "2026-01-24"),
        ("el lunes", "weekday", "2026-01-26"),
        ("el próximo lunes", "weekday", "2026-01-26"),
        ("próximo lunes", "weekday", "2026-01-26"),
        ("el jueves", "weekday", "2026-01-29"),       # same weekday as the reference: next week's
        ("el viernes", "weekday", "2026-01-23"),
        ("el miercoles", "weekday", "2026-01-28"),
        ("el sábado que viene", "weekday", "2026-01-24"),
        ("el 5 de marzo", "absolute", "2026-03-05"),
        ("5 de marzo", "absolute", "2026-03-05"),
        ("el 22 de enero", "absolute", "2026-01-22"),  # on the reference day itself
        ("el 21 de enero", "absolute", "2027-01-21"),  # already past: next year
        ("el 15/03", "absolute", "2026-03-15"),
        ("15/3", "absolute", "2026-03-15"),
        ("el 10/01", "absolute", "2027-01-10"),
        ("15 de marzo de 2027", "absolute", "2027-03-15"),
        ("15/03/2027", "absolute", "2027-03-15"),
        ("15/03/27", "absolute", "2027-03-15"),
        ("29 de febrero", "absolute", "2028-02-29"),
        ("31 de febrero", "absolute", None),
        ("el 31/04", "absolute", None),
        ("29 de febrero de 2027", "absolute", None),
    ],
)
def test_date_table(expr: str, kind: str, resolved: str | None) -> None:
    got = resolve_date(expr, REF)
    assert got is not None
    assert (got.original, got.type, got.resolved) == (expr, kind, resolved)


@pytest.mark.parametrize("expr", ["", "ayer no", "el 5 de marzzo", "13/13/13/13", "lunes martes", "10am"])
def test_not_a_date(expr: str) -> None:
    assert resolve_date(expr, REF) is None


@pytest.mark.parametrize(
    ("expr", "resolved"),
    [
        ("10am", "10:00"),
        ("10 am", "10:00"),
        ("10 a.m.", "10:00"),
        ("3pm", "15:00"),
        ("3 PM", "15:00"),
        ("3:30pm", "15:30"),
        ("3:30 pm", "15:30"),
        ("12am", "00:00"),
        ("12pm", "12:00"),
        ("10:00", "10:00"),
        ("15:30", "15:30"),
        ("9:05", "09:05"),
        ("a las 15:30", "15:30"),
        ("a las 3 de la tarde", "15:00"),
        ("3 de la tarde", "15:00"),
        ("a las 9 de la mañana", "09:00"),
        ("a las 8 de la noche", "20:00"),
        ("a las 12 de la noche", "00:00"),
        ("a la 1 de la tarde", "13:00"),
        ("a las 3 y media de la tarde", "15:30"),
        ("a las 4 y cuarto de la tarde", "16:15"),
        ("al mediodía", "12:00"),
        ("mediodia", "12:00"),
        ("medianoche", "00:00"),
        ("a las 3", "03:00"),   # no period: 24-hour clock, as documented
        ("18 hrs", "18:00"),
    ],
)
def test_time_table(expr: str, resolved: str) -> None:
    got = resolve_time(expr)
    assert got is not None
    assert (got.original, got.resolved) == (expr, resolved)


@pytest.mark.parametrize(
    "expr",
    ["25:00", "24:00", "13pm", "0am", "10:60", "mañana", "", "de la tarde", "3 de la mañanas",
     "a las 15 de la mañana", "99 de la noche", "tarde"],
)
def test_invalid_or_not_a_time(expr: str) -> None:
    assert resolve_time(expr) is None


@settings(max_examples=200, deadline=None)
@given(reference=dates, weekday=st.integers(0, 6),
       form=st.sampled_from(["el {}", "el próximo {}", "{}", "próximo {}", "el {} que viene"]))
def test_weekday_is_first_such_day_strictly_after_reference(reference: date, weekday: int, form: str) -> None:
    # Chosen rule: "el lunes" and "el próximo lunes" both name the coming Monday, 1..7 days ahead
    # (on a Monday, "hoy" names today, so "el lunes" is next week's).
    got = resolve_date(form.format(WEEKDAYS_ES[weekday]), reference)
    assert got is not None and got.type == "weekday" and got.resolved is not None
    day = date.fromisoformat(got.resolved)
    assert 1 <= (day - reference).days <= 7
    assert day.weekday() == weekday


@settings(max_examples=200, deadline=None)
@given(reference=dates, ahead=st.integers(0, 364), numeric=st.booleans())
def test_day_month_is_next_occurrence_on_or_after(reference: date, ahead: int, numeric: bool) -> None:
    target = reference + timedelta(days=ahead)
    month = MONTHS[target.month - 1]
    expr = f"el {target.day}/{target.month:02d}" if numeric else f"el {target.day} de {month}"
    got = resolve_date(expr, reference)
    assert got is not None and got.type == "absolute"
    assert got.resolved == target.isoformat()


@settings(max_examples=200, deadline=None)
@given(target=dates, reference=dates)
def test_explicit_year_round_trips(target: date, reference: date) -> None:
    got = resolve_date(f"{target.day} de {MONTHS[target.month - 1]} de {target.year}", reference)
    assert got is not None and got.resolved == target.isoformat()


@settings(max_examples=100, deadline=None)
@given(reference=dates, pick=st.sampled_from([("hoy", 0), ("mañana", 1), ("pasado mañana", 2)]),
       upper=st.booleans())
def test_relative_offsets(reference: date, pick: tuple[str, int], upper: bool) -> None:
    word, offset = pick
    got = resolve_date(word.upper() if upper else word, reference)
    assert got is not None and got.type == "relative"
    assert got.resolved == (reference + timedelta(days=offset)).isoformat()


@settings(max_examples=200, deadline=None)
@given(h=st.integers(0, 23), m=st.integers(0, 59), padded=st.booleans())
def test_24h_form_round_trips(h: int, m: int, padded: bool) -> None:
    got = resolve_time(f"{h:02d}:{m:02d}" if padded else f"{h}:{m:02d}")
    assert got is not None and got.resolved == f"{h:02d}:{m:02d}"


@settings(max_examples=200, deadline=None)
@given(h12=st.integers(1, 12), m=st.integers(0, 59), pm=st.booleans(),
       suffix=st.sampled_from(["{}", " {}", " {}.", "{}"]), with_minutes=st.booleans())
def test_am_pm_mapping(h12: int, m: int, pm: bool, suffix: str, with_minutes: bool) -> None:
    marker = "pm" if pm else "am"
    if suffix == " {}.":
        marker = f"{marker[0]}.m"
    clock = f"{h12}:{m:02d}" if with_minutes else str(h12)
    got = resolve_time(clock + suffix.format(marker))
    expected_h = h12 % 12 + (12 if pm else 0)
    assert got is not None
    assert got.resolved == f"{expected_h:02d}:{(m if with_minutes else 0):02d}"


@settings(max_examples=100, deadline=None)
@given(h=st.integers(13, 99), pm=st.booleans())
def test_am_pm_rejects_hours_past_twelve(h: int, pm: bool) -> None:
    assert resolve_time(f"{h}{'pm' if pm else 'am'}") is None


@settings(max_examples=100, deadline=None)
@given(h=st.integers(24, 99), m=st.integers(0, 99))
def test_24h_rejects_impossible(h: int, m: int) -> None:
    assert resolve_time(f"{h}:{m:02d}") is None


@settings(max_examples=100, deadline=None)
@given(h=st.integers(1, 11))
def test_de_la_tarde_is_afternoon(h: int) -> None:
    got = resolve_time(f"a las {h} de la tarde")
    assert got is not None and got.resolved == f"{h + 12:02d}:00"


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=80), reference=dates)
def test_never_raises(text: str, reference: date) -> None:
    d = resolve_date(text, reference)
    t = resolve_time(text)
    assert d is None or d.type in ("relative", "weekday", "absolute")
    assert t is None or t.resolved is not None


def test_accent_folding_does_not_change_meaning() -> None:
    for name, plain in zip(WEEKDAYS_ES, WEEKDAYS, strict=True):
        a, b = resolve_date(f"el próximo {name}", REF), resolve_date(f"EL PROXIMO {plain.upper()}", REF)
        assert a is not None and b is not None and a.resolved == b.resolved
