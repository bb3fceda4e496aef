"""Checks shared by the policy configs: each failure names the field and the value.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import math

__all__ = ["check_fraction", "check_int", "check_number", "check_time"]


def check_int(owner: str, field: str, value: object, *, minimum: int = 0) -> None:
    # bool is an int subclass; `True` as a threshold is always a typo.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{owner}.{field} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{owner}.{field} must be >= {minimum}, got {value!r}")


def check_number(
    owner: str,
    field: str,
    value: object,
    *,
    minimum: float = 0.0,
    maximum: float = math.inf,
    open_min: bool = False,
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{owner}.{field} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{owner}.{field} must be finite, got {value!r}")
    low_ok = value > minimum if open_min else value >= minimum
    if not low_ok or value > maximum:
        low = "(" if open_min else "["
        raise ValueError(f"{owner}.{field} must be in {low}{minimum}, {maximum}], got {value!r}")


def check_fraction(owner: str, field: str, value: object, *, allow_zero: bool = False) -> None:
    check_number(owner, field, value, minimum=0.0, maximum=1.0, open_min=not allow_zero)


def check_time(where: str, value: object) -> None:
    """A `now` handed to a policy object: finite, or the caller's clock is broken."""
    if type(value) is float and -math.inf < value < math.inf:   # the usual case, checked per call: cheaply
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}: now must be a finite number of seconds, got {value!r}")
