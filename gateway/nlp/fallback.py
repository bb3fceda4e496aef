"""The no-LLM fallback parser: the runbook's regex parser, done right.

The runbook's own (kept verbatim in ``runbook_regex_parse`` as the baseline)
matches names with ``[A-Z][a-z]+`` and so drops "Pérez"; takes the first digits
anywhere as the hour (the 5 of "el 5 de marzo"); reads the "mañana" of "de la
mañana" as tomorrow; and keeps the title out of the name. This one:

- finds date and time expressions on an accent-free, lower-cased copy of the
  prompt that keeps every character at its index, then slices the original
  words out and resolves them with ``temporal``;
- finds the contact as a title (Dr., Dra., Lic., Ing., Sr., Sra., Prof., ...)
  followed by names, or as capitalised names after "con"; any Unicode letter;
- finds the place after "en" (a place noun plus its name or number, or
  capitalised names);
- reports one ``Ambiguity(field, "missing", ...)`` for each of contacto, fecha
  and hora it could not find (the place is optional for an appointment, so its
  absence is not an ambiguity) and ``"unresolved"`` for an expression that
  names no real day or time.

Every pattern is linear in the input (bounded or disjoint quantifiers), so a
100 KB prompt costs milliseconds. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from .entities import Ambiguity, DateExpression, Entities, ParseResult, TimeExpression
from .temporal import MONTHS, WEEKDAYS, resolve_date, resolve_time
from .text import clean, fold

__all__ = ["FALLBACK_CONFIDENCE", "parse_with_regex", "runbook_regex_parse"]

FALLBACK_CONFIDENCE = 0.6

_MISSING = {
    "contacto": "No se pudo extraer el contacto (¿con quién es la cita?)",
    "fecha": "No se pudo extraer la fecha (¿qué día?)",
    "hora": "No se pudo extraer la hora (¿a qué hora?)",
}

_MONTH_ALT = "|".join((*MONTHS, "setiembre"))
_DATE_FIND = re.compile(
    r"(?<![\w/])(?:"
    rf"\d{{1,2}} de (?:{_MONTH_ALT})(?:,? (?:de |del )?\d{{4}})?"
    r"|\d{1,2}/\d{1,2}(?:/(?:\d{4}|\d{2}))?"
    r"|pasado manana|(?<!de la )(?<!por la )(?<!en la )manana|hoy"
    rf"|(?:(?:proximo|siguiente) )?(?:{'|'.join(WEEKDAYS)})"
    r")(?![\w/])"
)
_TIME_FIND = re.compile(
    r"(?<![\w:/.])(?:"
    r"mediodia|medianoche"
    r"|\d{1,2}(?::\d{2})? ?(?:a\.? ?m\.?|p\.? ?m\.?)(?!\w)"
    r"|\d{1,2}(?::\d{2}| y media| y cuarto)? (?:de|por|en) la (?:manana|tarde|noche|madrugada)"
    r"|\d{1,2}:\d{2}(?: ?(?:hrs|hr|horas))?"
    r"|(?<=a las )\d{1,2}|(?<=a la )1"
    r")(?![\w:/])"
)
_TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|\d+|[^\w\s]")

_TITLES = frozenset(
    {"dr", "dra", "doctor", "doctora", "lic", "licda", "licenciado", "licenciada", "ing", "ingeniero",
     "ingeniera", "sr", "sra", "srta", "prof", "profa", "mtro", "mtra", "arq"}
)
_PARTICLES = frozenset({"de", "del", "la", "las", "los", "y"})
_PLACE_NOUNS = frozenset(
    {"clinica", "consultorio", "hospital", "oficina", "sucursal", "sala", "centro", "edificio", "torre",
     "calle", "avenida", "av", "plaza", "colonia", "despacho", "laboratorio", "sede"}
)
# Words that are never a name even when capitalised (sentence starts, dates, times).
_STOP = frozenset(
    {*WEEKDAYS, *MONTHS, "hoy", "manana", "pasado", "proximo", "siguiente", "mediodia", "medianoche",
     "tarde", "noche", "cita", "citas", "a", "al", "el", "la", "las", "los", "lo", "en", "con", "de", "del",
     "para", "por", "y", "o", "que", "un", "una", "me", "mi", "favor", "gracias", "hola", "necesito",
     "quiero", "quisiera", "agenda", "agendar", "reserva", "reservar", "programa", "hazme", "oye",
     "buenos", "dias", "buenas", "ver", "cuando", "semana", "este", "esta", "es", "am", "pm"}
)
_MAX_NAME_WORDS = 4


class _Tokens:
    """The cleaned prompt as word/number/punctuation tokens with their spans."""

    __slots__ = ("folded", "spans", "text", "words")

    def __init__(self, text: str, folded: str) -> None:
        self.text = text
        self.folded = folded
        self.spans = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
        self.words = [folded[a:b] for a, b in self.spans]

    def adjacent(self, i: int, gap: str = " ") -> bool:
        """Token ``i`` follows token ``i - 1`` after exactly ``gap``."""
        if not 0 < i < len(self.spans):
            return False
        return self.text[self.spans[i - 1][1]:self.spans[i][0]] == gap

    def is_name(self, i: int) -> bool:
        raw = self.text[self.spans[i][0]:self.spans[i][1]]
        return raw[:1].isupper() and raw[:1].isalpha() and self.words[i] not in _STOP

    def is_word(self, i: int) -> bool:
        raw = self.text[self.spans[i][0]:self.spans[i][1]]
        return raw[:1].isalpha() and self.words[i] not in _STOP

    def names_from(self, i: int) -> int:
        """Index one past the run of capitalised names starting at ``i`` (== ``i`` if none)."""
        j, count = i, 0
        while j < len(self.spans) and count < _MAX_NAME_WORDS and (j == i or self.adjacent(j)):
            if self.is_name(j):
                j, count = j + 1, count + 1
                continue
            # "Juan de la Torre": particles count only between two names.
            k = j
            while (count and k - j < 3 and k < len(self.spans) and self.words[k] in _PARTICLES
                   and self.adjacent(k)):
                k += 1
            if k > j and k < len(self.spans) and self.adjacent(k) and self.is_name(k):
                j = k
                continue
            break
        return j

    def slice(self, i: int, j: int) -> str:
        return self.text[self.spans[i][0]:self.spans[j - 1][1]]


def _title_contact(t: _Tokens) -> str | None:
    for i, word in enumerate(t.words):
        if word not in _TITLES or not t.text[t.spans[i][0]].isalpha():
            continue
        after = i + 1
        if after < len(t.spans) and t.words[after] == "." and t.adjacent(after, gap=""):
            after += 1
        if after >= len(t.spans) or not t.adjacent(after):
            continue
        end = t.names_from(after)
        if end == after and t.is_word(after):
            end = after + 1     # "dr. pérez" typed in lower case: one word, no more
        if end > after:
            return t.slice(i, end)
    return None


def _con_contact(t: _Tokens) -> str | None:
    for i, word in enumerate(t.words):
        if word != "con":
            continue
        start = i + 1
        if start < len(t.spans) and t.words[start] in ("el", "la") and t.adjacent(start):
            start += 1
        if start < len(t.spans) and t.adjacent(start):
            end = t.names_from(start)
            if end > start:
                return t.slice(start, end)
    return None


def _place(t: _Tokens) -> str | None:
    for i, word in enumerate(t.words):
        if word != "en":
            continue
        start = i + 1
        if start < len(t.spans) and t.words[start] in ("el", "la", "los", "las") and t.adjacent(start):
            start += 1
        if start >= len(t.spans) or not t.adjacent(start):
            continue
        if t.words[start] in _PLACE_NOUNS:
            end = start + 1
            if end < len(t.spans) and t.adjacent(end) and (t.words[end].isdigit() or t.is_name(end)):
                end = t.names_from(end) if t.is_name(end) else end + 1
            return t.slice(start, end)
        end = t.names_from(start)
        if end > start:
            return t.slice(start, end)
    return None


def _find_date(text: str, folded: str, reference: date) -> tuple[DateExpression | None, Ambiguity | None]:
    m = _DATE_FIND.search(folded)
    if m is None:
        return None, Ambiguity("fecha", "missing", _MISSING["fecha"])
    found = resolve_date(text[m.start():m.end()], reference)
    if found is None:   # the finder and the resolver disagree: say so rather than guess
        return None, Ambiguity("fecha", "missing", _MISSING["fecha"])
    if found.resolved is None:
        return found, Ambiguity("fecha", "unresolved", f"La fecha «{found.original}» no existe")
    return found, None


def _find_time(text: str, folded: str) -> tuple[TimeExpression | None, Ambiguity | None]:
    m = _TIME_FIND.search(folded)
    if m is None:
        return None, Ambiguity("hora", "missing", _MISSING["hora"])
    original = text[m.start():m.end()]
    found = resolve_time(original)
    if found is None:
        message = f"La hora «{original}» no es válida"
        return TimeExpression(original, None), Ambiguity("hora", "unresolved", message)
    return found, None


def parse_with_regex(prompt: str, reference: date) -> ParseResult:
    """Entities from ``prompt`` without an LLM; confidence 0.6, source "regex"."""
    text = clean(prompt) if isinstance(prompt, str) else ""
    folded = fold(text)
    tokens = _Tokens(text, folded)
    contacto = _title_contact(tokens) or _con_contact(tokens)
    fecha, fecha_issue = _find_date(text, folded, reference)
    hora, hora_issue = _find_time(text, folded)
    ambiguities = [
        *([] if contacto else [Ambiguity("contacto", "missing", _MISSING["contacto"])]),
        *([fecha_issue] if fecha_issue else []),
        *([hora_issue] if hora_issue else []),
    ]
    return ParseResult(
        entities=Entities(contacto=contacto, fecha=fecha, hora=hora, lugar=_place(tokens)),
        confidence=FALLBACK_CONFIDENCE,
        ambiguities=tuple(ambiguities),
        source="regex",
    )


def runbook_regex_parse(prompt: str) -> dict[str, Any]:
    """The runbook's ``parse_with_regex``, verbatim in its matching, as a plain dict.

    Kept only as the baseline that ``parse_with_regex`` is measured against.
    """
    contacto_match = re.search(r'(?:con|dr\.?|dra\.?)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)', prompt)
    contacto = contacto_match.group(1) if contacto_match else None

    hora_match = re.search(r'(\d{1,2})(?::(\d{2}))?\s*(am|pm)?', prompt)
    hora = hora_match.group(0) if hora_match else None

    fecha = None
    if "mañana" in prompt.lower():
        fecha = "mañana"
    elif "hoy" in prompt.lower():
        fecha = "hoy"

    return {
        "contacto": contacto,
        "hora": hora,
        "fecha": {"original": fecha, "type": "relative"} if fecha else None,
        "confidence": 0.6,
        "ambiguities": [] if fecha and contacto else [
            {"field": "fecha", "issue": "missing", "message": "No se pudo extraer fecha"}
        ],
    }
