"""Durations as fault plans write them: the one grammar of ``units.durations``.

``"500ms"``, ``"3s"``, ``"2m"``, ``"1h"``, ``"1m30s"``, or plain numbers of seconds, at most
366 days; an error is a :class:`FaultPlanError` naming the field, as the control API answers.

Pure: no I/O.
"""

from __future__ import annotations

from fake_providers.faults.problems import FaultPlanError
from units.durations import MAX_DURATION_S, ValueSyntaxError
from units.durations import parse_duration as _parse

__all__ = ["MAX_DURATION_S", "parse_duration"]


def parse_duration(value: object, where: str) -> float:
    """Seconds in ``value``; raises :class:`FaultPlanError` naming ``where`` when it is not a duration."""
    try:
        return _parse(value, where)
    except ValueSyntaxError as exc:
        raise FaultPlanError(where, exc.message) from None
