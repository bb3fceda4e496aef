"""The network between the gateway and one provider, in virtual time: the toxics that matter.

The timeline hands this model the same Toxiproxy bodies the live proxy gets
(``type``, ``stream``, ``toxicity``, ``attributes`` in Toxiproxy's units).  For
one call, ``Link.cross`` draws what the link does to it, with the proxy's own
pure functions (``draw_delay_ms``, ``transmit_seconds``, ``draw_applies``):

=============  ==============================================================
toxic          effect on a call
=============  ==============================================================
latency        the stream's data arrives ``latency ± jitter`` later
bandwidth      the stream's bytes take ``size / rate`` to pass
timeout        the stream's data is dropped; the connection closes after
               ``timeout`` (0: never — the client's timeout decides)
reset_peer     on the stream's first data, wait ``timeout``, then a TCP RST
down           the proxy is disabled: connections are refused
=============  ==============================================================

``upstream`` is gateway → provider (the request), ``downstream`` the answer.
``slicer``, ``slow_close`` and ``limit_data`` are not modelled: they change
how bytes are cut, which a whole-message model cannot see.  Pure: no I/O.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fake_providers.proxy.toxics.bandwidth import transmit_seconds
from fake_providers.proxy.toxics.base import draw_applies
from fake_providers.proxy.toxics.latency import draw_delay_ms

__all__ = ["MODELLED_TOXICS", "Crossing", "Link", "NetworkError", "Toxic"]

MODELLED_TOXICS = ("latency", "bandwidth", "timeout", "reset_peer")
Cut = Literal["reset", "close", "hang"]


class NetworkError(ValueError):
    """A toxic body the twin cannot model; names the field."""


@dataclass(frozen=True, slots=True)
class Toxic:
    name: str
    type: str
    stream: str
    toxicity: float
    attributes: Mapping[str, float]

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Toxic:
        kind = body.get("type")
        if kind not in MODELLED_TOXICS:
            raise NetworkError(f"type: the twin models {', '.join(MODELLED_TOXICS)} (and down), not {kind!r}")
        stream = body.get("stream", "downstream")
        if stream not in ("upstream", "downstream"):
            raise NetworkError(f"stream: expected upstream or downstream, got {stream!r}")
        toxicity = body.get("toxicity", 1.0)
        if isinstance(toxicity, bool) or not isinstance(toxicity, int | float) or not 0 <= toxicity <= 1:
            raise NetworkError(f"toxicity: expected a number in [0, 1], got {toxicity!r}")
        raw = body.get("attributes", {})
        if not isinstance(raw, Mapping):
            raise NetworkError(f"attributes: expected an object, got {raw!r}")
        attrs: dict[str, float] = {}
        for key, value in raw.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise NetworkError(f"attributes.{key}: expected a number >= 0, got {value!r}")
            attrs[str(key)] = float(value)
        return cls(str(body.get("name", f"{kind}_{stream}")), str(kind), str(stream), float(toxicity), attrs)


@dataclass(frozen=True, slots=True)
class Crossing:
    """What the link does to one call: delays each way, and where it breaks it, if it does."""

    up_s: float = 0.0
    down_s: float = 0.0
    down_bytes_per_s: float | None = None
    refused: bool = False
    cut: Cut | None = None
    cut_stream: str | None = None
    cut_after_s: float = 0.0


NO_EFFECT = Crossing()


class Link:
    """The proxy of one provider: enabled or not, and its toxics by name."""

    __slots__ = ("_toxics", "enabled")

    def __init__(self) -> None:
        self.enabled = True
        self._toxics: dict[str, Toxic] = {}

    @property
    def toxics(self) -> tuple[Toxic, ...]:
        return tuple(self._toxics.values())

    def add(self, toxic: Toxic) -> None:
        if toxic.name in self._toxics:
            raise NetworkError(f"name: toxic {toxic.name!r} already exists")   # Toxiproxy answers 409
        self._toxics[toxic.name] = toxic

    def remove(self, name: str) -> None:
        if self._toxics.pop(name, None) is None:
            raise NetworkError(f"name: no toxic {name!r}")                      # Toxiproxy answers 404

    def cross(self, rng: random.Random) -> Crossing:
        if not self.enabled:
            return Crossing(refused=True)
        if not self._toxics:
            return NO_EFFECT
        up = down = 0.0
        rate: float | None = None
        cut: Cut | None = None
        cut_stream: str | None = None
        cut_after = 0.0
        for toxic in self._toxics.values():
            if not draw_applies(toxic.toxicity, rng):
                continue
            a = toxic.attributes
            upstream = toxic.stream == "upstream"
            if toxic.type == "latency":
                delay = draw_delay_ms(int(a.get("latency", 0)), int(a.get("jitter", 0)), rng) / 1000
                if upstream:
                    up += delay
                else:
                    down += delay
            elif toxic.type == "bandwidth":
                kbps = a.get("rate", 0.0)
                if kbps <= 0:
                    cut, cut_stream, cut_after = "hang", toxic.stream, 0.0
                elif not upstream:
                    per_s = kbps * 1000
                    rate = per_s if rate is None else min(rate, per_s)
            elif cut is None:
                ms = a.get("timeout", 0.0)
                # Toxiproxy's timeout 0 holds the connection forever; reset_peer's 0 resets at once
                cut = ("hang" if ms <= 0 else "close") if toxic.type == "timeout" else "reset"
                cut_stream, cut_after = toxic.stream, ms / 1000
        return Crossing(up, down, rate, False, cut, cut_stream, cut_after)

    @staticmethod
    def transmit_s(size: int, bytes_per_s: float | None) -> float:
        if bytes_per_s is None:
            return 0.0
        return transmit_seconds(size, max(1, round(bytes_per_s / 1000)))
