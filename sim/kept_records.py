"""The record values of an answer the pipeline hands back again, kept.

On the twin's clock nearly every request is a cache hit whose whole ``ParseOutcome`` the pipeline keeps
(``gateway.core.pipeline.is_kept``): the same object for every request of that prompt and mode.  Its
body (``render.parse_body``) and the record values that come of the answer alone
(``workload.outcome.answer_values``: outcome, flags, correctness against gold, agent_s) are then pure
functions of that object and the prompt's gold, so they are worked out once a pair, not once a request:
~2 us of a twin request.  Keyed by the outcome's id, both objects kept alive in the value (so an id is
never reused); a fresh outcome (a miss, a negotiation, a failure) is worked out every time and not kept.  The
values are shared by every record of the pair: nothing reads them but to encode them.  Bounded: a full
memo starts again.
"""

from __future__ import annotations

from typing import Any

from gateway.core.parse_outcome import ParseOutcome
from gateway.core.pipeline import is_kept
from gateway.service.render import parse_body
from workload.outcome import answer_values
from workload.prompts import Gold

__all__ = ["kept_answer_values"]

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
