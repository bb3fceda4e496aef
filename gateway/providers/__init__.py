"""Provider clients: httpx on one narrow seam; ``call`` answers a ``Completion`` or a ``ProviderFailure``.

``complete`` is the same call in the SDKs' manner, raising a typed ``ProviderError``.

The pure halves (request bodies, error mapping, header and body parsing) are
importable on their own, for the SimPy twin: ``payloads``, ``errors_map``,
``ratelimits``, ``completions``.
"""

from __future__ import annotations

from .anthropic import ANTHROPIC_VERSION, ClaudeClient
from .base import (
    MAX_BODY_BYTES,
    HTTPProviderClient,
    ProviderClient,
    RawResponse,
    post_json,
    transport_failure,
)
from .completions import parse_anthropic_message, parse_openai_completion
from .errors_map import ErrorBody, failure_from_response, kind_for_status, parse_error_body
from .openai import OpenAIClient
from .payloads import anthropic_messages_body, check_request, openai_chat_body
from .qwen import QwenClient
from .ratelimits import (
    parse_anthropic_ratelimit,
    parse_go_duration,
    parse_openai_ratelimit,
    parse_ratelimit,
    parse_retry_after,
)
from .registry import CLIENT_TYPES, make_client

__all__ = [
    "ANTHROPIC_VERSION",
    "CLIENT_TYPES",
    "MAX_BODY_BYTES",
    "ClaudeClient",
    "ErrorBody",
    "HTTPProviderClient",
    "OpenAIClient",
    "ProviderClient",
    "QwenClient",
    "RawResponse",
    "anthropic_messages_body",
    "check_request",
    "failure_from_response",
    "kind_for_status",
    "make_client",
    "openai_chat_body",
    "parse_anthropic_message",
    "parse_anthropic_ratelimit",
    "parse_error_body",
    "parse_go_duration",
    "parse_openai_completion",
    "parse_openai_ratelimit",
    "parse_ratelimit",
    "parse_retry_after",
    "post_json",
    "transport_failure",
]
