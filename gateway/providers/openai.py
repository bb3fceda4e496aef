"""OpenAI Chat Completions client: ``POST {base_url}/v1/chat/completions``, Bearer auth.

``base_url`` is the provider root (``https://api.openai.com``, or a fake's URL);
the openai SDK's own base URL is that root plus ``/v1``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

import httpx

from ..outcomes import ChatRequest, Completion
from .base import HTTPProviderClient, RawResponse, utc_now
from .completions import parse_openai_completion
from .payloads import openai_chat_body

__all__ = ["OpenAIClient"]


class OpenAIClient(HTTPProviderClient):
    __slots__ = ()

    path: ClassVar[str] = "/v1/chat/completions"

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str = "gpt-4o-mini",
        *,
        http: httpx.AsyncClient,
        name: str = "openai",
        utcnow: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(base_url, api_key, model, http=http, name=name, utcnow=utcnow)

    def _headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def encode(self, request: ChatRequest) -> dict[str, Any]:
        return openai_chat_body(request, self.model)

    def _completion(self, raw: RawResponse, now_utc: datetime | None) -> Completion:
        return parse_openai_completion(
            self.name, raw.body, raw.headers, default_model=self.model, status=raw.status,
            secrets=(self._api_key,),
        )
