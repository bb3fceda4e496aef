"""A toxic as the API sees it: name, type, stream, toxicity and attributes; parsing of request bodies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .errors import ApiError, bad_request
from .toxics import ToxicBase, create_toxic

__all__ = ["STREAMS", "Stream", "ToxicSpec", "parse_new_toxic", "parse_toxic_update"]

Stream = Literal["upstream", "downstream"]
STREAMS: tuple[Stream, ...] = ("upstream", "downstream")  # upstream: client → server


@dataclass(frozen=True, slots=True)
class ToxicSpec:
    name: str
    type: str
    stream: Stream
    toxicity: float
    toxic: ToxicBase

    def to_json(self) -> dict[str, object]:
        return {
            "attributes": self.toxic.attributes(),
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
        }


def _object(body: object) -> Mapping[str, object]:
    if not isinstance(body, Mapping):
        raise bad_request(f"expected a JSON object, got {type(body).__name__}")
    return body


def _toxicity(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise bad_request(f"toxicity must be a number between 0 and 1, got {value!r}")
    return float(value)


def _stream(value: object) -> Stream:
    text = value.lower() if isinstance(value, str) else value
    if text == "upstream":
        return "upstream"
    if text == "downstream":
        return "downstream"
    raise ApiError(f"stream was invalid, can be either upstream or downstream (got {value!r})", 400)


def parse_new_toxic(body: object) -> ToxicSpec:
    """A toxic-create body with Toxiproxy's defaults: stream downstream, toxicity 1, name type_stream."""
    fields = _object(body)
    stream = _stream(fields.get("stream", "downstream"))
    type_name = fields.get("type")
    if type_name is None:
        raise ApiError("missing required field: type", 400)
    toxic = create_toxic(type_name, fields.get("attributes"))
    name = fields.get("name") or f"{type_name}_{stream}"
    if not isinstance(name, str):
        raise bad_request(f"name must be a string, got {name!r}")
    toxicity = _toxicity(fields.get("toxicity", 1.0))
    return ToxicSpec(name, toxic.type_name, stream, toxicity, toxic)


def parse_toxic_update(current: ToxicSpec, body: object) -> ToxicSpec:
    """Attributes merge over the current ones; toxicity may change; name, type and stream may not."""
    fields = _object(body)
    toxic = create_toxic(current.type, fields.get("attributes", {}), current.toxic.attributes())
    toxicity = _toxicity(fields["toxicity"]) if "toxicity" in fields else current.toxicity
    return ToxicSpec(current.name, current.type, current.stream, toxicity, toxic)
