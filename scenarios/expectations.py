"""The threshold language of a scenario's ``expect:`` list, parsed — never ``eval``-ed.

A hand-written tokenizer and a recursive-descent parser turn one line such as
``p95(latency) during fault 0 < 20s`` into a frozen AST.  Pure: no I/O, no clock.
``reports.expect`` gives the AST its meaning against the records of a run.

Grammar (keywords are case-sensitive, whitespace is free)::

    expectation := alert | breaker | "recovery" "passes" | comparison
    alert       := "alert" "(" NAME ")" ( "fires" [within] [window]
                                        | ("never" "fires" | "does" "not" "fire") [window] )
    breaker     := "breaker" "(" NAME ")" ( "opens" [within] | "never" "opens" | "ends" STATE )
    within      := "within" DURATION [ "of" "fault" INT ]
    comparison  := operand [window] OP value [window]      (one window at most)
    operand     := metric | "ratio" "(" metric [window] "," metric [window] ")"
    metric      := FUNC "(" NAME ")" | "calls" ["(" NAME ")"]
                 | "upstream_amplification" ["(" NAME ")"] | "severity.max"
    window      := "during" ( "[" DURATION "," DURATION "]" | "fault" INT )
                 | "after" DURATION | "before" DURATION
    value       := NUMBER [ "%" ] | DURATION | "P1" | "P2" | "P3" | "P4" | "none"
    OP          := "<" | "<=" | ">" | ">=" | "==" | "!="

Literals are read by ``units.quantity``, the grammar of every duration in a scenario file: ``h``, ``m``,
``s``, ``ms``, ``us``/``µs`` (compound ``1m30s``, largest unit first, each once) and ``%``; the AST holds
seconds and fractions.  A bare number against a latency means seconds.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from units.durations import ValueSyntaxError
from units.quantity import parse_quantity as parse_literal
from units.quantity import scan_quantity

__all__ = [
    "COMPARISONS",
    "FUNCTIONS",
    "KNOWN_METRICS",
    "SEVERITY_LEVELS",
    "After",
    "AlertFires",
    "AlertNeverFires",
    "Before",
    "BreakerEnds",
    "BreakerNeverOpens",
    "BreakerOpens",
    "Comparison",
    "During",
    "DuringFault",
    "Expectation",
    "ExpectationSyntaxError",
    "Metric",
    "Ratio",
    "RecoveryPasses",
    "Window",
    "format_expectation",
    "format_window",
    "metric_kind",
    "parse_expectation",
    "parse_quantity",
]

#: Severity literals, least severe first.
SEVERITY_LEVELS: tuple[str, ...] = ("none", "P4", "P3", "P2", "P1")

COMPARISONS: tuple[str, ...] = ("<", "<=", ">", ">=", "==", "!=")

MetricKind = Literal["duration", "fraction", "count", "number", "severity"]

#: function -> (arguments it accepts, kind of value it yields).  Data, so that the
#: evaluator and the suggestions read the same table.
FUNCTIONS: dict[str, tuple[tuple[str, ...], MetricKind]] = {
    "p50": (("latency", "llm_latency", "agent"), "duration"),
    "p90": (("latency", "llm_latency", "agent"), "duration"),
    "p95": (("latency", "llm_latency", "agent"), "duration"),
    "p99": (("latency", "llm_latency", "agent"), "duration"),
    "max": (("latency", "llm_latency", "agent"), "duration"),
    "avg": (("latency", "llm_latency", "agent", "confidence"), "number"),
    "rate": (
        (
            "failed",
            "ok",
            "lost",
            "fallback",
            "degraded",
            "cache_hit",
            "json_error",
            "correct",
            "validation_fp",
            "conservation",
            "shed",
        ),
        "fraction",
    ),
    "count": (
        (
            "sent",
            "requests",
            "ok",
            "succeeded",
            "failed",
            "lost",
            "fallback",
            "degraded",
            "cache_hit",
            "json_error",
            "shed",
        ),
        "count",
    ),
}

#: Bare metrics (an optional provider argument where noted).
_BARE: dict[str, MetricKind] = {
    "calls": "count",
    "upstream_amplification": "number",
    "severity.max": "severity",
}
_TAKES_PROVIDER = frozenset({"calls", "upstream_amplification"})

KNOWN_METRICS: tuple[str, ...] = (
    *(f"{f}({a})" for f, (args, _) in FUNCTIONS.items() for a in args),
    "calls",
    "calls(<provider>)",
    "upstream_amplification",
    "upstream_amplification(<provider>)",
    "severity.max",
    "ratio(<metric> after <t>, <metric> before <t>)",
    "alert(<rule>) fires",
    "breaker(<provider>) opens",
    "recovery passes",
)

_BREAKER_STATES = ("closed", "open", "half_open", "forced_open", "disabled")
_UNIT_NAMES = "h, m, s, ms, us"
_LEADING = ("alert", "breaker", "recovery", "ratio", *FUNCTIONS, *_BARE)


class ExpectationSyntaxError(ValueError):
    """A line the grammar does not accept; ``column`` is 1-based."""

    def __init__(self, message: str, column: int, text: str = "") -> None:
        self.message = message
        self.column = column
        self.text = text
        where = f"column {column}"
        if text:
            where += f" of {text!r}\n  {text}\n  {' ' * (column - 1)}^"
        super().__init__(f"{message} (at {where})")


# --- AST -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class During:
    start_s: float
    end_s: float

    def __post_init__(self) -> None:
        if self.end_s < self.start_s:
            raise ValueError(f"window [{self.start_s}, {self.end_s}] ends before it starts")


@dataclass(frozen=True, slots=True)
class DuringFault:
    index: int


@dataclass(frozen=True, slots=True)
class After:
    t_s: float


@dataclass(frozen=True, slots=True)
class Before:
    t_s: float


Window = During | DuringFault | After | Before


@dataclass(frozen=True, slots=True)
class Metric:
    name: str  # "p95", "rate", "calls", "severity.max", ...
    arg: str | None = None  # "latency", "failed", "qwen", ...
    window: Window | None = None


@dataclass(frozen=True, slots=True)
class Ratio:
    numerator: Metric
    denominator: Metric


@dataclass(frozen=True, slots=True)
class Comparison:
    left: Metric | Ratio
    op: str
    value: float | str  # seconds / fraction / number, or a severity literal


@dataclass(frozen=True, slots=True)
class AlertFires:
    rule: str
    within_s: float | None = None
    fault: int | None = None  # None with within_s: the first fault (or the run's start)
    window: Window | None = None


@dataclass(frozen=True, slots=True)
class AlertNeverFires:
    rule: str
    window: Window | None = None


@dataclass(frozen=True, slots=True)
class BreakerOpens:
    provider: str
    within_s: float | None = None
    fault: int | None = None


@dataclass(frozen=True, slots=True)
class BreakerNeverOpens:
    provider: str


@dataclass(frozen=True, slots=True)
class BreakerEnds:
    provider: str
    state: str


@dataclass(frozen=True, slots=True)
class RecoveryPasses:
    pass


Expectation = (
    Comparison
    | AlertFires
    | AlertNeverFires
    | BreakerOpens
    | BreakerNeverOpens
    | BreakerEnds
    | RecoveryPasses
)


def metric_kind(operand: Metric | Ratio) -> MetricKind:
    if isinstance(operand, Ratio):
        return "number"
    if operand.name in FUNCTIONS:
        kind = FUNCTIONS[operand.name][1]
        if operand.name == "avg" and operand.arg != "confidence":
            return "duration"
        return kind
    return _BARE[operand.name]


# --- tokenizer -------------------------------------------------------------------------------------

TokKind = Literal["word", "number", "sym", "end"]


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: TokKind
    text: str
    col: int  # 1-based
    value: float = 0.0
    unit: str | None = None  # "s" (durations, normalised to seconds), "%", or None


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            tok, i = _number(text, i)
            toks.append(tok)
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (
                text[j].isalnum()
                or text[j] == "_"
                or (text[j] == "." and j + 1 < n and (text[j + 1].isalnum() or text[j + 1] == "_"))
            ):
                j += 1
            toks.append(_Tok("word", text[i:j], i + 1))
            i = j
        elif text.startswith(("<=", ">=", "==", "!="), i):
            toks.append(_Tok("sym", text[i : i + 2], i + 1))
            i += 2
        elif c in "<>()[],":
            toks.append(_Tok("sym", c, i + 1))
            i += 1
        elif c == "=":
            raise ExpectationSyntaxError("'=' is not a comparison; write '=='", i + 1, text)
        else:
            raise ExpectationSyntaxError(f"unexpected character {c!r}", i + 1, text)
    toks.append(_Tok("end", "", n + 1))
    return toks


def _number(text: str, start: int) -> tuple[_Tok, int]:
    # the literal is read by the one grammar of units/; only its column is the lexer's
    try:
        quantity, end = scan_quantity(text, start)
    except ValueSyntaxError as exc:
        raise _literal_error(text, exc) from None
    unit = {"duration": "s", "percent": "%", "number": None}[quantity.kind]
    return _Tok("number", text[start:end], start + 1, quantity.value, unit), end


def _literal_error(text: str, exc: ValueSyntaxError) -> ExpectationSyntaxError:
    at = exc.offset
    letters = at
    while letters < len(text) and (text[letters].isalpha() or text[letters] == "_"):
        letters += 1
    if letters > at:
        return ExpectationSyntaxError(f"unknown unit {text[at:letters]!r}; use {_UNIT_NAMES} or %", at + 1, text)
    return ExpectationSyntaxError(exc.message, at + 1, text)


# --- parser ----------------------------------------------------------------------------------------


def _suggest(word: str, options: tuple[str, ...] | list[str]) -> str:
    near = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {near[0]!r}?" if near else ""


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokenize(text)
        self.pos = 0

    # helpers
    def peek(self, ahead: int = 0) -> _Tok:
        return self.toks[min(self.pos + ahead, len(self.toks) - 1)]

    def take(self) -> _Tok:
        tok = self.toks[self.pos]
        if tok.kind != "end":
            self.pos += 1
        return tok

    def error(self, message: str, tok: _Tok | None = None) -> ExpectationSyntaxError:
        return ExpectationSyntaxError(message, (tok or self.peek()).col, self.text)

    def found(self, tok: _Tok) -> str:
        return "the end" if tok.kind == "end" else repr(tok.text)

    def is_word(self, word: str, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok.kind == "word" and tok.text == word

    def expect_word(self, *words: str) -> str:
        tok = self.take()
        if tok.kind == "word" and tok.text in words:
            return tok.text
        wanted = " or ".join(repr(w) for w in words)
        hint = _suggest(tok.text, words) if tok.kind == "word" else ""
        raise self.error(f"expected {wanted}, found {self.found(tok)}{hint}", tok)

    def expect_sym(self, sym: str) -> None:
        tok = self.take()
        if tok.kind != "sym" or tok.text != sym:
            raise self.error(f"expected {sym!r}, found {self.found(tok)}", tok)

    def name(self, what: str) -> str:
        tok = self.take()
        if tok.kind != "word":
            raise self.error(f"expected {what}, found {self.found(tok)}", tok)
        return tok.text

    def duration(self) -> float:
        tok = self.take()
        if tok.kind != "number" or tok.unit == "%":
            raise self.error(f"expected a duration such as 30s or 2m, found {self.found(tok)}", tok)
        return tok.value

    def integer(self, what: str) -> int:
        tok = self.take()
        if tok.kind != "number" or tok.unit is not None or not tok.value.is_integer():
            raise self.error(f"expected {what} (a whole number), found {self.found(tok)}", tok)
        return int(tok.value)

    # grammar
    def parse(self) -> Expectation:
        tok = self.peek()
        if tok.kind == "end":
            raise self.error("empty expectation")
        if tok.kind != "word":
            raise self.error(f"an expectation starts with a metric, found {self.found(tok)}")
        result: Expectation
        if tok.text == "alert":
            result = self.alert()
        elif tok.text == "breaker":
            result = self.breaker()
        elif tok.text == "recovery":
            self.take()
            self.expect_word("passes")
            result = RecoveryPasses()
        else:
            result = self.comparison()
        end = self.peek()
        if end.kind != "end":
            raise self.error(f"unexpected {self.found(end)} after a complete expectation", end)
        return result

    def alert(self) -> Expectation:
        self.take()
        self.expect_sym("(")
        rule = self.name("a rule id such as latency.llm_p95")
        self.expect_sym(")")
        verb = self.expect_word("fires", "never", "does")
        if verb == "fires":
            within, fault = self.within()
            window = self.window() if within is None else None
            return AlertFires(rule, within, fault, window)
        if verb == "never":
            self.expect_word("fires")
        else:
            self.expect_word("not")
            self.expect_word("fire")
        return AlertNeverFires(rule, self.window())

    def within(self) -> tuple[float | None, int | None]:
        if not self.is_word("within"):
            return None, None
        self.take()
        within = self.duration()
        fault = None
        if self.is_word("of"):
            self.take()
            self.expect_word("fault")
            fault = self.integer("a fault index")
        return within, fault

    def breaker(self) -> Expectation:
        self.take()
        self.expect_sym("(")
        provider = self.name("a provider name")
        self.expect_sym(")")
        verb = self.expect_word("opens", "never", "ends")
        if verb == "opens":
            within, fault = self.within()
            return BreakerOpens(provider, within, fault)
        if verb == "never":
            self.expect_word("opens")
            return BreakerNeverOpens(provider)
        return BreakerEnds(provider, self.expect_word(*_BREAKER_STATES))

    def window(self) -> Window | None:
        tok = self.peek()
        if tok.kind != "word" or tok.text not in ("during", "after", "before"):
            return None
        self.take()
        if tok.text == "after":
            return After(self.duration())
        if tok.text == "before":
            return Before(self.duration())
        if self.is_word("fault"):
            self.take()
            return DuringFault(self.integer("a fault index"))
        bracket = self.peek()
        if bracket.kind != "sym" or bracket.text != "[":
            raise self.error(
                f"expected '[start, end]' or 'fault N' after 'during', found {self.found(bracket)}"
            )
        self.take()
        start = self.duration()
        self.expect_sym(",")
        end_tok = self.peek()
        end = self.duration()
        self.expect_sym("]")
        if end < start:
            raise self.error("a window must not end before it starts", end_tok)
        return During(start, end)

    def metric(self) -> Metric:
        tok = self.take()
        if tok.kind != "word":
            raise self.error(f"expected a metric, found {self.found(tok)}", tok)
        if tok.text in FUNCTIONS:
            args = FUNCTIONS[tok.text][0]
            self.expect_sym("(")
            arg_tok = self.peek()
            arg = self.name(f"what {tok.text}() measures")
            if arg not in args:
                raise self.error(
                    f"{tok.text}() does not take {arg!r} (it takes {', '.join(args)}){_suggest(arg, args)}",
                    arg_tok,
                )
            self.expect_sym(")")
            return Metric(tok.text, arg, self.window())
        if tok.text in _BARE:
            bare_arg: str | None = None
            if tok.text in _TAKES_PROVIDER and self.peek().kind == "sym" and self.peek().text == "(":
                self.take()
                bare_arg = self.name("a provider name")
                self.expect_sym(")")
            return Metric(tok.text, bare_arg, self.window())
        raise self.error(f"unknown metric {tok.text!r}{_suggest(tok.text, _LEADING)}", tok)

    def comparison(self) -> Comparison:
        left: Metric | Ratio
        if self.is_word("ratio"):
            self.take()
            self.expect_sym("(")
            num = self.metric()
            self.expect_sym(",")
            den = self.metric()
            self.expect_sym(")")
            left = Ratio(num, den)
        else:
            left = self.metric()
        op_tok = self.take()
        if op_tok.kind != "sym" or op_tok.text not in COMPARISONS:
            raise self.error(
                f"expected a comparison ({' '.join(COMPARISONS)}), found {self.found(op_tok)}", op_tok
            )
        value = self.value(metric_kind(left))
        trailing_tok = self.peek()
        trailing = self.window()
        if trailing is not None:
            if isinstance(left, Ratio) or left.window is not None:
                raise self.error("only one window per metric", trailing_tok)
            left = Metric(left.name, left.arg, trailing)
        return Comparison(left, op_tok.text, value)

    def value(self, kind: MetricKind) -> float | str:
        tok = self.take()
        if kind == "severity":
            if tok.kind == "word" and tok.text in SEVERITY_LEVELS:
                return tok.text
            raise self.error(
                f"expected a severity ({', '.join(SEVERITY_LEVELS)}), found {self.found(tok)}", tok
            )
        if tok.kind != "number":
            raise self.error(f"expected a number, found {self.found(tok)}", tok)
        if tok.unit == "s" and kind != "duration":
            raise self.error(f"{tok.text!r} is a duration, but this metric is a {kind}", tok)
        if tok.unit == "%" and kind in ("duration", "count"):
            raise self.error(f"{tok.text!r} is a percentage, but this metric is a {kind}", tok)
        return tok.value


def parse_expectation(text: str) -> Expectation:
    """Parse one expectation line; raise ``ExpectationSyntaxError`` naming the column."""
    if not isinstance(text, str):
        raise ExpectationSyntaxError(f"an expectation must be a string, not {type(text).__name__}", 1)
    return _Parser(text).parse()


def parse_quantity(text: str | float | int) -> float:
    """``"10s"`` -> 10.0, ``"1%"`` -> 0.01, ``"1m30s"`` -> 90.0, ``7`` -> 7.0 (for rule overrides)."""
    if isinstance(text, bool):
        raise ValueError(f"expected a number or a duration, got {text!r}")
    if isinstance(text, int | float):
        return float(text)
    try:
        return parse_literal(text, "").value
    except ValueSyntaxError as exc:
        raise ValueError(f"expected a number or a duration such as 30s, got {text!r} ({exc.message})") from None


# --- formatting (canonical text; parse(format(x)) == x) --------------------------------------------


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
