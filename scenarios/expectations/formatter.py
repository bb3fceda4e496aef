"""The canonical text of an expectation: ``parse_expectation(format_expectation(x)) == x``.

Reports print expectations in this form, so that two spellings of one line read the same.
"""

from __future__ import annotations

from decimal import Decimal

from scenarios.expectations.metric_table import metric_kind
from scenarios.expectations.nodes import (
    After,
    AlertFires,
    AlertNeverFires,
    Before,
    BreakerEnds,
    BreakerNeverOpens,
    BreakerOpens,
    Comparison,
    During,
    DuringFault,
    Expectation,
    Metric,
    Ratio,
    RecoveryPasses,
    Window,
)

__all__ = ["format_expectation", "format_window"]


def _num(value: float) -> str:
    # the shortest repr that round-trips, written out positionally (the form people read)
    text = format(Decimal(repr(float(value))), "f")
    return text if "." in text else text + ".0"


def format_window(window: Window) -> str:
    match window:
        case During(start, end):
            return f"during [{_num(start)}s, {_num(end)}s]"
        case DuringFault(index):
            return f"during fault {index}"
        case After(t):
            return f"after {_num(t)}s"
        case Before(t):
            return f"before {_num(t)}s"
    raise TypeError(f"not a window: {window!r}")


def _format_metric(metric: Metric) -> str:
    text = metric.name if metric.arg is None else f"{metric.name}({metric.arg})"
    return text if metric.window is None else f"{text} {format_window(metric.window)}"


def _format_within(within: float | None, fault: int | None) -> str:
    if within is None:
        return ""
    text = f" within {_num(within)}s"
    return text if fault is None else f"{text} of fault {fault}"


def format_expectation(exp: Expectation) -> str:
    match exp:
        case Comparison(left, op, value):
            lhs = (
                f"ratio({_format_metric(left.numerator)}, {_format_metric(left.denominator)})"
                if isinstance(left, Ratio)
                else _format_metric(left)
            )
            unit = "s" if metric_kind(left) == "duration" else ""
            rhs = value if isinstance(value, str) else f"{_num(value)}{unit}"
            return f"{lhs} {op} {rhs}"
        case AlertFires(rule, within, fault, window):
            tail = f" {format_window(window)}" if window is not None else ""
            return f"alert({rule}) fires{_format_within(within, fault)}{tail}"
        case AlertNeverFires(rule, window):
            tail = f" {format_window(window)}" if window is not None else ""
            return f"alert({rule}) never fires{tail}"
        case BreakerOpens(provider, within, fault):
            return f"breaker({provider}) opens{_format_within(within, fault)}"
        case BreakerNeverOpens(provider):
            return f"breaker({provider}) never opens"
        case BreakerEnds(provider, state):
            return f"breaker({provider}) ends {state}"
        case RecoveryPasses():
            return "recovery passes"
    raise TypeError(f"not an expectation: {exp!r}")
