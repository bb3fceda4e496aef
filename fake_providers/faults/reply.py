"""The reply model: what a fake provider answers for one decided request, and when it is done.

``reply(decision, call, rng)`` turns the engine's ``Decision`` and the parsed
request into a ``Reply``: the seconds from request to the end of the answer,
the outcome, and (for answers) the assistant text and its token count.  The
SimPy twin uses it directly; the fake servers can play the same value out on
the wire (``servers/chat.py`` still composes its own answer today).

Pure: no I/O, no clock.  Answers are composed with the ``rng`` handed in; with
``call_rng`` that is one generator per call, derived from the run's seed and
the call's own key, so what one call answers does not depend on how the other
calls interleave with it.

Imports ``fake_providers.servers.answers``/``bad_json`` (pure modules); this
module is therefore not re-exported by ``fake_providers.faults``, whose engine
the servers import.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal

from fake_providers.faults.outcomes import BadJson, Decision, Hang, HttpError, Refuse, Reset, ResponseOutcome
from fake_providers.servers.answers import compose, count_tokens
from fake_providers.servers.bad_json import envelope_text
from fake_providers.servers.dialect import ChatCall

__all__ = ["BODY_SHAPES", "Reply", "call_rng", "reply"]

#: How the body of an answer is broken on the wire, if it is (``None``: a well-formed body).
BodyShape = Literal["truncated", "empty", "html"]
BODY_SHAPES: tuple[str, ...] = ("truncated", "empty", "html")
_BROKEN: dict[str, BodyShape] = {"truncated": "truncated", "empty": "empty", "wrong_content_type": "html"}
_MASK = (1 << 63) - 1


@dataclass(frozen=True, slots=True)
class Reply:
    """One call's answer as values.

    ``delay_s`` runs from the request to the end of the answer (``inf``: it never
    comes, the client's timeout decides).  ``text`` is the assistant text inside
    an answer's envelope (``None`` for an error, refusal or hang); ``broken``
    says how a bad-JSON answer's bytes are broken; ``reset`` answers are cut by
    a TCP RST before the client has them whole.
    """

    delay_s: float
    response: ResponseOutcome
    text: str | None = None
    completion_tokens: int = 0
    broken: BodyShape | None = None

    def __post_init__(self) -> None:
        if not self.delay_s >= 0:  # also rejects NaN
            raise ValueError(f"delay_s must be >= 0, got {self.delay_s}")
        if self.completion_tokens < 0:
            raise ValueError(f"completion_tokens must be >= 0, got {self.completion_tokens}")

    @property
    def answered(self) -> bool:
        """An HTTP 200 with a body the client can read (possibly a wrong one)."""
        return self.text is not None and self.broken is None and not isinstance(self.response, Reset)


def call_rng(seed: int, key: int) -> random.Random:
    """The generator of one call: a pure function of the run's seed and the call's key."""
    # Integer seeding is exact and cheap; the multiplier keeps (seed, key) pairs apart.
    return random.Random(((seed & 0xFFFFFFFF) * 0x9E3779B97F4A7C15 + key) & _MASK)


def reply(decision: Decision, call: ChatCall, rng: random.Random) -> Reply:
    """What the fake answers for ``call`` as ``decision`` says, timed as the servers time it."""
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
    tokens = count_tokens(text)
    shape = decision.stream
    delay = shape.duration_s(tokens, latency) if shape is not None else latency
    broken = _BROKEN.get(variant) if variant is not None else None
    return Reply(delay, response, text, tokens, broken)
