"""``quality:`` — answers that parse but are worse: lower confidence, wrong or missing entities.

Pure: no I/O.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

from fake_providers.faults.decisions import Draft, QualityLoss
from fake_providers.faults.problems import FaultPlanError, check_keys, expect_mapping, join, read_probability
from fake_providers.faults.registry import register

__all__ = ["QualityEffect"]

_KEYS = ("confidence", "wrong_entity_rate", "missing_entity_rate")


@dataclass(frozen=True, slots=True)
class QualityEffect:
    slot: ClassVar[str] = "quality"
    kind: ClassVar[str] = "quality"

    loss: QualityLoss

    @classmethod
    def parse(cls, value: object, where: str) -> QualityEffect:
        body = expect_mapping(value, where)
        check_keys(body, _KEYS, where)
        if not body:
            raise FaultPlanError(where, f"needs at least one of {', '.join(_KEYS)}")
        confidence = None
        if body.get("confidence") is not None:
            confidence = read_probability(body["confidence"], join(where, "confidence"))
        wrong = read_probability(body.get("wrong_entity_rate", 0.0), join(where, "wrong_entity_rate"))
        missing = read_probability(body.get("missing_entity_rate", 0.0), join(where, "missing_entity_rate"))
        if wrong + missing > 1.0:
            total = wrong + missing
            raise FaultPlanError(where, f"wrong_entity_rate + missing_entity_rate must be <= 1, got {total}")
        return cls(QualityLoss(confidence, wrong, missing))

    def draw(self, draft: Draft, rng: random.Random, time_scale: float) -> None:
        draft.quality = self.loss

    def scaled(self, factor: float) -> QualityEffect:
        return self

    def to_json(self) -> object:
        out: dict[str, object] = {}
        if self.loss.confidence is not None:
            out["confidence"] = self.loss.confidence
        out["wrong_entity_rate"] = self.loss.wrong_rate
        out["missing_entity_rate"] = self.loss.missing_rate
        return out


register("quality", QualityEffect.parse)
