"""Effect kinds, registered by name (Toxiproxy's one-file-per-toxic shape).

A rule has exactly one effect; its key in the rule (``latency``, ``error``...)
names the kind.  Adding a kind is one new module that calls :func:`register`
and is imported by ``fake_providers.faults.plan``.  Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Protocol

from fake_providers.faults.problems import FaultPlanError

__all__ = ["Effect", "effect_names", "parse_effect", "register"]


class Effect(Protocol):
    #: Which part of a decision the effect decides: latency, response, quality, stream, quota, capacity.
    slot: ClassVar[str]
    #: The rule key that introduces it.
    kind: ClassVar[str]

    def scaled(self, factor: float) -> Effect:
        """The same effect with every duration multiplied by ``factor``."""
        ...

    def to_json(self) -> object:
        """The plan form, read back unchanged by the kind's parser."""
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
