"""A recursive-descent parser from one line of the expectation language to its AST (never ``eval``).

One method per rule of the grammar in ``scenarios.expectations``; every error names the column.
"""

from __future__ import annotations

import difflib

from scenarios.expectations.errors import ExpectationSyntaxError
from scenarios.expectations.lexer import Tok, tokenize
from scenarios.expectations.metric_table import (
    BREAKER_STATES,
    COMPARISONS,
    SEVERITY_LEVELS,
    MetricKind,
    leading_words,
    metric_kind,
)
from scenarios.expectations.metrics import METRICS
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
from units.durations import ValueSyntaxError
from units.quantity import parse_quantity as parse_literal

__all__ = ["parse_expectation", "parse_quantity"]


def _suggest(word: str, options: tuple[str, ...] | list[str]) -> str:
    near = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {near[0]!r}?" if near else ""


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.pos = 0

    # helpers
    def peek(self, ahead: int = 0) -> Tok:
        return self.toks[min(self.pos + ahead, len(self.toks) - 1)]

    def take(self) -> Tok:
        tok = self.toks[self.pos]
        if tok.kind != "end":
            self.pos += 1
        return tok

    def error(self, message: str, tok: Tok | None = None) -> ExpectationSyntaxError:
        return ExpectationSyntaxError(message, (tok or self.peek()).col, self.text)

    def found(self, tok: Tok) -> str:
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
        return BreakerEnds(provider, self.expect_word(*BREAKER_STATES))

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
        definition = METRICS.get(tok.text)
        if definition is not None and definition.takes is not None:
            args = definition.takes
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
        if definition is not None:
            bare_arg: str | None = None
            if definition.takes_provider and self.peek().kind == "sym" and self.peek().text == "(":
                self.take()
                bare_arg = self.name("a provider name")
                self.expect_sym(")")
            return Metric(tok.text, bare_arg, self.window())
        raise self.error(f"unknown metric {tok.text!r}{_suggest(tok.text, leading_words())}", tok)

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
