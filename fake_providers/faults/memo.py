"""A small bounded memo for pure per-request work (parsing a body, composing an answer).

Load repeats the same bodies and prompts, so remembering a pure function's
result saves its cost on every repeat; the bound keeps a stream of distinct
inputs from growing memory: when full, the memo starts over (cheaper per hit
than LRU bookkeeping, and a cold start only costs the recomputation).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TypeVar

__all__ = ["Memo"]

V = TypeVar("V")


class Memo(dict[Hashable, V]):
    """A dict that starts over when full; ``get`` is the dict's own (a C call per lookup, no wrapper)."""

    __slots__ = ("limit",)

    def __init__(self, limit: int = 1024) -> None:
        super().__init__()
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        self.limit = limit

    def put(self, key: Hashable, value: V) -> V:
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value
