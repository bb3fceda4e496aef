"""The reply model: what a fake provider answers for one decided request, and when.

``reply(decision, call, rng)`` turns the engine's ``Decision`` and the parsed
request into a ``Reply``: the seconds from request to the end of the answer,
the outcome, for answers the assistant text and its token count, and the
``Pace`` at which its tokens go out.  The SimPy twin uses the value directly;
the fake servers (``servers/chat.py``) only play it out on the wire, so the two
answer identically for the same decision and call.  ``serve`` re-times a reply
through a provider's service queue (``service.py``), for both of them.

Pure: no I/O, no clock.  Answers are composed with the ``rng`` handed in; with
``call_rng`` that is one generator per call, derived from the run's seed and
the call's own key, so what one call answers does not depend on how the other
calls interleave with it.

Everything it needs is in this package (``answers``, ``broken_bodies``,
``call``), never in ``servers``, which imports it: one direction, no circle.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal

from fake_providers.faults.answers import compose, count_tokens
from fake_providers.faults.broken_bodies import envelope_text
from fake_providers.faults.call import ChatCall
from fake_providers.faults.decisions import BadJson, Decision, Hang, HttpError, Normal, Refuse, Reset, ResponseOutcome
from fake_providers.faults.service import ServiceQueue
from units.frozen_init import frozen_init
from units.keyed_random import STREAM_CALL, keyed_rng

__all__ = ["BODY_SHAPES", "Pace", "Reply", "call_rng", "reply", "serve"]

#: How the body of an answer is broken on the wire, if it is (``None``: a well-formed body).
BodyShape = Literal["truncated", "empty", "html"]
BODY_SHAPES: tuple[str, ...] = ("truncated", "empty", "html")
_BROKEN: dict[str, BodyShape] = {"truncated": "truncated", "empty": "empty", "wrong_content_type": "html"}


@frozen_init   # built per provider call (``units.frozen_init``)
@dataclass(frozen=True, slots=True)
class Pace:
    """When each token of an answer goes out, in seconds from the request.

    Token 0 at ``first_s``, then one every ``1 / tokens_per_s`` (``None``: all at
    once); tokens from index ``stall_after_tokens`` on wait ``stall_s`` more.
    """

    first_s: float
    tokens_per_s: float | None = None
    stall_after_tokens: int | None = None
    stall_s: float = 0.0

    def __post_init__(self) -> None:
        if not (self.first_s >= 0 and math.isfinite(self.first_s)):
            raise ValueError(f"first_s must be a finite number >= 0, got {self.first_s}")
        if self.tokens_per_s is not None and not self.tokens_per_s > 0:
            raise ValueError(f"tokens_per_s must be > 0, got {self.tokens_per_s}")
        if not self.stall_s >= 0:
            raise ValueError(f"stall_s must be >= 0, got {self.stall_s}")

    @property
    def at_once(self) -> bool:
        """Every token goes out at ``first_s``."""
        return self.tokens_per_s is None and (self.stall_after_tokens is None or self.stall_s == 0)

    def at_s(self, index: int) -> float:
        t = self.first_s
        if self.tokens_per_s is not None:
            t += index / self.tokens_per_s
        if self.stall_after_tokens is not None and index >= self.stall_after_tokens:
            t += self.stall_s
        return t

    def end_s(self, tokens: int) -> float:
        return self.at_s(max(tokens - 1, 0))


@frozen_init   # built per provider call (``units.frozen_init``)
@dataclass(frozen=True, slots=True)
class Reply:
    """One call's answer as values.

    ``delay_s`` runs from the request to the end of the answer (``inf``: it never
    comes, the client's timeout decides).  ``text`` is the assistant text inside
    an answer's envelope (``None`` for an error, refusal or hang); ``broken``
    says how a bad-JSON answer's bytes are broken; ``reset`` answers are cut by
    a TCP RST before the client has them whole.  ``pace`` times a text's tokens
    (``None``: all of it at ``delay_s``).
    """

    delay_s: float
    response: ResponseOutcome
    text: str | None = None
    completion_tokens: int = 0
    broken: BodyShape | None = None
    pace: Pace | None = None

    def __post_init__(self) -> None:
        if not self.delay_s >= 0:  # also rejects NaN
            raise ValueError(f"delay_s must be >= 0, got {self.delay_s}")
        if self.completion_tokens < 0:
            raise ValueError(f"completion_tokens must be >= 0, got {self.completion_tokens}")

    @property
    def answered(self) -> bool:
        """An HTTP 200 with a body the client can read (possibly a wrong one)."""
        return self.text is not None and self.broken is None and not isinstance(self.response, Reset)

    @property
    def first_s(self) -> float:
        """Seconds from the request to the first byte of the answer."""
        return self.delay_s if self.pace is None else self.pace.first_s


def call_rng(seed: int, key: int) -> random.Random:
    """The generator of one call: a pure function of the run's seed and the call's key."""
    return keyed_rng(seed, STREAM_CALL, key)


def reply(decision: Decision, call: ChatCall, rng: random.Random) -> Reply:
    """What the fake answers for ``call`` as ``decision`` says, timed as the servers play it."""
    response = decision.response
    latency = decision.latency_s
    if isinstance(response, Hang):
        return Reply(math.inf, response)
    if isinstance(response, Refuse):
        return Reply(0.0, response)
    if isinstance(response, HttpError):
        return Reply(latency, response)
    answer = compose(call.system, call.prompt, decision.quality, rng)
    variant = response.variant if isinstance(response, BadJson) else None
    text = (envelope_text(variant, answer) if variant else None) or answer.text
    shape = decision.stream
    if shape is None:
        pace = Pace(latency)
    else:
        first = latency if shape.ttft_s is None else shape.ttft_s
        pace = Pace(first, shape.tokens_per_s, shape.stall_after_tokens, shape.stall_s)
    broken = _BROKEN.get(variant) if variant is not None else None
    return _timed(response, text, count_tokens(text), broken, pace, call.stream)


def serve(answer: Reply, decision: Decision, call: ChatCall, queue: ServiceQueue | None,
          now: float) -> tuple[Reply, float]:
    """``answer`` as a provider's service queue times it, and the seconds it waited for a slot.

    Only requests the provider works on take a slot (answers, broken or reset); errors, refusals and
    hangs pass as they are.  Past the queue the answer is the provider's own overflow error, at once.
    The slot is held for the time to first token plus the answer's tokens at the service's rate.
    """
    response = answer.response
    if queue is None or answer.text is None or not isinstance(response, Normal | BadJson | Reset):
        return answer, 0.0
    spec = queue.spec
    service_s = spec.service_s(decision.latency_s, answer.completion_tokens)
    start = queue.admit(now, service_s)
    if isinstance(start, HttpError):
        return Reply(0.0, start), 0.0
    waited = start - now
    first = decision.latency_s if spec.ttft_s is None else spec.ttft_s
    pace = Pace(waited + first, spec.tokens_per_s)
    return _timed(response, answer.text, answer.completion_tokens, answer.broken, pace, call.stream), waited


def _timed(response: ResponseOutcome, text: str, tokens: int, broken: BodyShape | None, pace: Pace,
           stream: bool) -> Reply:
    # A streamed answer that breaks or is reset does so with its first bytes; any other answer ends
    # with its last token (a whole body goes out when its last token is ready).
    cut_early = stream and (broken is not None or isinstance(response, Reset))
    delay = pace.first_s if cut_early else pace.end_s(tokens)
    return Reply(delay, response, text, tokens, broken, pace)
