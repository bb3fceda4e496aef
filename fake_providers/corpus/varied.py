"""The "varied" style: prompts written in many wordings, each drawn *from* its labels.

A target date and time are drawn first and then written out as a Spanish
expression, so ``fecha_iso`` and ``hora_hhmm`` are right by construction.
Pure: no I/O.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from fake_providers.corpus.gold import GoldCase

__all__ = ["varied_case"]

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


def varied_case(rng: random.Random, index: int, reference: date) -> GoldCase:
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
