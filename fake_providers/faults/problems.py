"""The one error a bad fault plan raises, and the small readers that raise it.

Every reader takes ``where``, the dotted path of the value it reads
(``faults[2].error.status``), so a mistake is reported at the exact field.
Pure: no I/O.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Mapping

__all__ = [
    "FaultPlanError",
    "check_keys",
    "expect_mapping",
    "join",
    "read_bool",
    "read_int",
    "read_number",
    "read_probability",
    "read_str",
]


class FaultPlanError(ValueError):
    """A fault plan that cannot be used, naming the field that is wrong."""

    def __init__(self, field_path: str, message: str) -> None:
        super().__init__(f"{field_path}: {message}" if field_path else message)
        self.field_path = field_path
        self.message = message


def join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def expect_mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise FaultPlanError(where, f"expected a mapping, got {_kind(value)}")
    for key in value:
        if not isinstance(key, str):
            raise FaultPlanError(where, f"keys must be strings, got {key!r}")
    return value


def check_keys(
    value: Mapping[str, object],
    allowed: Collection[str],
    where: str,
    required: Collection[str] = (),
) -> None:
    """Reject unknown keys (suggesting the nearest valid one) and missing required keys."""
    for key in value:
        if key not in allowed:
            close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(sorted(allowed))}"
            raise FaultPlanError(join(where, key), f"unknown key {key!r}{hint}")
    for key in required:
        if key not in value:
            raise FaultPlanError(join(where, key), "is required")


def read_str(value: object, where: str, choices: Collection[str] | None = None) -> str:
    if not isinstance(value, str):
        raise FaultPlanError(where, f"expected a string, got {_kind(value)}")
    if choices is not None and value not in choices:
        close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise FaultPlanError(where, f"{value!r} is not one of {', '.join(sorted(choices))}{hint}")
    return value


def read_bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise FaultPlanError(where, f"expected true or false, got {_kind(value)}")
    return value


#: the largest count a plan may write (rpm, tpm, concurrency, queue, tokens): a billion
MAX_COUNT = 10**9


def read_int(value: object, where: str, minimum: int = 0, maximum: int | None = MAX_COUNT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise FaultPlanError(where, f"expected an integer, got {_kind(value)}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        raise FaultPlanError(where, f"must be at least {minimum}{upper}, got {value}")
    return value


def read_probability(value: object, where: str) -> float:
    number = read_number(value, where)
    if not 0.0 <= number <= 1.0:
        raise FaultPlanError(where, f"must be between 0 and 1, got {number}")
    return number


def read_number(value: object, where: str, minimum: float | None = None, maximum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultPlanError(where, f"expected a number, got {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:   # an integer with hundreds of digits
        raise FaultPlanError(where, f"must be finite, got an integer of {len(str(value))} digits") from None
    if not math.isfinite(number):
        raise FaultPlanError(where, f"must be finite, got {number}")
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise FaultPlanError(where, f"must be from {minimum:g} to {maximum:g}, got {number:g}"
                             if minimum is not None and maximum is not None else
                             f"must be at least {minimum:g}, got {number:g}" if minimum is not None else
                             f"must be at most {maximum:g}, got {number:g}")
    return number


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {value}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, int | float):
        return f"number {value}"
    return type(value).__name__
