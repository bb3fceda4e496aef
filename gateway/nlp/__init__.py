"""Spanish appointment language: entities, date/time resolution, the LLM contract, the regex fallback."""

from .entities import (
    FIELDS,
    Ambiguity,
    DateExpression,
    DateType,
    Entities,
    ParseResult,
    ParseSource,
    TimeExpression,
)
from .fallback import FALLBACK_CONFIDENCE, parse_with_regex, runbook_regex_parse
from .llm_parse import (
    ANSWER_KEYS,
    NEGOTIATE_MARKER,
    PARSE_MARKER,
    LlmAnswerError,
    build_negotiation_messages,
    build_parse_messages,
    parse_llm_answer,
)
from .temporal import resolve_date, resolve_time

__all__ = [
    "ANSWER_KEYS",
    "FALLBACK_CONFIDENCE",
    "FIELDS",
    "NEGOTIATE_MARKER",
    "PARSE_MARKER",
    "Ambiguity",
    "DateExpression",
    "DateType",
    "Entities",
    "LlmAnswerError",
    "ParseResult",
    "ParseSource",
    "TimeExpression",
    "build_negotiation_messages",
    "build_parse_messages",
    "parse_llm_answer",
    "parse_with_regex",
    "resolve_date",
    "resolve_time",
    "runbook_regex_parse",
]
