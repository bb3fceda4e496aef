"""The primitives of the report's columns (``reports.columns``): strings as small codes, None as NaN
or -1, typed boolean masks, and zero-copy numpy views of growing ``array``s.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from abc import abstractmethod
from array import array
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar, overload

import numpy as np
import numpy.typing as npt

__all__ = [
    "NONE_CODE",
    "BoolArray",
    "Codes",
    "FloatArray",
    "IntArray",
    "RecordTable",
    "as_float",
    "as_tri",
    "from_tri",
    "mask",
    "name_of",
    "optional",
    "view",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: the code of a None string and of a None status
NONE_CODE = -1
NAN_ = float("nan")


class Codes:
    """Distinct strings and their small integer codes, in order of first appearance."""

    __slots__ = ("_index", "names")

    def __init__(self) -> None:
        self.names: list[str] = []
        self._index: dict[str, int] = {}

    def code(self, name: str | None) -> int:
        if name is None:
            return NONE_CODE
        found = self._index.get(name)
        if found is None:
            found = self._index[name] = len(self.names)
            self.names.append(name)
        return found

    def freeze(self) -> tuple[str, ...]:
        return tuple(self.names)


def name_of(names: tuple[str, ...], code: int) -> str | None:
    return None if code == NONE_CODE else names[code]


def optional(x: float) -> float | None:
    return None if x != x else x  # NaN is None


def as_tri(x: bool | None) -> int:
    return -1 if x is None else int(x)


def from_tri(x: int) -> bool | None:
    return None if x < 0 else bool(x)


def as_float(x: float | None) -> float:
    return NAN_ if x is None else float(x)


def mask(x: Any) -> BoolArray:
    """A comparison's result as a typed boolean column (numpy's stubs say ``Any``)."""
    return np.asarray(x, dtype=np.bool_)


def view(a: array[Any], dtype: type[Any]) -> npt.NDArray[Any]:
    # a zero-copy view: the array's buffer is the column
    return np.frombuffer(a, dtype=dtype) if len(a) else np.zeros(0, dtype=dtype)


R = TypeVar("R")


class RecordTable(Sequence[R]):
    """A ``Sequence`` of records kept as columns: a subclass says how many rows and how to rebuild
    row ``i`` as its record; indexing, slicing and iteration rebuild records on demand."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def record(self, i: int) -> R: ...

    @overload
    def __getitem__(self, i: int) -> R: ...
    @overload
    def __getitem__(self, i: slice) -> list[R]: ...
    def __getitem__(self, i: int | slice) -> R | list[R]:
        if isinstance(i, slice):
            return [self.record(k) for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.record(i)

    def __iter__(self) -> Iterator[R]:
        return (self.record(i) for i in range(len(self)))
