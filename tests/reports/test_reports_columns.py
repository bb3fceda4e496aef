"""The report's columns hold every record exactly, and a run is read into them without holding objects."""

from __future__ import annotations

import json
import math
import tracemalloc
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.columns import CallColumns, RequestColumns, call_columns, request_columns
from reports.io import load_run
from reports.records import CLIENT_TIMEOUT, FAILED, LOST, OK, CallRecord, RequestRecord
from reports.rules import DEFAULT_RULES
from reports.samples import rule_samples

times = st.floats(min_value=0.0, max_value=1e5, allow_nan=False)
maybe_time = st.none() | times
maybe_bool = st.none() | st.booleans()
words = st.none() | st.sampled_from(["qwen", "claude", "http_503", CLIENT_TIMEOUT, "", "ñandú"])
evidence = st.none() | st.dictionaries(st.sampled_from(["contacto", "fecha", "hora"]), st.none() | st.text(max_size=5))

requests = st.builds(
    RequestRecord,
    id=st.integers(min_value=-5, max_value=10**12),
    intended_s=times,
    sent_s=maybe_time,
    latency_s=st.none() | st.floats(min_value=-1.0, max_value=100.0, allow_nan=False),
    outcome=st.sampled_from([OK, FAILED, LOST, "weird"]),
    status=st.none() | st.sampled_from([200, 429, 500, 503]),
    error=words,
    provider=words,
    attempts=st.integers(min_value=0, max_value=9),
    cache_hit=st.booleans(),
    fallback=st.booleans(),
    degraded=st.booleans(),
    conservation=st.booleans(),
    confidence=st.none() | st.floats(min_value=0.0, max_value=1.0),
    json_error=st.booleans(),
    correct=maybe_bool,
    validation_invalid=maybe_bool,
    validation_fp=maybe_bool,
    harness_error=st.booleans(),
    served=evidence,
    gold=evidence,
    agent_s=maybe_time,
    prompt_id=words,
    phase=words,
)
calls = st.builds(
    CallRecord,
    t_s=times,
    provider=st.sampled_from(["qwen", "claude", "openai"]),
    latency_s=st.floats(min_value=-1.0, max_value=50.0, allow_nan=False),
    result=st.sampled_from(["ok", "rate_limited", "timeout"]),
    status=st.none() | st.sampled_from([200, 429, 500]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(requests, max_size=30))
def test_requests_come_back_whole_with_their_derived_flags(records: list[RequestRecord]) -> None:
    cols = request_columns(records)
    assert isinstance(cols, RequestColumns) and len(cols) == len(records)
    assert list(cols) == records
    if records:
        assert cols[-1] == records[-1] and cols[0:2] == records[0:2]
    for i, r in enumerate(records):
        assert bool(cols.flags["timed"][i]) == r.timed
        assert bool(cols.flags["shed"][i]) == r.shed
        assert bool(cols.flags["wrong"][i]) == r.wrong
        assert bool(cols.sent[i]) == (r.sent_s is not None)
        want = r.intended_s + (r.latency_s if r.latency_s is not None and r.latency_s > 0 else 0.0)
        assert cols.observed_s[i] == want
        assert bool(cols.truthy("correct")[i]) == bool(r.correct)
        assert bool(cols.known("validation_fp")[i]) == (r.validation_fp is not None)
    scaled = cols.scaled(4.0)
    for r, s in zip(records, scaled, strict=True):
        assert math.isclose(s.intended_s, r.intended_s / 4.0)
        assert (s.latency_s is None) == (r.latency_s is None)


@settings(max_examples=60, deadline=None)
@given(st.lists(calls, max_size=30))
def test_calls_come_back_whole_but_for_their_request_id(records: list[CallRecord]) -> None:
    cols = call_columns([replace(c, request_id=1) for c in records])
    assert isinstance(cols, CallColumns)
    assert list(cols) == records  # request_id is not kept: no figure reads it
    for i, c in enumerate(records):
        assert cols.observed_s[i] == c.t_s + max(c.latency_s, 0.0)
        assert bool(cols.provider_is("qwen")[i]) == (c.provider == "qwen")


@settings(max_examples=40, deadline=None)
@given(st.lists(requests, max_size=25), st.lists(calls, max_size=25))
def test_rule_samples_are_the_records_each_rule_counts(reqs: list[RequestRecord], cs: list[CallRecord]) -> None:
    """Every rule's samples, against a plain loop over the records (the population, by the rule's table)."""
    for rule in DEFAULT_RULES:
        if rule.source == "events":
            continue
        t, v = rule_samples(rule, reqs, cs)
        assert list(t) == sorted(t) and len(t) == len(v)
        if rule.source == "calls":
            assert len(t) == len(cs)
            if rule.aggregation == "p95":
                assert sorted(v) == sorted(c.latency_s for c in cs)
            continue
        sent = [r for r in reqs if r.sent_s is not None]
        assert len(t) <= len(sent)
        if rule.aggregation in ("p95", "avg"):
            assert rule.value is not None
            want = sorted(float(x) for r in sent if (x := getattr(r, rule.value)) is not None
                          and (rule.population != "answered" or (r.status is not None and not r.shed)))
            assert sorted(v) == want


def _write_run(root: Path, n: int) -> None:
    root.mkdir()
    line = RequestRecord(0, 0.0, 0.0, 0.25, OK, 200, provider="qwen", attempts=1, confidence=0.9, correct=True,
                         prompt_id="c000924", phase="storm").to_dict()
    with (root / "requests.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({**line, "id": i, "intended_s": i * 0.01, "sent_s": i * 0.01}) + "\n")
    (root / "calls.jsonl").write_text(json.dumps(CallRecord(0.0, "qwen", 0.2, "ok", 200).to_dict()) + "\n")


def test_a_run_is_read_without_holding_its_records(tmp_path: Path) -> None:
    """As objects a request costs about 1.4 kB; in columns tens of bytes.  The peak while reading stays
    far below the objects' cost, so a reader that kept them (or the whole file) would fail here."""
    n = 20_000
    _write_run(tmp_path / "run", n)
    tracemalloc.start()
    try:
        run = load_run(tmp_path / "run")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(run.requests, RequestColumns) and len(run.requests) == n
    assert run.requests[n - 1].id == n - 1 and run.requests[n - 1].phase == "storm"
    per_request = peak / n
    print(f"peak {peak / 1e6:.1f} MB while reading {n} requests: {per_request:.0f} bytes per request")
    assert per_request < 250, f"{per_request:.0f} bytes per request: records are held, not streamed"
