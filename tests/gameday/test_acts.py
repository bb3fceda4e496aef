"""What people type in a game day: inject snippets and flags, actions, notes — checked before anything changes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.gameday.acts import (
    ActError,
    action_body,
    check_note,
    check_who,
    flags_to_entry,
    parse_injection,
    parse_snippet,
)


def test_flag_form_is_the_issue_example_scaled_to_run_units() -> None:
    entry = flags_to_entry(provider="qwen", latency="lognormal:8s,12s", for_="5m")
    assert entry == {"provider": "qwen", "latency": {"dist": "lognormal", "p50": "8s", "p95": "12s"}, "for": "5m"}
    inj = parse_injection(entry, 0.1)
    assert inj.kind == "fault" and inj.provider == "qwen"
    assert inj.until_s == pytest.approx(30.0) and inj.at_s == 0
    assert inj.rule is not None
    assert inj.rule["latency"]["p50"] == pytest.approx(0.8) and inj.rule["latency"]["p95"] == pytest.approx(1.2)


def test_snippet_in_the_network_grammar_becomes_a_toxic() -> None:
    entry = parse_snippet("- {provider: claude, toxic: latency, latency: 3s, jitter: 500ms, for: 1m}")
    inj = parse_injection(entry, 1.0)
    assert inj.kind == "network" and inj.network is not None
    body = inj.network.to_toxiproxy(1.0)
    assert body["type"] == "latency" and body["attributes"] == {"latency": 3000, "jitter": 500}
    assert inj.until_s == pytest.approx(60.0)


def test_json_snippet_with_quota_scales_its_window() -> None:
    inj = parse_injection(parse_snippet('{"provider": "qwen", "quota": {"rpm": 10}}'), 0.5)
    assert inj.rule is not None and inj.rule["quota"]["window"] == pytest.approx(30.0)
    assert inj.until_s is None


@pytest.mark.parametrize(("entry", "message"), [
    ({"provider": "qwne", "error": {"status": 503}}, "provider: unknown provider 'qwne' (did you mean 'qwen'?)"),
    ({"provider": "qwen", "error": {"status": 299}}, "error.status"),
    ({"provider": "qwen"}, "exactly one effect"),
    ({"provider": "qwen", "error": {"status": 503}, "for": "-1s"}, "for"),
    ({"provider": "qwen", "error": {"status": 503}, "for": "1m", "until": "2m"}, "'for' or 'until', not both"),
    ({"provider": "claude", "toxic": "latenzy", "latency": "1s"}, "toxic"),
    ({"provider": "qwen", "latency": {"dist": "lognormal", "p50": "9s"}}, "latency"),
])
def test_bad_entries_are_clear_errors(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(ActError) as err:
        parse_injection(entry, 1.0)
    assert message in str(err.value) and str(err.value).startswith("inject:")


@pytest.mark.parametrize(("text", "message"), [
    ("{provider: qwen", "not YAML or JSON"),
    ("just words", "expected one mapping"),
    ("[1, 2]", "expected one mapping"),
])
def test_bad_snippets_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(ActError, match=message):
        parse_snippet(text)


@pytest.mark.parametrize(("flags", "message"), [
    ({"provider": None, "error": "503"}, "--provider is required"),
    ({"provider": "qwen"}, "exactly one effect"),
    ({"provider": "qwen", "error": "503", "connection": "reset"}, "exactly one effect"),
    ({"provider": "qwen", "error": "five"}, "--error: expected STATUS"),
    ({"provider": "qwen", "latency": "gamma:1s"}, "unknown distribution 'gamma'"),
    ({"provider": "qwen", "latency": "uniform:1s"}, "expected 2 value(s)"),
    ({"provider": "qwen", "toxic": "latency", "error": "503"}, "cannot be combined"),
])
def test_bad_flags_are_clear_errors(flags: dict[str, Any], message: str) -> None:
    with pytest.raises(ActError) as err:
        flags_to_entry(**flags)
    assert message in str(err.value)


def test_actions_become_the_admin_body() -> None:
    body = action_body(provider="claude", conservation="on", degraded="auto", breakers=["qwen=force_open"])
    assert body == {"provider": "claude", "conservation_mode": True, "degraded_mode": None,
                    "breakers": {"qwen": "force_open"}}
    for kwargs, message in (({}, "nothing to do"), ({"provider": "gemini"}, "unknown provider"),
                            ({"conservation": "maybe"}, "on, off or auto"),
                            ({"breakers": ["qwen=explode"]}, "--breaker")):
        with pytest.raises(ActError, match=message):
            action_body(**kwargs)


def test_notes_and_names_are_checked() -> None:
    assert check_note("  qwen is slow  ") == "qwen is slow"
    assert check_who(" alice ") == "alice"
    for bad in ("", "   ", "x" * 5000):
        with pytest.raises(ActError):
            check_note(bad)
    for bad in ("", "a\nb", "n" * 65):
        with pytest.raises(ActError):
            check_who(bad)


_values = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True)
                       | st.text(max_size=12), lambda kids: st.lists(kids, max_size=3)
                       | st.dictionaries(st.text(max_size=10), kids, max_size=3), max_leaves=8)
_keys = st.sampled_from(["provider", "at", "until", "for", "latency", "error", "connection", "bad_json",
                         "quality", "quota", "toxic", "probability", "label", "jitter", "rate", "stream", "zzz"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_keys, _values | st.sampled_from(["qwen", "*", "3s", "1m", "latency", "down", "refuse"]),
                       max_size=5), st.sampled_from([0.05, 1.0]))
def test_any_entry_is_accepted_or_refused_with_an_act_error(entry: dict[str, Any], scale: float) -> None:
    """Bad input never escapes as anything but a clear ActError; what is accepted is in run units."""
    try:
        inj = parse_injection(entry, scale)
    except ActError as exc:
        assert str(exc).startswith("inject:")
        return
    assert inj.at_s >= 0
    assert inj.until_s is None or inj.until_s > inj.at_s - 1e-9
    assert (inj.rule is None) != (inj.network is None)
