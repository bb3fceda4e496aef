"""Effect kinds, registered by name (Toxiproxy's one-file-per-toxic shape).

A rule has exactly one effect; its key in the rule (``latency``, ``error``...)
names the kind.  Adding a kind is one new module that calls :func:`register`
and is imported by ``fake_providers.faults.plan``: its parse, its ``scaled`` and
``to_json``, and its decision, ``Draws.draw`` (what the engine calls; no
``isinstance`` ladder), unless its slot is emergent state the engine keeps.
What the fake then says is the reply model's (``reply.py``), one for every kind.
Pure: no I/O.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import ClassVar, Protocol

from fake_providers.faults.decisions import Draft
from fake_providers.faults.problems import FaultPlanError

__all__ = ["EMERGENT_SLOTS", "Draws", "Effect", "effect_names", "parse_effect", "register"]

#: Slots of kinds that keep state across requests (the engine, or the reply's service queue, keeps it);
#: every other kind draws its part of a decision itself (``Draws``).
EMERGENT_SLOTS: frozenset[str] = frozenset({"quota", "capacity", "service"})


class Effect(Protocol):
    #: Which part of a decision the effect decides: latency, response, quality, stream, quota, capacity,
    #: service.
    slot: ClassVar[str]
    #: The rule key that introduces it.
    kind: ClassVar[str]

    def scaled(self, factor: float) -> Effect:
        """The same effect with every duration multiplied by ``factor``."""
        ...

    def to_json(self) -> object:
        """The plan form, read back unchanged by the kind's parser."""
        ...


class Draws(Effect, Protocol):
    """A kind that decides one part of a request's decision on its own: its ``slot`` of the draft."""

    def draw(self, draft: Draft, rng: random.Random, time_scale: float) -> None:
        """Fill ``draft``'s ``slot``, drawing from ``rng``; ``time_scale`` converts per-scaled-second rates."""
        ...


_PARSERS: dict[str, Callable[[object, str], Effect]] = {}


def register(kind: str, parse: Callable[[object, str], Effect]) -> None:
    if kind in _PARSERS:
        raise ValueError(f"effect kind {kind!r} is registered twice")
    _PARSERS[kind] = parse


def effect_names() -> tuple[str, ...]:
    return tuple(sorted(_PARSERS))


def parse_effect(kind: str, value: object, where: str) -> Effect:
    try:
        parse = _PARSERS[kind]
    except KeyError:
        raise FaultPlanError(where, f"unknown effect {kind!r}") from None
    return parse(value, where)
