"""Provider clients by name, as the gateway's configuration spells them."""

from __future__ import annotations

import difflib

import httpx

from .anthropic import ClaudeClient
from .base import ProviderClient
from .openai import OpenAIClient
from .qwen import QwenClient

__all__ = ["CLIENT_TYPES", "make_client"]

CLIENT_TYPES: dict[str, type[OpenAIClient] | type[ClaudeClient]] = {
    "qwen": QwenClient,
    "claude": ClaudeClient,
    "openai": OpenAIClient,
}


def make_client(
    name: str, base_url: str, api_key: str | None, model: str | None, http: httpx.AsyncClient
) -> ProviderClient:
    """A client for provider ``name``; ``model=None`` keeps that provider's default model."""
    cls = CLIENT_TYPES.get(name)
    if cls is None:
        valid = ", ".join(sorted(CLIENT_TYPES))
        near = difflib.get_close_matches(str(name), CLIENT_TYPES, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ValueError(f"unknown provider {name!r}{hint}; valid names: {valid}")
    if model is None:
        return cls(base_url, api_key, http=http)
    return cls(base_url, api_key, model, http=http)
