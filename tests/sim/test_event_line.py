"""A state event of string details is written as its line directly: the encoder's bytes, or declined."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.records import _encode, _event_line

PLAIN_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, check_circular=False)

texts = st.one_of(st.text(max_size=8), st.sampled_from(["shed", "qwen", "rate limit: next start in 5.1s", "\u2028",
                                                        '"\\', "é"]))
junk = st.one_of(st.none(), st.booleans(), st.integers(-(1 << 70), 1 << 70), st.floats(), texts,
                 st.lists(texts, max_size=2), st.dictionaries(texts, texts, max_size=1))
times = st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 2.376108, math.inf, math.nan]), st.integers(0, 300),
                  st.booleans())
formatted: list[bool] = []


@settings(max_examples=400)
@given(times, st.one_of(texts, junk),
       st.dictionaries(st.one_of(texts, st.integers(0, 2)), st.one_of(texts, texts, junk), max_size=3))
def test_an_event_line_is_the_encoder_s_line_or_declined(t_s: Any, kind: Any, detail: dict[Any, Any]) -> None:
    record = {"t_s": round(t_s, 6) if type(t_s) is float else t_s, "kind": kind, "detail": detail}
    line = _event_line(t_s, kind, detail)   # of the unrounded time
    assert line is None or line == PLAIN_ENCODER.encode(record) == _encode(record)
    formatted.append(line is not None)
    if type(t_s) is float and math.isfinite(t_s) and type(kind) is str \
            and all(type(k) is str and type(v) is str for k, v in detail.items()):
        assert line is not None   # a shed event's shape is always formatted


def test_the_generated_events_reached_the_formatter() -> None:
    formatted.clear()
    test_an_event_line_is_the_encoder_s_line_or_declined()
    assert any(formatted) and not all(formatted)

