"""The chat load's request: the parsing agent's own question, as an OpenAI chat completion.

The messages are the gateway's (``gateway.nlp.llm_parse.build_parse_messages``): the system prompt
with the contract's marker ``llmdrill:parse-appointment/v1`` and the user's prompt verbatim as the
last user message (``docs/contracts.md`` section 2).  So the fakes recognise it and answer the gold
entities, through our gateway's pass-through or through any OpenAI-compatible gateway.
"""

from __future__ import annotations

from typing import Any

from gateway.nlp.llm_parse import build_parse_messages
from workload.prompts import Prompt

__all__ = ["CHAT_MAX_TOKENS", "chat_body"]

#: room for the contract's JSON object (about 40 tokens) with a margin; conservation mode caps lower
CHAT_MAX_TOKENS = 200


def chat_body(prompt: Prompt, model: str | None) -> dict[str, Any]:
    # temperature 0: the request is deterministic, as the parsing agent's is (caches may answer it)
    body: dict[str, Any] = {
        "messages": [{"role": m.role, "content": m.content} for m in build_parse_messages(prompt.prompt)],
        "max_tokens": CHAT_MAX_TOKENS,
        "temperature": 0,
    }
    if model is not None:
        body["model"] = model
    return body
