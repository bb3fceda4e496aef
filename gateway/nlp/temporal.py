"""Deterministic resolution of Spanish date and time expressions.

Rules, chosen so that the gold corpus and the gateway agree:

- "hoy", "mañana", "pasado mañana": the reference day plus 0, 1, 2.
- "el lunes", "el próximo lunes", "el siguiente lunes", "el lunes que viene": the
  first Monday *strictly after* the reference (1..7 days ahead). On a Monday,
  "el lunes" means next week's: today would be "hoy". "Próximo" is read as in
  everyday use (the coming one), not as "the one of next week".
- "el 5 de marzo", "el 15/03": the next such day on or after the reference
  (29 February: the next leap year's). With a year ("15 de marzo de 2027",
  "15/03/27"): that day.
- A day that does not exist ("31 de febrero") is still a date expression: it
  comes back with ``resolved=None`` so the caller can say what is wrong.
- Times: "10am", "3:30 pm", "15:30", "a las 3 de la tarde", "9 de la mañana",
  "8 de la noche", "3 y media de la tarde", "al mediodía", "medianoche". An hour
  with no period ("a las 3") is read on the 24-hour clock. Impossible times
  ("25:00", "13pm") resolve to ``None``.

Anything unrecognised gives ``None``; nothing here raises on any string.
Accents and case do not matter ("manana", "PROXIMO LUNES"). Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from .entities import DateExpression, DateType, TimeExpression
from .text import clean, fold

__all__ = ["MONTHS", "WEEKDAYS", "resolve_date", "resolve_time", "time_from_parts"]

#: Accent-free names, Monday first (``date.weekday()`` order) and January first.
WEEKDAYS: tuple[str, ...] = ("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo")
MONTHS: tuple[str, ...] = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)
_MONTH_ALT = "|".join((*MONTHS, "setiembre"))
_WEEKDAY_ALT = "|".join(WEEKDAYS)

# Inputs are cleaned (single spaces) and folded before these run; every
# quantifier is bounded or over a disjoint class, so matching is linear.
_RELATIVE = {"hoy": 0, "manana": 1, "pasado manana": 2}
_LEAD = r"(?:(?:para )?(?:el |este )?(?:dia )?)?"
_WEEKDAY_RE = re.compile(
    _LEAD + rf"(?:(?:proximo|siguiente) )?(?P<wd>{_WEEKDAY_ALT})(?: (?:proximo|que viene|siguiente))?"
)
_DAY_MONTH_RE = re.compile(
    _LEAD + rf"(?P<d>\d{{1,2}}) de (?P<m>{_MONTH_ALT})(?:,? (?:de |del )?(?P<y>\d{{4}}))?"
)
_NUMERIC_RE = re.compile(_LEAD + r"(?P<d>\d{1,2})/(?P<m>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?")

_TIME_LEAD = r"(?:(?:a eso de |a |para )?(?:las |la |al ))?"
_AMPM_RE = re.compile(
    _TIME_LEAD + r"(?P<h>\d{1,2})(?::(?P<m>\d{2}))? ?(?P<p>a\.? ?m\.?|p\.? ?m\.?)"
)
_CLOCK_RE = re.compile(
    _TIME_LEAD
    + r"(?P<h>\d{1,2})(?::(?P<m>\d{2})| y (?P<frac>media|cuarto))?"
    + r"(?: (?:de|por|en) la (?P<p>manana|tarde|noche|madrugada)| ?(?:hrs|hr|h|horas))?"
)
_NOON_RE = re.compile(_TIME_LEAD + r"(?P<w>mediodia|medianoche)")


def _next_on_or_after(day: int, month: int, reference: date) -> date | None:
    # 8 years always include a leap year, so 29 February is found too.
    for year in range(reference.year, reference.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= reference:
            return candidate
    return None


def _absolute(day: int, month: int, year: str | None, reference: date) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    if year is None:
        found = _next_on_or_after(day, month, reference)
        return found.isoformat() if found else None
    full_year = int(year) + (2000 if len(year) == 2 else 0)
    try:
        return date(full_year, month, day).isoformat()
    except ValueError:
        return None


def _days_after(reference: date, days: int) -> str | None:
    try:
        return (reference + timedelta(days=days)).isoformat()
    except OverflowError:   # past 9999-12-31: there is no calendar day to name
        return None


#: both resolvers are pure and their results immutable, and a parse asks them again for every new answer
#: text of the same expressions ("mañana", "10am"): their answers by plain str (and date), bounded (a full
#: memo starts again); ``None`` answers are kept too
_DATES: dict[tuple[str, date], DateExpression | None] = {}
_TIMES: dict[str, TimeExpression | None] = {}
_MEMO_MAX = 4096


def resolve_date(expr: str, reference: date) -> DateExpression | None:
    """The day ``expr`` names, seen from ``reference``; ``None`` if it is no date expression."""
    if type(expr) is not str or type(reference) is not date:
        return _resolve_date(expr, reference)
    key = (expr, reference)
    try:
        return _DATES[key]
    except KeyError:
        pass
    found = _resolve_date(expr, reference)
    if len(_DATES) >= _MEMO_MAX:
        _DATES.clear()
    _DATES[key] = found
    return found


def _resolve_date(expr: str, reference: date) -> DateExpression | None:
    if not isinstance(expr, str) or len(expr) > 200:
        return None
    original = clean(expr)
    text = fold(original).rstrip(".,;:!?")
    kind: DateType
    resolved: str | None
    if (offset := _RELATIVE.get(text.removeprefix("para "))) is not None:
        kind, resolved = "relative", _days_after(reference, offset)
    elif m := _WEEKDAY_RE.fullmatch(text):
        ahead = (WEEKDAYS.index(m["wd"]) - reference.weekday() - 1) % 7 + 1
        kind, resolved = "weekday", _days_after(reference, ahead)
    elif m := _DAY_MONTH_RE.fullmatch(text):
        month = 9 if m["m"] == "setiembre" else MONTHS.index(m["m"]) + 1
        kind, resolved = "absolute", _absolute(int(m["d"]), month, m["y"], reference)
    elif m := _NUMERIC_RE.fullmatch(text):
        kind, resolved = "absolute", _absolute(int(m["d"]), int(m["m"]), m["y"], reference)
    else:
        return None
    return DateExpression(original=original, type=kind, resolved=resolved)


def time_from_parts(hour: int, minute: int, period: str | None) -> str | None:
    """``HH:MM`` for an hour, minute and period ("am", "pm", "manana", "tarde", "noche",
    "madrugada", or ``None`` for the 24-hour clock); ``None`` if impossible."""
    if not 0 <= minute <= 59:
        return None
    h: int | None
    if period is None:
        h = hour if 0 <= hour <= 23 else None
    elif period in ("am", "pm"):
        h = hour % 12 + (12 if period == "pm" else 0) if 1 <= hour <= 12 else None
    elif period == "manana":
        h = hour if 1 <= hour <= 12 else None
    elif period == "madrugada":
        h = hour % 12 if 1 <= hour <= 6 or hour == 12 else None
    elif period == "tarde":
        # "12 de la tarde" is noon; "15 de la tarde" is already on the 24-hour clock.
        h = hour + 12 if 1 <= hour <= 11 else hour if 12 <= hour <= 21 else None
    elif period == "noche":
        # "2 de la noche" is past midnight; "12 de la noche" is midnight.
        if 1 <= hour <= 5:
            h = hour
        elif 6 <= hour <= 11:
            h = hour + 12
        elif hour == 12:
            h = 0
        else:
            h = hour if 18 <= hour <= 23 else None
    else:
        return None
    return None if h is None else f"{h:02d}:{minute:02d}"


def _time_from_match(m: re.Match[str]) -> str | None:
    groups = m.groupdict()
    if "w" in groups:
        return "12:00" if m["w"] == "mediodia" else "00:00"
    minute = {"media": 30, "cuarto": 15}[m["frac"]] if groups.get("frac") else int(m["m"] or 0)
    period = m["p"]
    if period is not None and period[0] in "ap":     # "a.m.", "p. m." -> "am", "pm"
        period = period[0] + "m"
    return time_from_parts(int(m["h"]), minute, period)


def resolve_time(expr: str) -> TimeExpression | None:
    """The clock time ``expr`` names (24-hour ``HH:MM``); ``None`` if it is none or impossible."""
    if type(expr) is not str:
        return _resolve_time(expr)
    try:
        return _TIMES[expr]
    except KeyError:
        pass
    found = _resolve_time(expr)
    if len(_TIMES) >= _MEMO_MAX:
        _TIMES.clear()
    _TIMES[expr] = found
    return found


def _resolve_time(expr: str) -> TimeExpression | None:
    if not isinstance(expr, str) or len(expr) > 200:
        return None
    original = clean(expr)
    text = fold(original).rstrip(",;:!?")
    for pattern in (_NOON_RE, _AMPM_RE, _CLOCK_RE):
        m = pattern.fullmatch(text) or pattern.fullmatch(text.rstrip("."))
        if m:
            resolved = _time_from_match(m)
            return TimeExpression(original=original, resolved=resolved) if resolved else None
    return None
