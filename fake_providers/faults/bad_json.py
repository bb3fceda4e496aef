"""``bad_json:`` — a malformed answer: truncated | prose | wrong_schema | empty | wrong_content_type.

Pure: no I/O.  The bytes of each variant are fixed in ``fake_providers.faults.broken_bodies``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

from fake_providers.faults.decisions import BAD_JSON_VARIANTS, BadJson, Draft
from fake_providers.faults.problems import read_str
from fake_providers.faults.registry import register

__all__ = ["BadJsonEffect"]


@dataclass(frozen=True, slots=True)
class BadJsonEffect:
    slot: ClassVar[str] = "response"
    kind: ClassVar[str] = "bad_json"

    variant: str

    @classmethod
    def parse(cls, value: object, where: str) -> BadJsonEffect:
        return cls(read_str(value, where, BAD_JSON_VARIANTS))

    def draw(self, draft: Draft, rng: random.Random, time_scale: float) -> None:
        draft.response = self.outcome()

    def outcome(self) -> BadJson:
        return BadJson(self.variant)

    def scaled(self, factor: float) -> BadJsonEffect:
        return self

    def to_json(self) -> object:
        return self.variant


register("bad_json", BadJsonEffect.parse)
