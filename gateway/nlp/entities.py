"""What the parsing agent extracts from an appointment request, as plain values.

The ``to_json`` shapes are those of the gateway's parse API (contract section 6).
Values validate when constructed, so a malformed one never travels. Pure: no I/O.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, get_args

__all__ = [
    "FIELDS",
    "Ambiguity",
    "DateExpression",
    "DateType",
    "Entities",
    "ParseResult",
    "ParseSource",
    "TimeExpression",
]

DateType = Literal["relative", "weekday", "absolute"]
ParseSource = Literal["llm", "regex"]

#: The entity fields, in the order the API lists them.
FIELDS: tuple[str, ...] = ("contacto", "fecha", "hora", "lugar")

_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


@dataclass(frozen=True, slots=True)
class DateExpression:
    original: str
    type: DateType
    resolved: str | None = None     # ISO date "YYYY-MM-DD"; None when it names no real day

    def __post_init__(self) -> None:
        if self.type not in get_args(DateType):
            raise ValueError(f"DateExpression.type must be one of {get_args(DateType)}, got {self.type!r}")
        if self.resolved is not None:
            try:
                date.fromisoformat(self.resolved)
            except (TypeError, ValueError):
                raise ValueError(
                    f"DateExpression.resolved must be an ISO date YYYY-MM-DD, got {self.resolved!r}"
                ) from None

    def to_json(self) -> dict[str, Any]:
        return {"original": self.original, "type": self.type, "resolved": self.resolved}


@dataclass(frozen=True, slots=True)
class TimeExpression:
    original: str
    resolved: str | None = None     # "HH:MM", 24-hour clock

    def __post_init__(self) -> None:
        if self.resolved is not None and not (
            isinstance(self.resolved, str) and _HHMM.fullmatch(self.resolved)
        ):
            raise ValueError(f"TimeExpression.resolved must be HH:MM (00:00..23:59), got {self.resolved!r}")

    def to_json(self) -> dict[str, Any]:
        return {"original": self.original, "resolved": self.resolved}


@dataclass(frozen=True, slots=True)
class Entities:
    contacto: str | None = None
    fecha: DateExpression | None = None
    hora: TimeExpression | None = None
    lugar: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "contacto": self.contacto,
            "fecha": self.fecha.to_json() if self.fecha else None,
            "hora": self.hora.to_json() if self.hora else None,
            "lugar": self.lugar,
        }


@dataclass(frozen=True, slots=True)
class Ambiguity:
    field: str      # one of FIELDS
    issue: str      # "missing" | "unresolved" | ...
    message: str    # Spanish, for the user

    def __post_init__(self) -> None:
        if self.field not in FIELDS:
            raise ValueError(f"Ambiguity.field must be one of {FIELDS}, got {self.field!r}")

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "issue": self.issue, "message": self.message}


@dataclass(frozen=True, slots=True)
class ParseResult:
    entities: Entities
    confidence: float
    ambiguities: tuple[Ambiguity, ...] = field(default=())
    source: ParseSource = "llm"

    def __post_init__(self) -> None:
        c = self.confidence
        if isinstance(c, bool) or not isinstance(c, int | float) or not math.isfinite(c) or not 0 <= c <= 1:
            raise ValueError(f"ParseResult.confidence must be a number in [0, 1], got {c!r}")
        if self.source not in get_args(ParseSource):
            allowed = get_args(ParseSource)
            raise ValueError(f"ParseResult.source must be one of {allowed}, got {self.source!r}")

    def to_json(self) -> dict[str, Any]:
        """The parse API body without ``meta`` (the gateway adds it; ``source`` shows as meta.fallback)."""
        return {
            "entities": self.entities.to_json(),
            "confidence": float(self.confidence),
            "ambiguities": [a.to_json() for a in self.ambiguities],
        }
