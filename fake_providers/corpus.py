"""The seeded gold corpus of Spanish appointment prompts (contract section 3).

Each case is generated *from* its answer: a target date and time are drawn
first and then written out as a Spanish expression, so ``fecha_iso`` and
``hora_hhmm`` are right by construction instead of by a second parser (this
package may not import ``gateway``).

Labelling conventions, shared with the parsing agent's LLM contract:

- ``contacto`` is the person with their title as written ("Dr. Pérez",
  "Dra. Ana Núñez", "Ana Gómez"), without "con", "el", "la", "al".
- ``fecha`` and ``hora`` are substrings of the prompt without a leading
  article or preposition: "próximo lunes" (not "el próximo lunes"),
  "5 de marzo", "3 de la tarde" (not "a las 3 de la tarde"), "mediodía".
- ``lugar`` is what follows "en" and its article: "clínica Norte", "Polanco".

Weekdays ("el lunes", "el próximo lunes") resolve to the first such day
strictly after the reference date (1..7 days ahead); day-and-month dates to
their next occurrence on or after it.

Pure: no I/O, no clock, no imports from other project packages.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

__all__ = [
    "CORPORA",
    "OPENING_HOURS",
    "REFERENCE_DATE",
    "CorpusIndex",
    "GoldCase",
    "default_corpus",
    "generate_corpus",
    "is_bookable",
]

REFERENCE_DATE = date(2026, 1, 22)

#: The clinic's opening hours, inclusive: the booking rule the gold is judged by.  The stack's
#: validation agent is expected to enforce the same rule; it is the system under test and this is
#: the oracle, so the two are written apart on purpose (a drifted validator shows as false positives).
OPENING_HOURS = ("07:00", "21:00")


def is_bookable(contacto: str | None, fecha_iso: str | None, hora_hhmm: str | None,
                reference_iso: str | None = None) -> bool:
    """A request validation should accept: a contact, a date not before the reference, a time the clinic is open."""
    if contacto is None or fecha_iso is None or hora_hhmm is None:
        return False
    if reference_iso is not None and fecha_iso < reference_iso:
        return False
    return OPENING_HOURS[0] <= hora_hhmm <= OPENING_HOURS[1]

_WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)
_SURNAMES = (
    "Pérez", "Muñoz", "Núñez", "Ibáñez", "Sánchez", "Gómez", "López", "Martínez", "Fernández",
    "Peña", "García", "Rodríguez", "Hernández", "Díaz", "Álvarez", "Ruiz", "Ortiz", "Castillo",
    "Vega", "Orozco", "Domínguez", "Jiménez", "Ríos", "Chávez", "Ramírez",
)
_FIRST_NAMES = (
    "Ana", "Luis", "María", "José", "Carmen", "Jorge", "Lucía", "Andrés", "Sofía", "Raúl",
    "Inés", "Iván", "Óscar", "Ángela", "Ramón", "Elena", "Tomás", "Begoña", "Julián", "Mónica",
)
_TITLES_M = ("Dr.", "Lic.", "Ing.")
_TITLES_F = ("Dra.", "Lic.", "Ing.")
_FEMALE = frozenset(
    {"Ana", "María", "Carmen", "Lucía", "Sofía", "Inés", "Ángela", "Elena", "Begoña", "Mónica"}
)
_VERBS = (
    "cita", "agenda una cita", "agendar cita", "necesito cita", "necesito una cita",
    "quiero reservar", "quiero reservar una cita", "reserva una cita", "programa una cita",
    "me agendas una cita", "quisiera una cita", "hazme una cita", "quiero una cita",
)
_OPENERS = ("", "", "", "hola, ", "buenos días, ", "oye, ", "por favor ")
_CLOSERS = ("", "", "", " por favor", ", gracias", ".", "?")
_PLACES = (
    ("en la clínica Norte", "clínica Norte"),
    ("en la clínica Sur", "clínica Sur"),
    ("en Polanco", "Polanco"),
    ("en Coyoacán", "Coyoacán"),
    ("en el consultorio 3", "consultorio 3"),
    ("en el consultorio 12", "consultorio 12"),
    ("en el hospital Ángeles", "hospital Ángeles"),
    ("en la sucursal Centro", "sucursal Centro"),
)


@dataclass(frozen=True, slots=True)
class GoldCase:
    id: str
    prompt: str
    contacto: str | None
    fecha: str | None
    fecha_iso: str | None
    hora: str | None
    hora_hhmm: str | None
    lugar: str | None


@dataclass(frozen=True, slots=True)
class _Part:
    """One written piece of a prompt and the label it carries."""

    text: str
    label: str | None


def _date_part(rng: random.Random, reference: date) -> tuple[_Part, str] | None:
    kind = rng.choices(
        ("none", "relative", "weekday", "day_month", "numeric", "full"),
        weights=(1, 4, 4, 3, 2, 1),
    )[0]
    if kind == "none":
        return None
    if kind == "relative":
        word, offset = rng.choice((("hoy", 0), ("mañana", 1), ("pasado mañana", 2)))
        return _Part(word, word), (reference + timedelta(days=offset)).isoformat()
    if kind == "weekday":
        wd = rng.randrange(7)
        ahead = (wd - reference.weekday() - 1) % 7 + 1   # strictly after the reference
        label = rng.choice(("", "próximo ")) + _WEEKDAYS[wd]
        return _Part("el " + label, label), (reference + timedelta(days=ahead)).isoformat()
    # Within 365 consecutive days a day-and-month occurs at most once, so the
    # next-occurrence rule gives back exactly this target.
    target = reference + timedelta(days=rng.randrange(365))
    if kind == "day_month":
        label = f"{target.day} de {_MONTHS[target.month - 1]}"
    elif kind == "numeric":
        label = (f"{target.day:02d}/{target.month:02d}" if rng.random() < 0.6
                 else f"{target.day}/{target.month}")
    else:
        target = reference + timedelta(days=rng.randrange(30, 900))
        label = f"{target.day} de {_MONTHS[target.month - 1]} de {target.year}"
    return _Part("el " + label, label), target.isoformat()


def _time_part(rng: random.Random) -> tuple[_Part, str] | None:
    kind = rng.choices(
        ("none", "ampm", "ampm_min", "24h", "period", "noon"),
        weights=(1, 4, 2, 3, 3, 1),
    )[0]
    if kind == "none":
        return None
    if kind == "noon":
        return _Part("al mediodía", "mediodía"), "12:00"
    if kind in ("ampm", "ampm_min"):
        h12 = rng.randint(1, 12)
        pm = rng.random() < 0.5 if 8 <= h12 <= 11 or h12 == 12 else h12 <= 7
        minute = 0 if kind == "ampm" else rng.choice((0, 15, 30, 45))
        suffix = ("pm" if pm else "am") if rng.random() < 0.8 else (" pm" if pm else " am")
        label = f"{h12}{suffix}" if kind == "ampm" else f"{h12}:{minute:02d}{suffix}"
        hour = h12 % 12 + (12 if pm else 0)
        text = ("a las " + label if h12 != 1 else "a la " + label) if rng.random() < 0.4 else label
        return _Part(text, label), f"{hour:02d}:{minute:02d}"
    if kind == "24h":
        hour, minute = rng.randint(7, 20), rng.choice((0, 15, 30, 45))
        label = f"{hour:02d}:{minute:02d}" if rng.random() < 0.7 else f"{hour}:{minute:02d}"
        text = "a las " + label if rng.random() < 0.4 else label
        return _Part(text, label), f"{hour:02d}:{minute:02d}"
    period, lo, hi, shift = rng.choice(
        (("mañana", 6, 11, 0), ("tarde", 1, 7, 12), ("noche", 8, 11, 12))
    )
    h12 = rng.randint(lo, hi)
    label = f"{h12} de la {period}"
    text = ("a la " if h12 == 1 else "a las ") + label
    return _Part(text, label), f"{h12 + shift:02d}:00"


def _contact_part(rng: random.Random) -> _Part | None:
    kind = rng.choices(("none", "title", "title_full", "bare"), weights=(1, 5, 1, 3))[0]
    if kind == "none":
        return None
    surname = rng.choice(_SURNAMES)
    first = rng.choice(_FIRST_NAMES)
    female = first in _FEMALE if kind != "title" else rng.random() < 0.5
    if kind == "bare":
        name = f"{first} {surname}"
        return _Part(f"con {name}", name)
    title = rng.choice(_TITLES_F if female else _TITLES_M)
    if title in ("Dr.", "Dra.") and rng.random() < 0.1:
        title = title[:-1]                  # "Dr Pérez" is written too
    name = f"{title} {surname}" if kind == "title" else f"{title} {first} {surname}"
    article = "la" if female else "el"
    lead = rng.choices(
        ("con", f"con {article}", "para ver a la" if female else "para ver al"),
        weights=(5, 3, 1),
    )[0]
    return _Part(f"{lead} {name}", name)


def _place_part(rng: random.Random) -> _Part | None:
    if rng.random() < 0.65:
        return None
    text, label = rng.choice(_PLACES)
    return _Part(text, label)


def _one_case(rng: random.Random, index: int, reference: date) -> GoldCase:
    date_pick = _date_part(rng, reference)
    time_pick = _time_part(rng)
    contact = _contact_part(rng)
    place = _place_part(rng)
    parts = [p for p in (date_pick and date_pick[0], time_pick and time_pick[0], contact, place) if p]
    rng.shuffle(parts)
    sep = ", " if rng.random() < 0.15 else " "
    body = sep.join([rng.choice(_VERBS), *(p.text for p in parts)])
    prompt = rng.choice(_OPENERS) + body + rng.choice(_CLOSERS)
    if rng.random() < 0.3:
        prompt = prompt[0].upper() + prompt[1:]
    return GoldCase(
        id=f"c{index:06d}",
        prompt=prompt,
        contacto=contact.label if contact else None,
        fecha=date_pick[0].label if date_pick else None,
        fecha_iso=date_pick[1] if date_pick else None,
        hora=time_pick[0].label if time_pick else None,
        hora_hhmm=time_pick[1] if time_pick else None,
        lugar=place.label if place else None,
    )


# The "templated" style: what a booking form or a chat widget sends. Prompts differ only in the
# contact, the day and the time, so near-duplicates abound: the traffic on which a fuzzy cache
# (the runbook's similarity > 0.9) serves one user's appointment to another.
_TEMPLATE = "Hola, quisiera agendar una cita para {fecha} a las {hora} con {contacto} en la clínica Norte, gracias."
_T_CONTACTS = ("Dr. Pérez", "Dra. Núñez", "Dr. Muñoz", "Dra. Ibáñez", "Dr. Gómez", "Dra. Peña", "Dr. López",
               "Dra. Sánchez")
_T_DAYS = (("hoy", 0), ("mañana", 1), ("pasado mañana", 2))
_T_TIMES = (("9am", "09:00"), ("10am", "10:00"), ("11am", "11:00"), ("12pm", "12:00"), ("3pm", "15:00"),
            ("4pm", "16:00"), ("5pm", "17:00"), ("6pm", "18:00"))

#: corpus names a scenario may ask for, and the generator style each one is
CORPORA = {"appointments-es": "varied", "appointments-es-templated": "templated"}


def _templated_case(rng: random.Random, index: int, reference: date) -> GoldCase:
    contact = rng.choice(_T_CONTACTS)
    day, offset = rng.choice(_T_DAYS)
    label, hhmm = rng.choice(_T_TIMES)
    return GoldCase(
        id=f"t{index:06d}",
        prompt=_TEMPLATE.format(fecha=day, hora=label, contacto=contact),
        contacto=contact, fecha=day, fecha_iso=(reference + timedelta(days=offset)).isoformat(),
        hora=label, hora_hhmm=hhmm, lugar="clínica Norte",
    )


def generate_corpus(seed: int = 0, n: int = 1000, reference: date = REFERENCE_DATE,
                    style: str = "varied") -> list[GoldCase]:
    """``n`` labelled prompts, all distinct; the same arguments give the same list.

    ``style`` "varied" (the default) mixes wordings; "templated" fills one sentence (at most
    ``len(_T_CONTACTS) * len(_T_DAYS) * len(_T_TIMES)`` = 192 distinct prompts).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"generate_corpus: n must be a non-negative int, got {n!r}")
    if not isinstance(reference, date):
        raise ValueError(f"generate_corpus: reference must be a datetime.date, got {reference!r}")
    if style not in ("varied", "templated"):
        raise ValueError(f"generate_corpus: style must be 'varied' or 'templated', got {style!r}")
    limit = len(_T_CONTACTS) * len(_T_DAYS) * len(_T_TIMES)
    if style == "templated" and n > limit:
        raise ValueError(f"generate_corpus: the templated style has only {limit} distinct prompts, asked {n}")
    make = _templated_case if style == "templated" else _one_case
    rng = random.Random(seed)
    seen: set[str] = set()
    cases: list[GoldCase] = []
    attempts = 0
    max_attempts = 20 * n + 100   # bounded: the space is far larger than any sane n
    while len(cases) < n:
        attempts += 1
        if attempts > max_attempts:
            raise ValueError(f"generate_corpus: could not make {n} distinct prompts in {max_attempts} draws")
        case = make(rng, len(cases), reference)
        if case.prompt in seen:
            continue
        seen.add(case.prompt)
        cases.append(case)
    return cases


class CorpusIndex:
    """Exact-prompt lookup of gold cases (the fakes answer known prompts with their gold)."""

    __slots__ = ("_by_prompt",)

    def __init__(self, cases: Iterable[GoldCase]) -> None:
        self._by_prompt: dict[str, GoldCase] = {}
        for case in cases:
            self._by_prompt.setdefault(case.prompt, case)

    def lookup(self, prompt: str) -> GoldCase | None:
        return self._by_prompt.get(prompt)

    def __len__(self) -> int:
        return len(self._by_prompt)


@lru_cache(maxsize=1)
def _default_corpus() -> tuple[GoldCase, ...]:
    return tuple(generate_corpus(0, 1000))


def default_corpus() -> list[GoldCase]:
    """``generate_corpus(0, 1000)``, built once; a fresh list each call so callers may mutate it."""
    return list(_default_corpus())
