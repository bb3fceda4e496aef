"""The record values of an answer the pipeline hands back again, kept.

On the twin's clock nearly every request is a cache hit whose whole ``ParseOutcome`` the pipeline keeps
(``gateway.core.pipeline.is_kept``): the same object for every request of that prompt and mode.  Its
body (``render.parse_body``) and the record values that come of the answer alone
(``workload.outcome.answer_values``: outcome, flags, correctness against gold, agent_s) are then pure
functions of that object and the prompt's gold, so they are worked out once a pair, not once a request:
~2 us of a twin request.  Keyed by the outcome's id, both objects kept alive in the value (so an id is
never reused); a fresh outcome (a miss, a negotiation, a failure) is worked out every time and not kept.  The
values are shared by every record of the pair: nothing reads them but to encode them.  So is the line they
write from ``latency_s`` on (``kept_tail``), for a latency and a prompt id: the twin writes only the id and
the times before it (callgrind, cache on, 120 s: 55,879 -> 52,758 instructions a request).  Bounded: a full
memo starts again.
"""

from __future__ import annotations

from math import copysign
from typing import Any

from gateway.core.parse_outcome import ParseOutcome
from gateway.core.pipeline import is_kept
from gateway.service.render import parse_body
from workload.outcome import answer_values
from workload.prompts import Gold

from .request_line import record_tail

__all__ = ["kept_answer_values", "kept_tail"]

#: by the outcome's id, with the gold its values were worked out against (checked by identity: an outcome is
#: one prompt text's, and nearly always of one gold; another gold's values replace them)
_VALUES: dict[int, tuple[ParseOutcome, Gold | None, tuple[Any, ...]]] = {}
_VALUES_MAX = 8192


def kept_answer_values(result: ParseOutcome, gold: Gold | None) -> tuple[Any, ...]:
    """``answer_values(result.status, parse_body(result), gold)``, kept for an outcome the pipeline keeps."""
    found = _VALUES.get(id(result))
    if found is not None and found[1] is gold:
        return found[2]
    values = answer_values(result.status, parse_body(result), gold)
    if is_kept(result):
        if len(_VALUES) >= _VALUES_MAX:
            _VALUES.clear()
        _VALUES[id(result)] = (result, gold, values)
    return values


#: a kept outcome's record tail (``sim.request_line``'s, ``latency_s`` on) by the outcome's id, with what it was
#: written of: (outcome, gold, latency, prompt id, tail).  One lookup a request where the values, the kept
#: check and the tail were three; the outcome kept alive in the value, so an id is never reused.
_TAILS: dict[int, tuple[ParseOutcome, Gold | None, float, str | None, str]] = {}


def kept_tail(result: ParseOutcome, gold: Gold | None, latency: float, prompt_id: str | None) -> str | None:
    """The record line's tail of a kept outcome's request (``latency_s`` on), or None: not a kept outcome, or
    a record the line does not cover."""
    found = _TAILS.get(id(result))
    # equal latencies of one sign write the same (-0.0 == 0.0 is two texts); the prompt id exactly the one
    if found is not None and found[1] is gold and found[3] is prompt_id and found[2] == latency \
            and type(latency) is float and (latency or copysign(1.0, latency) > 0):
        return found[4]
    if not is_kept(result):
        return None
    tail = record_tail(latency, kept_answer_values(result, gold), prompt_id)
    if tail is not None and type(latency) is float and copysign(1.0, latency) > 0 \
            and (prompt_id is None or type(prompt_id) is str):
        if len(_TAILS) >= _VALUES_MAX:
            _TAILS.clear()
        _TAILS[id(result)] = (result, gold, latency, prompt_id, tail)
    return tail
