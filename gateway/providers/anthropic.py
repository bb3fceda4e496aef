"""Claude through the Anthropic Messages API: ``POST {base_url}/v1/messages``.

Auth is ``x-api-key`` plus a pinned ``anthropic-version``; system messages go
to the top-level ``system`` field; the answer is every text block, joined.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

import httpx

from ..outcomes import ChatRequest, Completion
from .base import HTTPProviderClient, RawResponse, utc_now
from .completions import parse_anthropic_message
from .payloads import anthropic_messages_body

__all__ = ["ANTHROPIC_VERSION", "ClaudeClient"]

ANTHROPIC_VERSION = "2023-06-01"


class ClaudeClient(HTTPProviderClient):
    __slots__ = ()

    path: ClassVar[str] = "/v1/messages"

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str = "claude-sonnet-4-5",
        *,
        http: httpx.AsyncClient,
        name: str = "claude",
        utcnow: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(base_url, api_key, model, http=http, name=name, utcnow=utcnow)

    def _headers(self) -> dict[str, str]:
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        if self._api_key:
            headers["x-api-key"] = self._api_key
        return headers

    def encode(self, request: ChatRequest) -> dict[str, Any]:
        return anthropic_messages_body(request, self.model)

    def _completion(self, raw: RawResponse, now_utc: datetime | None) -> Completion:
        return parse_anthropic_message(
            self.name, raw.body, raw.headers, now_utc, default_model=self.model, status=raw.status,
            secrets=(self._api_key,),
        )
