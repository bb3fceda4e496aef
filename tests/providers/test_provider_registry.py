"""make_client, the package's public surface, and constructor validation."""

from __future__ import annotations

import asyncio

import httpx
import pytest

import gateway.providers as providers
from gateway.outcomes import PROVIDERS
from gateway.providers import ClaudeClient, OpenAIClient, ProviderClient, QwenClient, make_client

KEY = "sk-SENTINEL-registry-77"


def _make(*args: object, **kwargs: object) -> object:
    async def go() -> object:
        async with httpx.AsyncClient() as http:
            return make_client(*args, http=http, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("name", "cls", "model", "path"),
    [
        ("qwen", QwenClient, "qwen-plus", "/compatible-mode/v1/chat/completions"),
        ("claude", ClaudeClient, "claude-sonnet-4-5", "/v1/messages"),
        ("openai", OpenAIClient, "gpt-4o-mini", "/v1/chat/completions"),
    ],
)
def test_make_client_defaults(name: str, cls: type, model: str, path: str) -> None:
    client = _make(name, "http://127.0.0.1:9000/", KEY, None)
    assert type(client) is cls
    assert isinstance(client, ProviderClient)
    assert (client.name, client.model) == (name, model)  # type: ignore[attr-defined]
    assert client.url == "http://127.0.0.1:9000" + path  # type: ignore[attr-defined]
    assert KEY not in repr(client)
    assert _make(name, "http://127.0.0.1:9000", None, "custom-model").model == "custom-model"  # type: ignore[attr-defined]


def test_registry_covers_every_provider() -> None:
    assert set(providers.CLIENT_TYPES) == set(PROVIDERS)


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="unknown provider 'qwn'") as info:
        _make("qwn", "http://127.0.0.1:1", None, None)
    message = str(info.value)
    assert "did you mean 'qwen'" in message
    assert "claude, openai, qwen" in message


@pytest.mark.parametrize(
    ("base_url", "fragment"),
    [
        ("", "non-empty"),
        ("ftp://127.0.0.1", "http"),
        ("127.0.0.1:8000", "http"),
        ("http://127.0.0.1:1?x=1", "query"),
        ("http://", "host"),
    ],
)
def test_bad_base_url(base_url: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as info:
        _make("openai", base_url, KEY, None)
    assert "openai" in str(info.value) and KEY not in str(info.value)


def test_empty_model_and_non_client_http_are_rejected() -> None:
    with pytest.raises(ValueError, match="model"):
        _make("claude", "http://127.0.0.1:1", None, "")
    with pytest.raises(ValueError, match=r"httpx\.AsyncClient"):
        OpenAIClient("http://127.0.0.1:1", None, http=object())  # type: ignore[arg-type]


def test_public_surface_is_exactly_all() -> None:
    public = {n for n in vars(providers) if not n.startswith("_")}
    modules = {
        "anthropic",
        "base",
        "completions",
        "errors_map",
        "openai",
        "payloads",
        "qwen",
        "ratelimits",
        "redact",
        "registry",
        "annotations",
    }
    assert public - modules == set(providers.__all__)
    for name in providers.__all__:
        assert hasattr(providers, name)
