"""``error:`` — an HTTP error in the provider's own shape (429, 500, 502, 503, 529...).

Pure: no I/O.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

from fake_providers.faults.decisions import Draft, HttpError
from fake_providers.faults.durations import parse_duration
from fake_providers.faults.problems import (
    FaultPlanError,
    check_keys,
    expect_mapping,
    join,
    read_int,
    read_str,
)
from fake_providers.faults.registry import register

__all__ = ["ERROR_STATUSES", "RATE_LIMIT_CODES", "ErrorEffect"]

ERROR_STATUSES: frozenset[int] = frozenset({400, 401, 403, 404, 408, 409, 413, 429, 500, 502, 503, 504, 529})
RATE_LIMIT_CODES: tuple[str, ...] = ("rate_limit_exceeded", "insufficient_quota")


@dataclass(frozen=True, slots=True)
class ErrorEffect:
    slot: ClassVar[str] = "response"
    kind: ClassVar[str] = "error"

    status: int
    code: str | None = None
    retry_after_s: float | None = None

    @classmethod
    def parse(cls, value: object, where: str) -> ErrorEffect:
        if isinstance(value, int) and not isinstance(value, bool):
            value = {"status": value}
        body = expect_mapping(value, where)
        check_keys(body, ("status", "code", "retry_after"), where, required=("status",))
        status_path = join(where, "status")
        status = read_int(body["status"], status_path, minimum=400, maximum=599)
        if status not in ERROR_STATUSES:
            listed = ", ".join(str(s) for s in sorted(ERROR_STATUSES))
            message = f"{status} is not an error the fakes produce (use one of {listed})"
            raise FaultPlanError(status_path, message)
        code: str | None = None
        if "code" in body:
            choices = RATE_LIMIT_CODES if status == 429 else None
            code = read_str(body["code"], join(where, "code"), choices)
        elif status == 429:
            code = "rate_limit_exceeded"
        retry_after = None
        if "retry_after" in body and body["retry_after"] is not None:
            retry_after = parse_duration(body["retry_after"], join(where, "retry_after"))
        return cls(status, code, retry_after)

    def draw(self, draft: Draft, rng: random.Random, time_scale: float) -> None:
        draft.response = self.outcome()

    def outcome(self) -> HttpError:
        return HttpError(self.status, self.code, self.retry_after_s)

    def scaled(self, factor: float) -> ErrorEffect:
        retry = None if self.retry_after_s is None else self.retry_after_s * factor
        return ErrorEffect(self.status, self.code, retry)

    def to_json(self) -> object:
        out: dict[str, object] = {"status": self.status}
        if self.code is not None:
            out["code"] = self.code
        if self.retry_after_s is not None:
            out["retry_after"] = self.retry_after_s
        return out


register("error", ErrorEffect.parse)
