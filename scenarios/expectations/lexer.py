"""The expectation language's tokens: words, symbols and literals, each with its 1-based column.

Literals (``30s``, ``1m30s``, ``250us``, ``5%``, ``0.7``) are read by ``units.quantity``: an expectation
spells a duration as every field of a scenario file does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from scenarios.expectations.errors import ExpectationSyntaxError
from units.durations import ValueSyntaxError
from units.quantity import scan_quantity

__all__ = ["UNIT_NAMES", "Tok", "TokKind", "tokenize"]

#: for error messages: the duration units of units.durations
UNIT_NAMES = "h, m, s, ms, us"

TokKind = Literal["word", "number", "sym", "end"]


@dataclass(frozen=True, slots=True)
class Tok:
    kind: TokKind
    text: str
    col: int  # 1-based
    value: float = 0.0
    unit: str | None = None  # "s" (durations, normalised to seconds), "%", or None


def tokenize(text: str) -> list[Tok]:
    toks: list[Tok] = []
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
            toks.append(Tok("word", text[i:j], i + 1))
            i = j
        elif text.startswith(("<=", ">=", "==", "!="), i):
            toks.append(Tok("sym", text[i : i + 2], i + 1))
            i += 2
        elif c in "<>()[],":
            toks.append(Tok("sym", c, i + 1))
            i += 1
        elif c == "=":
            raise ExpectationSyntaxError("'=' is not a comparison; write '=='", i + 1, text)
        else:
            raise ExpectationSyntaxError(f"unexpected character {c!r}", i + 1, text)
    toks.append(Tok("end", "", n + 1))
    return toks


def _number(text: str, start: int) -> tuple[Tok, int]:
    # the literal is read by the one grammar of units/; only its column is the lexer's
    try:
        quantity, end = scan_quantity(text, start)
    except ValueSyntaxError as exc:
        raise _literal_error(text, exc) from None
    unit = {"duration": "s", "percent": "%", "number": None}[quantity.kind]
    return Tok("number", text[start:end], start + 1, quantity.value, unit), end


def _literal_error(text: str, exc: ValueSyntaxError) -> ExpectationSyntaxError:
    at = exc.offset
    letters = at
    while letters < len(text) and (text[letters].isalpha() or text[letters] == "_"):
        letters += 1
    if letters > at:
        return ExpectationSyntaxError(f"unknown unit {text[at:letters]!r}; use {UNIT_NAMES} or %", at + 1, text)
    return ExpectationSyntaxError(exc.message, at + 1, text)
