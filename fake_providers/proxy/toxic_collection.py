"""A proxy's toxics: one chain per stream, and the live links they are applied to."""

from __future__ import annotations

import asyncio

from .errors import toxic_exists, toxic_not_found
from .link import Link
from .toxic_spec import STREAMS, Stream, ToxicSpec, parse_new_toxic, parse_toxic_update

__all__ = ["ToxicCollection"]


class ToxicCollection:
    """Changes are serialised; each applies to every live link of the toxic's stream."""

    def __init__(self) -> None:
        self._chains: dict[Stream, list[ToxicSpec]] = {s: [] for s in STREAMS}
        self._links: set[Link] = set()
        self._lock = asyncio.Lock()

    def chains(self) -> dict[Stream, tuple[ToxicSpec, ...]]:
        return {s: tuple(chain) for s, chain in self._chains.items()}

    def all(self) -> list[ToxicSpec]:
        return [spec for s in STREAMS for spec in self._chains[s]]

    def get(self, name: str) -> ToxicSpec | None:
        return next((spec for spec in self.all() if spec.name == name), None)

    def _locate(self, name: str) -> tuple[Stream, int]:
        for stream in STREAMS:
            for i, spec in enumerate(self._chains[stream]):
                if spec.name == name:
                    return stream, i
        raise toxic_not_found(name)

    def attach(self, link: Link) -> None:
        self._links.add(link)

    def detach(self, link: Link) -> None:
        self._links.discard(link)

    async def add(self, body: object) -> ToxicSpec:
        spec = parse_new_toxic(body)
        async with self._lock:
            if self.get(spec.name) is not None:
                raise toxic_exists(spec.name)
            self._chains[spec.stream].append(spec)
            # The snapshot is taken with the chain change, before any await: a link started later
            # already has the toxic in its chain.
            pipes = [link.pipes[spec.stream] for link in self._links]
            await asyncio.gather(*(pipe.add_toxic(spec) for pipe in pipes))
        return spec

    async def update(self, name: str, body: object) -> ToxicSpec:
        async with self._lock:
            stream, i = self._locate(name)
            spec = parse_toxic_update(self._chains[stream][i], body)
            self._chains[stream][i] = spec
            pipes = [link.pipes[stream] for link in self._links]
            await asyncio.gather(*(pipe.update_toxic(i + 1, spec) for pipe in pipes))
        return spec

    async def remove(self, name: str) -> None:
        async with self._lock:
            stream, i = self._locate(name)
            del self._chains[stream][i]
            pipes = [link.pipes[stream] for link in self._links]
            await asyncio.gather(*(pipe.remove_toxic(i + 1) for pipe in pipes))

    async def reset(self) -> None:
        """Remove every toxic (POST /reset); last first, so each removal rewires only a chain's tail."""
        for spec in reversed(self.all()):
            await self.remove(spec.name)
