"""A small bounded memo for pure per-request work (parsing a body, composing an answer).

Load repeats the same bodies and prompts, so remembering a pure function's
result saves its cost on every repeat; the bound keeps a stream of distinct
inputs from growing memory: when full, the memo starts over (cheaper per hit
than LRU bookkeeping, and a cold start only costs the recomputation).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["Memo"]

V = TypeVar("V")


class Memo(Generic[V]):
    __slots__ = ("_items", "limit")

    def __init__(self, limit: int = 1024) -> None:
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        self.limit = limit
        self._items: dict[Hashable, V] = {}

    def get(self, key: Hashable) -> V | None:
        return self._items.get(key)

    def put(self, key: Hashable, value: V) -> V:
        items = self._items
        if len(items) >= self.limit:
            items.clear()
        items[key] = value
        return value

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
