"""The gold case and the booking rule it is judged by.  Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["OPENING_HOURS", "REFERENCE_DATE", "GoldCase", "is_bookable"]

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
