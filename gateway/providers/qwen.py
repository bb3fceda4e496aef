"""Qwen through DashScope's OpenAI-compatible mode.

``POST {base_url}/compatible-mode/v1/chat/completions``: OpenAI's body shapes,
error envelope and ``x-ratelimit-*`` headers, Bearer auth — so everything but
the path and the default model is the OpenAI client's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

import httpx

from .base import utc_now
from .openai import OpenAIClient

__all__ = ["QwenClient"]


class QwenClient(OpenAIClient):
    __slots__ = ()

    path: ClassVar[str] = "/compatible-mode/v1/chat/completions"

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str = "qwen-plus",
        *,
        http: httpx.AsyncClient,
        name: str = "qwen",
        utcnow: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(base_url, api_key, model, http=http, name=name, utcnow=utcnow)
