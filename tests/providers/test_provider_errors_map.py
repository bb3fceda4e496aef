"""The pure mapping from HTTP answers to failures, and from 200 bodies to completions."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import BadResponse
from gateway.outcomes import FailureKind
from gateway.providers import (
    errors_map,
    failure_from_response,
    kind_for_status,
    parse_anthropic_message,
    parse_error_body,
    parse_openai_completion,
)

KEY = "sk-SENTINEL-5ad1e0-never-print"
JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, FailureKind.CLIENT_ERROR),
        (401, FailureKind.CLIENT_ERROR),
        (403, FailureKind.CLIENT_ERROR),
        (404, FailureKind.CLIENT_ERROR),
        (408, FailureKind.TIMEOUT),
        (413, FailureKind.CLIENT_ERROR),
        (429, FailureKind.RATE_LIMITED),
        (500, FailureKind.SERVER_ERROR),
        (502, FailureKind.SERVER_ERROR),
        (503, FailureKind.SERVER_ERROR),
        (504, FailureKind.SERVER_ERROR),
        (529, FailureKind.OVERLOADED),
        (520, FailureKind.SERVER_ERROR),
        (302, FailureKind.BAD_RESPONSE),
        (700, FailureKind.BAD_RESPONSE),
    ],
)
def test_kind_for_status(status: int, kind: FailureKind) -> None:
    assert kind_for_status(status) is kind
    assert failure_from_response("p", status, {}, b"", None).kind is kind


def _body(doc: Any) -> bytes:
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("provider", "doc", "headers", "kind"),
    [
        (
            "openai",
            {"error": {"message": "quota", "type": "insufficient_quota", "code": "insufficient_quota"}},
            {},
            FailureKind.QUOTA_EXHAUSTED,
        ),
        (
            "qwen",
            {"error": {"message": "quota", "type": "x", "code": "insufficient_quota"}},
            {"retry-after": "1"},
            FailureKind.QUOTA_EXHAUSTED,
        ),
        (
            "openai",
            {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}},
            {"retry-after": "1"},
            FailureKind.RATE_LIMITED,
        ),
        # Spend-limit wording is Anthropic's convention only.
        (
            "openai",
            {"error": {"message": "usage limit reached", "type": "requests", "code": None}},
            {},
            FailureKind.RATE_LIMITED,
        ),
        (
            "claude",
            {"type": "error", "error": {"type": "rate_limit_error", "message": "usage limits reached"}},
            {},
            FailureKind.QUOTA_EXHAUSTED,
        ),
        # A renamed deployment still speaks Anthropic's envelope.
        (
            "claude-eu",
            {"type": "error", "error": {"type": "rate_limit_error", "message": "spend limit hit"}},
            {},
            FailureKind.QUOTA_EXHAUSTED,
        ),
        (
            "claude",
            {"type": "error", "error": {"type": "rate_limit_error", "message": "spend limit hit"}},
            {"retry-after-ms": "500"},
            FailureKind.RATE_LIMITED,
        ),
        (
            "claude",
            {"type": "error", "error": {"type": "rate_limit_error", "message": "too many requests"}},
            {},
            FailureKind.RATE_LIMITED,
        ),
    ],
)
def test_429_split(provider: str, doc: Any, headers: dict[str, str], kind: FailureKind) -> None:
    failure = failure_from_response(provider, 429, headers, _body(doc), None)
    assert failure.kind is kind
    assert failure.permanent is (kind is FailureKind.QUOTA_EXHAUSTED)


def test_error_body_shapes() -> None:
    openai = parse_error_body(_body({"error": {"message": "m", "type": "t", "param": None, "code": "c"}}))
    assert (openai.message, openai.type, openai.code, openai.anthropic) == ("m", "t", "c", False)
    anthropic = parse_error_body(_body({"type": "error", "error": {"type": "api_error", "message": "boom"}}))
    assert (anthropic.message, anthropic.type, anthropic.anthropic) == ("boom", "api_error", True)
    dashscope = parse_error_body(
        _body({"code": "Throttling.RateQuota", "message": "Requests rate limit exceeded"})
    )
    assert (dashscope.message, dashscope.code) == ("Requests rate limit exceeded", "Throttling.RateQuota")
    for junk in (b"", b"<html>", b"[1,2]", b"\xff\xfe", b'{"error": 5}', b"null", b"[" * 100_000):
        assert parse_error_body(junk).message is None


def test_failure_message_is_bounded_and_keeps_provider_text() -> None:
    doc = {
        "error": {"message": "The engine is currently overloaded, please try again later", "type": "server"}
    }
    failure = failure_from_response("openai", 503, {"retry-after": "2"}, _body(doc), None)
    assert failure.kind is FailureKind.SERVER_ERROR
    assert failure.retry_after_s == 2.0
    assert "currently overloaded" in failure.message and "503" in failure.message
    long = failure_from_response("openai", 500, {}, b"x" * 10_000, None)
    assert len(long.message) <= 300


def test_key_straddling_the_snippet_cut_is_redacted() -> None:
    for pad in range(100, 130):
        body = b"<" + b"a" * pad + KEY.encode()
        failure = failure_from_response("openai", 502, {}, body, None, secrets=[KEY])
        for cut in range(8, len(KEY) + 1):
            assert KEY[:cut] not in failure.message


# -- success bodies ------------------------------------------------------------------------------


def test_openai_completion_defaults() -> None:
    body = _body({"choices": [{"message": {"role": "assistant", "content": "hola"}}]})
    completion = parse_openai_completion("qwen", body, JSON, default_model="qwen-plus")
    assert (completion.text, completion.model, completion.finish_reason) == ("hola", "qwen-plus", "stop")
    assert completion.usage.total_tokens == 0
    assert completion.rate_limits is None


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"choices": []}, "choices is empty"),
        ({"choices": None}, "choices is null"),
        ({"choices": ["x"]}, "choices[0]"),
        ({"choices": [{"message": {"content": None}}]}, "choices[0].message.content is null"),
        ({"choices": [{}]}, "missing field choices[0].message"),
        (
            {"choices": [{"message": {"content": "x"}}], "usage": {"prompt_tokens": "3"}},
            "usage.prompt_tokens",
        ),
        (
            {"choices": [{"message": {"content": "x"}}], "usage": {"prompt_tokens": True}},
            "usage.prompt_tokens",
        ),
        ({"choices": [{"message": {"content": "x"}}], "usage": {"completion_tokens": -1}}, "negative"),
        ({"choices": [{"message": {"content": "x"}}], "model": 7}, "model"),
    ],
)
def test_openai_schema_errors_name_the_field(doc: Any, field: str) -> None:
    with pytest.raises(BadResponse) as info:
        parse_openai_completion("openai", _body(doc), JSON)
    assert field in info.value.failure.message
    assert info.value.failure.kind is FailureKind.BAD_RESPONSE


def test_anthropic_message_stop_reasons_and_errors() -> None:
    doc = {
        "type": "message",
        "content": [{"type": "text", "text": "a"}],
        "stop_reason": "max_tokens",
        "usage": {"input_tokens": 4, "output_tokens": 9},
    }
    completion = parse_anthropic_message("claude", _body(doc), JSON, None, default_model="claude-x")
    assert (completion.finish_reason, completion.model, completion.usage.total_tokens) == (
        "length",
        "claude-x",
        13,
    )
    for bad, field in [
        ({"type": "error", "content": []}, "type"),
        ({"content": [{"type": "tool_use", "id": "t"}]}, "no text block"),
        ({"content": "hola"}, "content is str"),
        ({"content": [3]}, "content[0]"),
    ]:
        with pytest.raises(BadResponse, match="claude") as info:
            parse_anthropic_message("claude", _body(bad), JSON, None)
        assert field in info.value.failure.message


@pytest.mark.parametrize("ctype", ["text/html", "text/plain", "", "application/jsonx"])
def test_wrong_content_type(ctype: str) -> None:
    headers = {"content-type": ctype} if ctype else {}
    body = _body({"choices": [{"message": {"content": "x"}}]})
    with pytest.raises(BadResponse, match="content-type"):
        parse_openai_completion("openai", body, headers)


def test_vendor_json_content_type_is_accepted() -> None:
    body = _body({"choices": [{"message": {"content": "x"}}]})
    assert (
        parse_openai_completion("o", body, {"Content-Type": "application/vnd.api+json; charset=utf-8"}).text
        == "x"
    )


# -- properties ----------------------------------------------------------------------------------

_headers = st.dictionaries(
    st.sampled_from(
        [
            "retry-after",
            "retry-after-ms",
            "x-ratelimit-limit-requests",
            "x-ratelimit-reset-tokens",
            "anthropic-ratelimit-requests-reset",
            "content-type",
            "x-other",
        ]
    ),
    st.text(max_size=40),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(
    provider=st.sampled_from(["qwen", "claude", "openai", "custom"]),
    status=st.integers(400, 599),
    headers=_headers,
    body=st.binary(max_size=400),
    with_key=st.booleans(),
)
def test_failure_mapping_never_raises(
    provider: str, status: int, headers: dict[str, str], body: bytes, with_key: bool
) -> None:
    if with_key:
        body = body[: len(body) // 2] + KEY.encode() + body[len(body) // 2 :]
    failure = failure_from_response(provider, status, headers, body, None, secrets=[KEY])
    assert failure.provider == provider and failure.status == status
    assert KEY not in failure.message
    if status == 429:
        assert failure.kind in (FailureKind.RATE_LIMITED, FailureKind.QUOTA_EXHAUSTED)
    elif status == 529:
        assert failure.kind is FailureKind.OVERLOADED
    elif status >= 500:
        assert failure.kind is FailureKind.SERVER_ERROR
    elif status == 408:
        assert failure.kind is FailureKind.TIMEOUT
    else:
        assert failure.kind is FailureKind.CLIENT_ERROR
    assert failure.retry_after_s is None or (
        math.isfinite(failure.retry_after_s) and failure.retry_after_s >= 0
    )


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(
    message=st.text(max_size=60),
    type_=st.text(max_size=20),
    code=_json_values,
    anthropic=st.booleans(),
    status=st.integers(400, 599),
)
def test_structured_error_never_leaks_key(
    message: str, type_: str, code: Any, anthropic: bool, status: int
) -> None:
    err: dict[str, Any] = {"message": f"{message}{KEY}{message}", "type": type_, "code": code}
    doc: dict[str, Any] = {"type": "error", "error": err} if anthropic else {"error": err}
    failure = failure_from_response(
        "claude" if anthropic else "openai", status, {}, _body(doc), None, secrets=[KEY]
    )
    assert KEY not in failure.message
    assert KEY not in str(failure)


@settings(max_examples=300, deadline=None)
@given(
    body=st.one_of(
        st.binary(max_size=300),
        _json_values.map(lambda v: _body(v)),
        st.fixed_dictionaries({"choices": st.lists(_json_values, max_size=2)}).map(_body),
        st.fixed_dictionaries({"content": st.lists(_json_values, max_size=2)}).map(_body),
    ),
    ctype=st.sampled_from(["application/json", "text/html", "application/json; charset=utf-8"]),
)
def test_success_parsers_raise_only_bad_response(body: bytes, ctype: str) -> None:
    for parse in (
        lambda: parse_openai_completion("openai", body, {"content-type": ctype}),
        lambda: parse_anthropic_message("claude", body, {"content-type": ctype}, None),
    ):
        try:
            completion = parse()
        except BadResponse as exc:
            assert exc.failure.kind is FailureKind.BAD_RESPONSE
        else:
            assert isinstance(completion.text, str)


@settings(max_examples=150, deadline=None)
@given(
    blocks=st.lists(
        st.one_of(
            st.builds(lambda t: {"type": "text", "text": t}, st.text(max_size=12)),
            st.builds(lambda t: {"type": "tool_use", "id": t}, st.text(max_size=5)),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_anthropic_text_is_the_text_blocks_joined(blocks: list[dict[str, str]]) -> None:
    texts = [b["text"] for b in blocks if b["type"] == "text"]
    body = _body({"type": "message", "content": blocks})
    if not texts:
        with pytest.raises(BadResponse):
            parse_anthropic_message("claude", body, JSON, None)
    else:
        assert parse_anthropic_message("claude", body, JSON, None).text == "".join(texts)


def test_errors_map_is_the_one_import_for_parsers() -> None:
    for name in errors_map.__all__:
        assert getattr(errors_map, name) is not None
    assert {
        "failure_from_response",
        "parse_openai_ratelimit",
        "parse_anthropic_ratelimit",
        "parse_openai_completion",
        "parse_anthropic_message",
    } <= set(errors_map.__all__)
