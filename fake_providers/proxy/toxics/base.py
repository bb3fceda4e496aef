"""What every toxic shares: the chunk, the per-connection stub, attributes and the registry.

A toxic is a value (its validated attributes) plus ``pipe(stub)``: a coroutine that moves chunks
from ``stub.input`` to ``stub.output`` for one direction of one connection, as Toxiproxy's
``Pipe(*ToxicStub)`` does.  The link interrupts a running pipe by cancelling its task, so a toxic
keeps any data it has accepted but not yet passed on in ``stub.held``: the link forwards that data
on interrupt, which is Toxiproxy's "don't drop any data on the floor".
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Self, TypeVar

from ..errors import ApiError

__all__ = [
    "Chunk",
    "ChunkQueue",
    "ToxicBase",
    "ToxicStub",
    "create_toxic",
    "draw_applies",
    "register",
    "toxic_types",
]


@dataclass(frozen=True, slots=True)
class Chunk:
    """Bytes read from a socket and the loop time they were read (latency counts from it)."""

    data: bytes
    ts: float


ChunkQueue = asyncio.Queue[Chunk | None]  # None is end of stream


def draw_applies(toxicity: float, rng: random.Random) -> bool:
    """The per-connection toxicity draw: Toxiproxy's ``rand.Float32() < toxicity``."""
    return rng.random() < toxicity


class ToxicStub:
    """One toxic's place in one direction of one connection."""

    __slots__ = ("_on_reset", "closed", "eof_pending", "held", "input", "output", "rng", "state")

    def __init__(
        self,
        input_q: ChunkQueue,
        output_q: ChunkQueue,
        rng: random.Random,
        on_reset: Callable[[], None],
    ) -> None:
        self.input = input_q
        self.output = output_q
        self.rng = rng
        self.state: Any = None
        self.held: Chunk | None = None
        self.eof_pending = False
        self.closed = False
        self._on_reset = on_reset

    @staticmethod
    def now() -> float:
        return asyncio.get_running_loop().time()

    async def recv(self) -> Chunk | None:
        return await self.input.get()

    async def send(self, chunk: Chunk) -> None:
        # A cancelled put inserts nothing, so ``held`` is exactly what would otherwise be lost.
        self.held = chunk
        await self.output.put(chunk)
        self.held = None

    async def close(self) -> None:
        """End this direction downstream of here (Toxiproxy's ``stub.Close()``)."""
        self.eof_pending = True
        await self.output.put(None)
        self.eof_pending = False
        self.closed = True

    def request_reset(self) -> None:
        """Ask the link to close both sockets with SO_LINGER 0, i.e. a TCP RST."""
        self._on_reset()


_INT64_MAX = 2**63 - 1


def _int_attribute(type_name: str, name: str, value: object) -> int:
    where = f"attributes.{name} of toxic type {type_name!r}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(f"bad request body: {where} must be a non-negative integer, got {value!r}", 400)
    if isinstance(value, float) and not value.is_integer():
        raise ApiError(f"bad request body: {where} must be an integer, got {value!r}", 400)
    if value < 0:
        raise ApiError(f"bad request body: {where} must be >= 0, got {value!r}", 400)
    if value > _INT64_MAX:   # Toxiproxy's attributes are Go int64s: it refuses bigger numbers too
        raise ApiError(f"bad request body: {where} must be at most {_INT64_MAX}, got {value!r}", 400)
    return int(value)


class ToxicBase:
    """Base of the toxic dataclasses: every attribute is a non-negative integer, defaulting to 0."""

    buffer_size: ClassVar[int] = 1
    closes_on_removal: ClassVar[bool] = False  # Toxiproxy's CleanupToxic (timeout)
    type_name: ClassVar[str] = ""

    @classmethod
    def from_attributes(cls, attributes: object, base: Mapping[str, int] | None = None) -> Self:
        """Validate ``attributes`` (merged over ``base`` for updates) and build the toxic."""
        if attributes is None:
            attributes = {}
        if not isinstance(attributes, Mapping):
            raise ApiError(f"bad request body: attributes of toxic type {cls.type_name!r} "
                           "must be a JSON object", 400)
        names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
        values: dict[str, int] = dict(base or {})
        for key, value in attributes.items():
            if key not in names:
                raise ApiError(f"bad request body: unknown attribute {key!r} for toxic type "
                               f"{cls.type_name!r} (valid: {', '.join(names) or 'none'})", 400)
            values[key] = _int_attribute(cls.type_name, key, value)
        toxic = cls(**values)
        toxic.validate()
        return toxic

    def validate(self) -> None:
        """Cross-attribute checks; raise ``ApiError`` (400) naming the attribute."""

    def attributes(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

    def new_state(self) -> Any:
        return None

    async def pipe(self, stub: ToxicStub) -> None:
        raise NotImplementedError


_REGISTRY: dict[str, type[ToxicBase]] = {}
_T = TypeVar("_T", bound=type[ToxicBase])


def register(type_name: str) -> Callable[[_T], _T]:
    def decorate(cls: _T) -> _T:
        cls.type_name = type_name
        _REGISTRY[type_name] = cls
        return cls

    return decorate


def toxic_types() -> tuple[str, ...]:
    return tuple(sorted(_REGISTRY))


def create_toxic(type_name: object, attributes: object, base: Mapping[str, int] | None = None) -> ToxicBase:
    if not isinstance(type_name, str) or type_name not in _REGISTRY:
        raise ApiError(f"invalid toxic type: {type_name!r} (known: {', '.join(toxic_types())})", 400)
    return _REGISTRY[type_name].from_attributes(attributes, base)
