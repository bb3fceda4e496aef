"""The provider calls as the fakes saw them: ``calls.jsonl`` of a run whose gateway is not ours.

Our gateway logs every upstream attempt (``collect.collect_gateway_events``); a target gateway logs
nothing we can read.  Each fake keeps one row per call it served (``GET /_control/calls``: plan
seconds at the start, its outcome label, seconds); the plan's epoch is the run's t=0, so the rows
are on the run's time base already.  Seen from the provider's side:

- a call the proxy refused or dropped (a ``down`` proxy, a toxic that cuts the link) never reached
  a fake, and a ``refuse`` connection fault closes the fake's listener: neither is a row;
- a latency is the fake's own, without what the proxy's toxics add on the way;
- a ``hang`` ends when the caller gives up: it reads as the caller's timeout;
- health probes and gold probes the target sends are calls like any other.

The report says so beside the figures (``reports.target``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

from reports.records import CallRecord

__all__ = ["CALLS_SEEN_BY", "call_records", "result_of", "write_fake_calls"]

CALLS_SEEN_BY = "fakes"

_STATUS_RESULT = {429: "rate_limited", 500: "server_error", 502: "server_error", 503: "server_error",
                  504: "server_error", 529: "overloaded"}
_LABEL_RESULT = {"ok": "ok", "refuse": "connection_refused", "reset": "connection_reset", "hang": "timeout"}


def result_of(label: str) -> tuple[str, int | None]:
    """A fake's outcome label (``ok``, ``http_429``, ``reset``, ``bad_json:prose``...) as a call result
    in the gateway's terms (``gateway.outcomes.FailureKind`` values) and the HTTP status it sent."""
    if label.startswith("http_") and label[5:].isdigit():
        status = int(label[5:])
        return _STATUS_RESULT.get(status, "client_error" if 400 <= status < 500 else "server_error"), status
    if label.startswith("bad_json"):
        return "bad_response", 200
    result = _LABEL_RESULT.get(label)
    if result is None:
        return "bad_response", None
    return result, 200 if result == "ok" else None


def call_records(provider: str, rows: Iterable[Any]) -> list[CallRecord]:
    """One provider's rows as call records; rows before t=0 (start-up checks) and malformed rows are left out."""
    out = []
    for row in rows:
        if not (isinstance(row, list) and len(row) == 3 and isinstance(row[1], str)
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in (row[0], row[2]))):
            continue
        t_s, label, seconds = float(row[0]), row[1], float(row[2])
        if t_s < 0:
            continue
        result, status = result_of(label)
        out.append(CallRecord(t_s, provider, seconds, result, status))
    return out


def write_fake_calls(fake_urls: Mapping[str, str], run_dir: Path) -> tuple[int, list[str]]:
    """Fetch every fake's calls into ``calls.jsonl`` (sorted by time); (calls written, problems)."""
    records: list[CallRecord] = []
    problems: list[str] = []
    for provider, url in fake_urls.items():
        try:
            r = httpx.get(url + "/_control/calls", timeout=30)
            r.raise_for_status()
            rows = r.json().get("calls", [])
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            problems.append(f"{provider}: the fake's calls could not be read ({type(exc).__name__}: {exc})")
            continue
        records += call_records(provider, rows)
    records.sort(key=lambda c: c.t_s)
    with (run_dir / "calls.jsonl").open("w", encoding="utf-8") as out:
        for rec in records:
            out.write(json.dumps(rec.to_dict(), ensure_ascii=False) + "\n")
    return len(records), problems
