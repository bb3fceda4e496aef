"""The threshold language of a scenario's ``expect:`` list, parsed — never ``eval``-ed.

A hand-written tokenizer and a recursive-descent parser turn one line such as
``p95(latency) during fault 0 < 20s`` into a frozen AST.  Pure: no I/O, no clock.
``reports.expect`` gives the AST its meaning against the records of a run.

One part per module: ``metrics`` (one module per metric: its name, what it takes, its kind and its
meaning over the columns of ``measure``), ``metric_def`` (what such a module declares), ``metric_table``
(the registry as the parser reads it), ``lexer`` (tokens), ``parser`` (the grammar below), ``nodes``
(the AST), ``formatter`` (canonical text) and ``errors``.  This module is the public surface.

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

from scenarios.expectations.errors import ExpectationSyntaxError
from scenarios.expectations.formatter import format_expectation, format_window
from scenarios.expectations.metric_table import (
    COMPARISONS,
    FUNCTIONS,
    KNOWN_METRICS,
    SEVERITY_LEVELS,
    MetricKind,
    metric_kind,
)
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
from scenarios.expectations.parser import parse_expectation, parse_quantity

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
    "MetricKind",
    "Ratio",
    "RecoveryPasses",
    "Window",
    "format_expectation",
    "format_window",
    "metric_kind",
    "parse_expectation",
    "parse_quantity",
]
