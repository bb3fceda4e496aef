"""A chat request as every fake provider reads it, whatever its wire format.

The dialects (``servers/openai_wire.py``, ``servers/anthropic_wire.py``) parse
a body into a ``ChatCall``; the engine decides on its ``request_info()`` and
the reply model answers it.  Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from fake_providers.faults.engine import RequestInfo

__all__ = ["ChatCall"]


@dataclass(frozen=True, slots=True)
class ChatCall:
    """A chat request, read from any provider's body."""

    model: str
    system: str
    prompt: str          # the last user message's text
    prompt_tokens: int
    max_tokens: int
    stream: bool
    include_usage: bool = False

    def request_info(self) -> RequestInfo:
        """What the fault engine decides on: the one mapping for the fake servers and the twin."""
        return RequestInfo(self.model, self.stream, self.prompt, self.prompt_tokens + self.max_tokens)
